package signaling

import (
	"errors"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// ReasonRateLimited is the failure reason for announces and scrapes over
// Config.AnnouncesPerConn or refused by Config.AllowRequest.
const ReasonRateLimited = "rate limited: too many announces, slow down"

// Failure reasons the relay itself sends (the decoder has its own).
const (
	reasonTooManyTorrents = "too many torrents on one connection"
	reasonNoOffer         = "could not find the offer for this answer; it may have expired"
	reasonFullScrape      = "full scrape is not allowed"
	reasonFullScrapeSize  = "too many torrents for a full scrape over WebSocket; scrape over HTTP instead"
	reasonUnavailable     = "tracker temporarily unavailable, try again later"
)

// scratch is the working memory of handling one message. It is pooled
// rather than kept per connection: most connections are idle.
type scratch struct {
	req     wire.Request
	targets []Target
	counts  []bittorrent.Counts
	outbox  []*session // connections with frames to write (deliver)
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// handle processes one client message and reports it, with how long it
// took, to the observer. It runs on the connection's read side only.
//
// The frames the message causes are queued while it is processed and
// written after it was reported (deliver), so that the observer has
// counted it before any client sees the result, and d is the time of the
// work alone.
func (s *session) handle(data []byte) {
	start := time.Now()
	scr := scratchPool.Get().(*scratch)
	s.scr = scr
	action, event := s.process(data, scr)
	// The request aliases data, which is not ours to keep.
	scr.req.EventName, scr.req.Answer = nil, wire.SDP{}
	clear(scr.req.Offers)
	s.h.obs.Handled(action, event, time.Since(start))
	s.flushOutbox()
	s.scr = nil
	scratchPool.Put(scr)
}

// process does the work of handle and returns the labels of the message:
// its action ("announce", "answer", "scrape" or "invalid") and, for
// announces, its event.
func (s *session) process(data []byte, scr *scratch) (action, event string) {
	r := &scr.req
	if err := s.h.dec.Decode(data, r); err != nil {
		reason := "invalid message"
		var de *wire.DecodeError
		if errors.As(err, &de) {
			reason = de.Reason
		}
		s.fail(r.Action, infoHashOf(r), reason)
		s.noteInvalid()
		return "invalid", ""
	}
	switch {
	case r.Action == wire.ActionScrape:
		if s.allowRequest() {
			s.scrape(r, scr)
		} else {
			s.fail(wire.ActionScrape, nil, ReasonRateLimited)
		}
		return "scrape", ""
	case r.HasAnswer:
		s.answer(r)
		return "answer", ""
	default:
		if s.allowRequest() {
			s.announce(r, scr)
		} else {
			s.fail(wire.ActionAnnounce, infoHashOf(r), ReasonRateLimited)
		}
		return "announce", eventLabel(r)
	}
}

// allowRequest applies the rate limits to an announce or scrape: the
// connection's own token bucket, then the shared per-address one. A
// connection refused more than AnnouncesPerConn times within one announce
// interval is closed: it ignores the failures.
func (s *session) allowRequest() bool {
	if n := s.h.cfg.AnnouncesPerConn; n > 0 {
		now := s.h.cfg.Now()
		if !s.takeToken(now.UnixNano(), n) {
			s.h.obs.Limited(LimitConnAnnounces)
			if now.Sub(s.limitedSince) > s.h.cfg.AnnounceInterval {
				s.limitedSince = now
				s.limited = 0
			}
			s.limited++
			if s.limited > n {
				s.closeWith(CloseRateLimited)
			}
			return false
		}
	}
	if allow := s.h.cfg.AllowRequest; allow != nil && !allow(s.addr) {
		s.h.obs.Limited(LimitIPAnnounces)
		return false
	}
	return true
}

// takeToken is a token bucket of n tokens refilled over AnnounceInterval,
// kept as the time its bucket is full again (GCRA).
func (s *session) takeToken(now int64, n int) bool {
	per := int64(s.h.cfg.AnnounceInterval) / int64(n)
	tat := max(s.bucket, now)
	if tat-now > per*int64(n-1) {
		return false
	}
	s.bucket = tat + per
	return true
}

// authorize asks Config.Authorize about ih.
func (s *session) authorize(action wire.Action, ih bittorrent.InfoHash) error {
	if auth := s.h.cfg.Authorize; auth != nil {
		return auth(action, ih, s.path)
	}
	return nil
}

// infoHash returns the decoded info hash, or nil when there is none, for
// failure replies.
func infoHashOf(r *wire.Request) *bittorrent.InfoHash {
	if r.HasInfoHash {
		return &r.InfoHash
	}
	return nil
}

func eventLabel(r *wire.Request) string {
	if !r.EventKnown {
		return "unknown"
	}
	if string(r.EventName) == "paused" {
		return "paused"
	}
	switch r.Event {
	case bittorrent.EventStarted:
		return "started"
	case bittorrent.EventCompleted:
		return "completed"
	case bittorrent.EventStopped:
		return "stopped"
	}
	return "update"
}

// admit checks what announces and answers both need, the ids and the
// access rules, and sends the failure when one is missing or refused.
func (s *session) admit(r *wire.Request) bool {
	switch {
	case !r.HasInfoHash:
		s.fail(wire.ActionAnnounce, nil, "invalid info_hash")
		return false
	case !r.HasPeerID:
		s.fail(wire.ActionAnnounce, &r.InfoHash, "invalid peer_id")
		return false
	}
	if err := s.authorize(wire.ActionAnnounce, r.InfoHash); err != nil {
		s.fail(wire.ActionAnnounce, &r.InfoHash, err.Error())
		return false
	}
	return true
}

func (s *session) announce(r *wire.Request, scr *scratch) {
	if !s.admit(r) {
		return
	}
	reg := registration{ih: r.InfoHash, peer: r.PeerID}
	idx := s.registered(reg)
	if r.Event != bittorrent.EventStopped && idx < 0 && len(s.regs) >= s.h.cfg.MaxTorrentsPerConn {
		s.fail(wire.ActionAnnounce, &r.InfoHash, reasonTooManyTorrents)
		return
	}

	a := Announce{
		InfoHash: r.InfoHash,
		PeerID:   r.PeerID,
		Conn:     s.id,
		Event:    r.Event,
		Left:     r.Left,
	}
	if r.Event != bittorrent.EventStopped {
		a.Targets = len(r.Offers)
	}
	counts, targets, err := s.h.cfg.Swarms.Announce(s.ctx, &a, scr.targets[:0])
	if err != nil {
		s.h.log.Warn().Err(err).Msg("swarm store announce failed")
		s.fail(wire.ActionAnnounce, &r.InfoHash, reasonUnavailable)
		return
	}
	scr.targets = targets

	if r.Event == bittorrent.EventStopped {
		if idx >= 0 {
			last := len(s.regs) - 1
			s.regs[idx] = s.regs[last]
			s.regs = s.regs[:last]
		}
	} else if idx < 0 {
		s.regs = append(s.regs, reg)
	}

	f := engine.NewFrame()
	*f = wire.AppendAnnounceResponse(*f, r.InfoHash, s.h.intervalSeconds(), counts)
	s.deliver(s, f)

	for i, t := range targets {
		s.relayOffer(r, &r.Offers[i], t)
	}
	for range a.Targets - len(targets) {
		s.h.obs.Dropped(DropNoTarget)
	}
}

// registered returns the index of reg in s.regs, or -1.
func (s *session) registered(reg registration) int {
	for i := range s.regs {
		if s.regs[i] == reg {
			return i
		}
	}
	return -1
}

// relayOffer sends one offer of s's announce to target. The offer is
// remembered by its target before it is queued, so that an answer, which
// may come as soon as the frame is out, finds it.
func (s *session) relayOffer(r *wire.Request, o *wire.Offer, t Target) {
	h := s.h
	to := h.lookup(t.Conn)
	if to == nil {
		h.obs.Dropped(DropTargetGone)
		return
	}
	to.remember(pendingOffer{
		id:       o.ID,
		ih:       r.InfoHash,
		from:     r.PeerID,
		to:       t.PeerID,
		fromConn: s.id,
		expires:  h.cfg.Now().Add(h.cfg.OfferTTL).UnixNano(),
	})
	f := engine.NewFrame()
	*f = wire.AppendOffer(*f, r.InfoHash, r.PeerID, o.ID, o.SDP)
	if queued(s.deliver(to, f)) {
		h.obs.OfferRelayed()
	} else {
		h.obs.Dropped(DropTargetGone)
	}
}

// answer relays an answer back to the connection its offer came from.
// Answers change no swarm state and get no response of their own.
func (s *session) answer(r *wire.Request) {
	if !s.admit(r) {
		return
	}
	now := s.h.cfg.Now().UnixNano()
	p, ok := s.takeOffer(r.OfferID, r.InfoHash, r.ToPeerID, r.PeerID, now)
	if !ok {
		s.h.obs.Dropped(DropNoOffer)
		s.fail(wire.ActionAnnounce, &r.InfoHash, reasonNoOffer)
		// Answers skip the request rate limits (a peer answers what it
		// was sent); one that matches no offer counts as invalid, so a
		// flood of made-up answers still ends the connection.
		s.noteInvalid()
		return
	}
	to := s.h.lookup(p.fromConn)
	if to == nil {
		s.h.obs.Dropped(DropTargetGone)
		return
	}
	f := engine.NewFrame()
	*f = wire.AppendAnswer(*f, r.InfoHash, r.PeerID, r.OfferID, r.Answer)
	if queued(s.deliver(to, f)) {
		s.h.obs.AnswerRelayed()
	} else {
		s.h.obs.Dropped(DropTargetGone)
	}
}

func (s *session) scrape(r *wire.Request, scr *scratch) {
	if r.ScrapeAll {
		s.fullScrape(scr)
		return
	}
	counts, err := s.h.cfg.Swarms.Scrape(s.ctx, r.ScrapeHashes, scr.counts[:0])
	if err != nil {
		s.h.log.Warn().Err(err).Msg("swarm store scrape failed")
		s.fail(wire.ActionScrape, nil, reasonUnavailable)
		return
	}
	if s.h.cfg.Authorize != nil {
		for i, ih := range r.ScrapeHashes {
			if i < len(counts) && s.authorize(wire.ActionScrape, ih) != nil {
				counts[i] = bittorrent.Counts{}
			}
		}
	}
	scr.counts = counts
	f := engine.NewFrame()
	*f = wire.AppendScrapeResponse(*f, r.ScrapeHashes, counts, s.h.intervalSeconds())
	s.deliver(s, f)
}

// fail sends a failure reply. It carries action and, when known, info_hash:
// clients drop failures without them.
func (s *session) fail(action wire.Action, ih *bittorrent.InfoHash, reason string) {
	s.h.obs.Failure(reason)
	f := engine.NewFrame()
	*f = wire.AppendFailure(*f, action, ih, reason)
	s.deliver(s, f)
}

// noteInvalid counts an invalid message and closes the connection when
// there have been too many within a minute.
func (s *session) noteInvalid() {
	now := s.h.cfg.Now()
	if now.Sub(s.invalidSince) > time.Minute {
		s.invalidSince = now
		s.invalid = 0
	}
	s.invalid++
	if s.invalid > s.h.cfg.MaxInvalidPerMinute {
		s.closeWith(CloseAbuse)
	}
}

func (h *Handler) intervalSeconds() int { return int(h.cfg.AnnounceInterval / time.Second) }

// fullScrape answers a scrape without info_hash: every swarm when the
// operator allows it, a failure otherwise.
func (s *session) fullScrape(scr *scratch) {
	fs, ok := s.h.cfg.Swarms.(bittorrent.FullScraper)
	if !s.h.cfg.AllowFullScrape || !ok {
		s.fail(wire.ActionScrape, nil, reasonFullScrape)
		return
	}
	var hashes []bittorrent.InfoHash
	counts := scr.counts[:0]
	err := fs.ScrapeAll(s.ctx, func(ih bittorrent.InfoHash, cs bittorrent.Counts) bool {
		if s.authorize(wire.ActionScrape, ih) != nil {
			return true
		}
		hashes = append(hashes, ih)
		counts = append(counts, cs)
		return true
	})
	if err != nil {
		s.h.log.Warn().Err(err).Msg("swarm store full scrape failed")
		s.fail(wire.ActionScrape, nil, reasonUnavailable)
		return
	}
	f := engine.NewFrame()
	*f = wire.AppendScrapeResponse(*f, hashes, counts, s.h.intervalSeconds())
	// A reply that would fill half the send queue by itself would get the
	// client dropped as a slow consumer; a failure it can read is better.
	if len(*f)-engine.Headroom > s.h.cfg.SendQueueBytes/2 {
		engine.FreeFrame(f)
		s.fail(wire.ActionScrape, nil, reasonFullScrapeSize)
		return
	}
	s.deliver(s, f)
}
