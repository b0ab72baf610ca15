package check

import (
	"context"
	"fmt"
	"slices"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// step is one row of the report. It runs only when every step in needs
// passed (PASS or WARN), within -timeout times scale (1 when unset).
type step struct {
	name  string
	needs []string
	scale int
	run   func(ctx context.Context, s *session) outcome
}

// plan is the step list of the HTTP and UDP checks; WebSocket trackers
// get wsPlan.
func plan(p probe) []step {
	if _, ok := p.(*wsProbe); ok {
		return wsPlan()
	}
	open := p.openStep()
	return []step{
		{name: open, run: stepOpen},
		{name: "announce", needs: []string{open}, run: stepAnnounce},
		{name: "scrape", needs: []string{"announce"}, run: func(ctx context.Context, s *session) outcome {
			return s.checkScrape(ctx, scrapeWant{counts: bittorrent.Counts{Complete: 1}})
		}},
		{name: "peers", needs: []string{"announce"}, run: stepPeers},
		{name: "scrape-peers", needs: []string{"peers"}, run: func(ctx context.Context, s *session) outcome {
			return s.checkScrape(ctx, scrapeWant{counts: bittorrent.Counts{Complete: 1, Incomplete: 1}})
		}},
		{name: "stopped", needs: []string{"announce"}, run: stepStopped},
		{name: "scrape-stopped", needs: []string{"stopped"}, run: func(ctx context.Context, s *session) outcome {
			return s.checkScrape(ctx, scrapeWant{absentOK: true})
		}},
	}
}

func stepOpen(ctx context.Context, s *session) outcome {
	var detail string
	var warns []Warning
	_, err := timed(s, func() (struct{}, error) {
		var err error
		detail, warns, err = s.p.open(ctx)
		return struct{}{}, err
	})
	if err != nil {
		return s.failed(s.p.openStep(), err)
	}
	return verdict(detail, nil, warns)
}

// stepAnnounce: peer A starts as a seeder.
func stepAnnounce(ctx context.Context, s *session) outcome {
	r, err := s.announce(ctx, &s.a, bittorrent.EventStarted)
	if err != nil {
		return s.failed("A's announce", err)
	}
	detail := fmt.Sprintf("A (seeder, port %d): interval %s", s.a.port, r.Interval)
	if r.Interval == 0 {
		detail = fmt.Sprintf("A (seeder, port %d): no interval", s.a.port)
	}
	if r.MinInterval > 0 {
		detail += fmt.Sprintf(", min interval %s", r.MinInterval)
	}
	detail += fmt.Sprintf(", %s, %d peer(s)", countsText(r.Counts), len(r.Peers))
	if r.Warning != "" {
		detail += ", warning message: " + printable(r.Warning)
	}
	warns := quirkWarnings(r.Quirks)
	if _, self := lists(r, &s.a); self {
		warns = append(warns, warnPeersIncludeRequester)
	}
	return verdict(detail, nil, warns)
}

// stepPeers: peer B starts as a leecher and must get A, with both counted.
func stepPeers(ctx context.Context, s *session) outcome {
	r, err := s.announce(ctx, &s.b, bittorrent.EventStarted)
	if err != nil {
		return s.failed("B's announce", err)
	}
	warns := quirkWarnings(r.Quirks)
	var problems []string
	detail := fmt.Sprintf("B (leecher, port %d) got %d peer(s)", s.b.port, len(r.Peers))
	if addr, ok := lists(r, &s.a); ok {
		detail += ", A at " + addr.String()
	} else {
		problems = append(problems, fmt.Sprintf("B's reply does not list A (port %d)", s.a.port))
	}
	detail += "; " + countsText(r.Counts)
	switch c := r.Counts; {
	case c.Complete == 1 && c.Incomplete == 1:
	case c.Complete == 1 && c.Incomplete == 0:
		warns = append(warns, warnCountsExcludeRequester)
	default:
		problems = append(problems, "want complete 1, incomplete 1")
	}
	if _, self := lists(r, &s.b); self {
		warns = append(warns, warnPeersIncludeRequester)
	}
	return verdict(detail, problems, warns)
}

// stepStopped: A then B stop; the last reply must count nobody. A stops
// with numwant 0 while B is still there, so a reply that lists peers
// anyway shows the tracker ignores it.
func stepStopped(ctx context.Context, s *session) outcome {
	var detail string
	var last *bittorrent.Counts
	var warns []Warning
	addWarn := func(w Warning) {
		if !slices.Contains(warns, w) {
			warns = append(warns, w)
		}
	}
	for _, p := range []*simPeer{&s.a, &s.b} {
		if !p.up {
			continue
		}
		r, err := s.announce(ctx, p, bittorrent.EventStopped)
		if err != nil {
			return s.failed(p.name+"'s stopped", err)
		}
		if detail != "" {
			detail += "; "
		}
		detail += fmt.Sprintf("after %s: %s", p.name, countsText(r.Counts))
		if len(r.Peers) > 0 {
			detail += fmt.Sprintf(" and %d peer(s)", len(r.Peers))
			addWarn(warnNumwantZeroIgnored)
		}
		last = &r.Counts
		for _, w := range quirkWarnings(r.Quirks) {
			addWarn(w)
		}
	}
	var problems []string
	if last != nil && (last.Complete != 0 || last.Incomplete != 0) {
		problems = append(problems, "the tracker still counts peers that stopped")
	}
	return verdict(detail, problems, warns)
}
