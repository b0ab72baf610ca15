package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// simPeer is one of the two peers the checker plays. Its port is never
// connected to: trackers only store and hand it out.
type simPeer struct {
	name string
	id   bittorrent.PeerID
	port uint16
	key  uint32
	left int64
	up   bool // announced and not yet stopped
}

// session is one check of one tracker: the probe, the swarm and the two
// peers, shared by the steps in order.
type session struct {
	p          probe
	ih         bittorrent.InfoHash
	randomHash bool
	a, b       simPeer
	latency    time.Duration
	// timeout is -timeout: what one request may take.
	timeout time.Duration

	// afterB are the counts the swarm should have once B joined, and
	// bWarns the quirks that made them differ from complete 1,
	// incomplete 1 (a tracker that counts a "left": null peer as a
	// seeder).
	afterB bittorrent.Counts
	bWarns []Warning
}

// outcome is what a step function reports; the runner adds the name and
// the latency.
type outcome struct {
	status   Status
	detail   string
	failure  string
	warnings []Warning
}

// timed runs one tracker request and adds its duration to the step's
// latency.
func timed[T any](s *session, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	s.latency += time.Since(start)
	return v, err
}

func (s *session) announce(ctx context.Context, p *simPeer, ev bittorrent.Event) (*trackerclient.AnnounceResponse, error) {
	req := trackerclient.AnnounceRequest{InfoHash: s.ih, PeerID: p.id, Port: p.port, Left: p.left, Event: ev, Key: p.key}
	if ev == bittorrent.EventStopped {
		req.NumWant = trackerclient.NumWantNone
	}
	r, err := timed(s, func() (*trackerclient.AnnounceResponse, error) { return s.p.announce(ctx, req) })
	if err == nil {
		p.up = ev != bittorrent.EventStopped
	}
	return r, err
}

func (s *session) scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*trackerclient.ScrapeResponse, error) {
	return timed(s, func() (*trackerclient.ScrapeResponse, error) { return s.p.scrape(ctx, hashes) })
}

// failed turns an error into a FAIL, with the tracker's own text when it
// refused, and a hint when a random info hash may be why.
func (s *session) failed(what string, err error) outcome {
	const hint = " (a tracker that only tracks listed torrents needs -infohash with one of them)"
	var fe *trackerclient.FailureError
	if errors.As(err, &fe) {
		o := outcome{status: Fail, failure: fe.Reason, detail: what + ": the tracker refused: " + printable(fe.Reason)}
		if s.randomHash {
			o.detail += hint
		}
		return o
	}
	o := outcome{status: Fail, detail: what + ": " + err.Error()}
	if s.randomHash && errors.Is(err, trackerclient.ErrMalformed) {
		o.detail += hint // some trackers refuse a hash with a broken reply
	}
	return o
}

// lists reports whether a reply lists the peer: same port and, when the
// tracker said what our address is, same address.
func lists(r *trackerclient.AnnounceResponse, p *simPeer) (netip.AddrPort, bool) {
	for _, x := range r.Peers {
		if x.Addr.Port() == p.port && (!r.ExternalIP.IsValid() || x.Addr.Addr() == r.ExternalIP) {
			return x.Addr, true
		}
	}
	return netip.AddrPort{}, false
}

func quirkWarnings(qs []trackerclient.Quirk) []Warning {
	var ws []Warning
	for _, q := range qs {
		ws = append(ws, quirkWarning(q))
	}
	return ws
}

// verdict is PASS, WARN with warnings, or FAIL with problems, which lead
// the detail.
func verdict(detail string, problems []string, warns []Warning) outcome {
	switch {
	case len(problems) > 0:
		return outcome{status: Fail, detail: strings.Join(problems, "; ") + " (" + detail + ")", warnings: warns}
	case len(warns) > 0:
		return outcome{status: Warn, detail: detail, warnings: warns}
	}
	return outcome{status: Pass, detail: detail}
}

func countsText(c bittorrent.Counts) string {
	return fmt.Sprintf("complete %d, incomplete %d", c.Complete, c.Incomplete)
}

// scrapeWant is what a scrape should report for the swarm.
type scrapeWant struct {
	counts bittorrent.Counts // complete and incomplete; downloaded is checked apart
	// absentOK: a missing entry passes (a swarm that emptied may be
	// gone: BEP 48 lists only torrents with statistics).
	absentOK bool
	// unknown adds a second hash nobody announced to the request, which
	// must come back with zeros or not at all.
	unknown bool
	// warns are quirks already seen that explain the counts.
	warns []Warning
}

// checkScrape compares one scrape with the counts the swarm should have.
func (s *session) checkScrape(ctx context.Context, want scrapeWant) outcome {
	if err := s.p.noScrape(); err != nil {
		return outcome{status: Skip, detail: err.Error()}
	}
	hashes := []bittorrent.InfoHash{s.ih}
	var unknown bittorrent.InfoHash
	if want.unknown {
		unknown = randomInfoHash()
		hashes = append(hashes, unknown)
	}
	r, err := s.scrape(ctx, hashes)
	if err != nil {
		return s.failed("scrape", err)
	}
	warns := append(slices.Clone(want.warns), quirkWarnings(r.Quirks)...)
	var problems []string
	unknownText := ""
	if want.unknown {
		switch c, ok := r.Files[unknown]; {
		case !ok:
			unknownText = "; the second, unknown hash left out"
		case c == bittorrent.Counts{}:
			unknownText = "; the second, unknown hash: zeros"
		default:
			problems = append(problems, fmt.Sprintf("the scrape reports %s for a hash nobody announced", countsText(c)))
		}
	}
	c, ok := r.Files[s.ih]
	if !ok {
		if want.absentOK {
			return verdict("the swarm is gone: no entry in the reply"+unknownText, problems, warns)
		}
		return verdict("no entry for the info hash in the reply"+unknownText, append(problems, "the scrape does not report the swarm"), warns)
	}
	detail := countsText(c) + fmt.Sprintf(", downloaded %d", c.Downloaded) + unknownText
	if c.Complete != want.counts.Complete || c.Incomplete != want.counts.Incomplete {
		problems = append(problems, "want "+countsText(want.counts))
	}
	// No peer sent "completed", so a new swarm has no downloads; a real
	// swarm given with -infohash may have some from before.
	if s.randomHash && c.Downloaded != 0 {
		if c.Downloaded == c.Complete {
			warns = append(warns, warnDownloadedIsComplete)
		} else {
			problems = append(problems, fmt.Sprintf("downloaded %d, want 0 (no peer sent completed)", c.Downloaded))
		}
	}
	return verdict(detail, problems, warns)
}
