package check

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Checker runs the checks.
type Checker struct {
	// Timeout bounds each step.
	Timeout time.Duration
	// InfoHash, when set, is used instead of a random hash per run (for
	// trackers that only track listed torrents).
	InfoHash *bittorrent.InfoHash
	// Strict makes warnings count as failures.
	Strict bool
	// TLS configures https:// and wss:// trackers (a private CA, or no
	// verification); nil uses the system roots.
	TLS *tls.Config
}

// Run checks every URL and returns the report. With random hashes the
// trackers are checked at once; with one given hash they are checked in
// turn, because an HTTP and a UDP URL of one tracker share its swarm.
func (c *Checker) Run(ctx context.Context, urls []string) Report {
	results := make([]TrackerResult, len(urls))
	if c.InfoHash != nil {
		for i, u := range urls {
			results[i] = c.Check(ctx, u)
		}
	} else {
		var wg sync.WaitGroup
		for i, u := range urls {
			wg.Go(func() { results[i] = c.Check(ctx, u) })
		}
		wg.Wait()
	}
	rep := Report{OK: true, Trackers: results}
	for _, r := range results {
		rep.OK = rep.OK && r.OK
	}
	return rep
}

// Check runs the steps against one tracker URL (already validated by
// parseURL).
func (c *Checker) Check(ctx context.Context, rawURL string) (res TrackerResult) {
	s := &session{
		a:       simPeer{name: "A", left: 0},
		b:       simPeer{name: "B", left: 1 << 20},
		timeout: c.Timeout,
		afterB:  bittorrent.Counts{Complete: 1, Incomplete: 1},
	}
	if c.InfoHash != nil {
		s.ih = *c.InfoHash
	} else {
		s.ih, s.randomHash = randomInfoHash(), true
	}
	for _, p := range []*simPeer{&s.a, &s.b} {
		var b [24]byte
		_, _ = rand.Read(b[:])
		// Azureus-style id "-SB0001-" so tracker statistics can tell the
		// checker's peers apart.
		copy(p.id[:], "-SB0001-")
		copy(p.id[8:], b[:12])
		p.key = binary.BigEndian.Uint32(b[12:])
		p.port = 20000 + binary.BigEndian.Uint16(b[16:])%40000
	}
	if s.b.port == s.a.port {
		s.b.port++
	}
	res = TrackerResult{URL: rawURL, InfoHash: s.ih.String(), Started: time.Now()}
	defer func() { // after the early returns too
		res.Seconds = time.Since(res.Started).Seconds()
		res.OK = res.ok(c.Strict)
	}()

	u, _ := url.Parse(rawURL)
	p, err := c.probeFor(u)
	if err != nil {
		res.Steps = []StepResult{{Step: "connect", Status: Fail, Detail: err.Error()}}
		return res
	}
	s.p = p
	defer p.close()
	if wp, ok := p.(*wsProbe); ok {
		wp.bind(s.a.id, s.b.id)
		// B joins as WebTorrent does from a magnet link: "left": null.
		s.b.left = bittorrent.LeftUnknown
	}
	passed := map[string]bool{}
	for _, st := range plan(p) {
		r := StepResult{Step: st.name}
		if missing := slices.IndexFunc(st.needs, func(n string) bool { return !passed[n] }); missing >= 0 {
			r.Status, r.Detail = Skip, "not run: "+st.needs[missing]+" did not pass"
			res.Steps = append(res.Steps, r)
			continue
		}
		s.latency = 0
		sctx, cancel := context.WithTimeout(ctx, c.Timeout*time.Duration(max(st.scale, 1)))
		o := st.run(sctx, s)
		cancel()
		r.Status, r.Detail, r.Failure, r.Warnings = o.status, o.detail, o.failure, o.warnings
		r.Latency, r.LatencyMS = s.latency, float64(s.latency.Microseconds())/1000
		passed[st.name] = o.status == Pass || o.status == Warn
		res.Steps = append(res.Steps, r)
	}
	c.cleanUp(ctx, s)
	return res
}

// cleanUp stops peers an interrupted check left in the swarm, so checks
// never leave strangers in real swarms. Its result is not reported.
func (c *Checker) cleanUp(ctx context.Context, s *session) {
	for _, p := range []*simPeer{&s.a, &s.b} {
		if p.up {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.Timeout)
			_, _ = s.announce(cctx, p, bittorrent.EventStopped)
			cancel()
		}
	}
}

func (c *Checker) probeFor(u *url.URL) (probe, error) {
	switch u.Scheme {
	case "http", "https":
		return newHTTPProbe(u, c.TLS)
	case "udp":
		return newUDPProbe(u, c.Timeout)
	case "ws", "wss":
		return newWSProbe(u, c.TLS)
	}
	return nil, fmt.Errorf("unsupported scheme %q", u.Scheme)
}

// randomInfoHash makes a hash no real swarm has. Its first byte is at
// least 0x80 so that encoding bugs that only touch such bytes (see
// scrape-keys-utf8) always show.
func randomInfoHash() bittorrent.InfoHash {
	var h bittorrent.InfoHash
	_, _ = rand.Read(h[:])
	h[0] |= 0x80
	return h
}
