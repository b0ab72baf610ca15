package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
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

func (s *session) scrape(ctx context.Context) (*trackerclient.ScrapeResponse, error) {
	return timed(s, func() (*trackerclient.ScrapeResponse, error) { return s.p.scrape(ctx, s.ih) })
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

// checkScrape compares one scrape with the counts the swarm should have.
// A missing entry fails unless absentOK (a swarm that emptied may be
// gone: BEP 48 lists only torrents with statistics).
func (s *session) checkScrape(ctx context.Context, complete, incomplete int, absentOK bool) outcome {
	if err := s.p.noScrape(); err != nil {
		return outcome{status: Skip, detail: err.Error()}
	}
	r, err := s.scrape(ctx)
	if err != nil {
		return s.failed("scrape", err)
	}
	warns := quirkWarnings(r.Quirks)
	c, ok := r.Files[s.ih]
	if !ok {
		if absentOK {
			return verdict("the swarm is gone: no entry in the reply", nil, warns)
		}
		return verdict("no entry for the info hash in the reply", []string{"the scrape does not report the swarm"}, warns)
	}
	detail := countsText(c) + fmt.Sprintf(", downloaded %d", c.Downloaded)
	var problems []string
	if c.Complete != complete || c.Incomplete != incomplete {
		problems = append(problems, fmt.Sprintf("want complete %d, incomplete %d", complete, incomplete))
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
