package signaling

import (
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
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
// took, to the observer. It runs on the session's handler only.
//
// The frames the message causes are queued while it is processed and
// written after it was reported (deliver), so that the observer has
// counted it before any client sees the result, and d is the time of the
// work alone.
func (s *session) handle(data []byte) {
	start := time.Now()
	scr := scratchPool.Get().(*scratch)
	s.scr = scr
	m := s.process(data, scr)
	// The request aliases data, which is not ours to keep.
	scr.req.EventName, scr.req.Answer = nil, wire.SDP{}
	clear(scr.req.Offers)
	s.h.obs.Handled(m, time.Since(start))
	s.flushOutbox()
	s.scr = nil
	scratchPool.Put(scr)
}

// process does the work of handle and says what the message was.
func (s *session) process(data []byte, scr *scratch) Message {
	r := &scr.req
	if err := s.h.dec.Decode(data, r); err != nil {
		f := failInvalid
		if de, ok := err.(*wire.DecodeError); ok {
			f = failure{de.Code, de.Reason}
		}
		s.fail(r.Action, infoHashOf(r), f)
		s.noteInvalid()
		return Message{Invalid: true}
	}
	switch {
	case r.Action == bittorrent.ActionScrape:
		if s.allowRequest() {
			s.scrape(r, scr)
		} else {
			s.fail(bittorrent.ActionScrape, nil, failRateLimited)
		}
		return Message{Action: bittorrent.ActionScrape}
	case r.HasAnswer:
		s.answer(r)
		return Message{Action: bittorrent.ActionAnnounce, Answer: true}
	default:
		if s.allowRequest() {
			s.announce(r, scr)
		} else {
			s.fail(bittorrent.ActionAnnounce, infoHashOf(r), failRateLimited)
		}
		return announceMessage(r)
	}
}

// infoHashOf returns the decoded info hash, or nil when there is none, for
// failure replies.
func infoHashOf(r *wire.Request) *bittorrent.InfoHash {
	if r.HasInfoHash {
		return &r.InfoHash
	}
	return nil
}

// admit checks what announces and answers both need, the ids and the
// access rules, and sends the failure when one is missing or refused.
func (s *session) admit(r *wire.Request) bool {
	switch {
	case !r.HasInfoHash:
		s.fail(bittorrent.ActionAnnounce, nil, failNoInfoHash)
		return false
	case !r.HasPeerID:
		s.fail(bittorrent.ActionAnnounce, &r.InfoHash, failNoPeerID)
		return false
	}
	if err := s.authorize(bittorrent.ActionAnnounce, r.InfoHash); err != nil {
		s.fail(bittorrent.ActionAnnounce, &r.InfoHash, denied(err))
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
		s.fail(bittorrent.ActionAnnounce, &r.InfoHash, failTooManyTorrents)
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
		if idx < 0 {
			// Registered before the store is asked, so that a call that
			// fails (or is cut short when the connection ends) after the
			// store took it still has the peer removed with the
			// connection; Leave only removes what is bound to it.
			s.regs = append(s.regs, reg)
			idx = len(s.regs) - 1
		}
	}
	counts, targets, err := s.h.cfg.Swarms.Announce(s.ctx, &a, scr.targets[:0])
	if err != nil {
		s.h.storeLog.Warn().Err(err).Msg("swarm store announce failed")
		s.fail(bittorrent.ActionAnnounce, &r.InfoHash, failUnavailable)
		return
	}
	scr.targets = targets

	if r.Event == bittorrent.EventStopped && idx >= 0 {
		last := len(s.regs) - 1
		s.regs[idx] = s.regs[last]
		s.regs = s.regs[:last]
	}

	f := engine.NewFrame()
	*f = wire.AppendAnnounceResponse(*f, r.InfoHash, s.h.intervalSeconds(), counts)
	s.deliver(s, f)

	for i, t := range targets {
		s.relayOffer(r, &r.Offers[i], t)
	}
	for range a.Targets - len(targets) {
		s.recordDrop(DropNoTarget, "offer", 0)
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
// may come as soon as the frame is out, finds it. A target on another
// node is reached through the Router; that node remembers and queues it.
func (s *session) relayOffer(r *wire.Request, o *wire.Offer, t Target) {
	h := s.h
	if !h.local(t.Conn) {
		f := engine.NewFrame()
		*f = wire.AppendOffer(*f, r.InfoHash, r.PeerID, o.ID, o.SDP)
		s.route(&Relay{
			Kind:     RelayOffer,
			To:       t.Conn,
			Message:  (*f)[engine.Headroom:],
			From:     s.id,
			InfoHash: r.InfoHash,
			PeerID:   r.PeerID,
			ToPeerID: t.PeerID,
			OfferID:  o.ID,
		})
		engine.FreeFrame(f)
		return
	}
	to := h.lookup(t.Conn)
	if to == nil {
		s.recordDrop(DropTargetGone, "offer", t.Conn)
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
	if out := s.deliver(to, f); queued(out) {
		h.obs.OfferRelayed()
	} else {
		s.recordDrop(dropReason(out), "offer", t.Conn)
	}
}

// answer relays an answer back to the connection its offer came from,
// on this node or another. Answers change no swarm state and get no
// response of their own.
func (s *session) answer(r *wire.Request) {
	if !s.admit(r) {
		return
	}
	now := s.h.cfg.Now().UnixNano()
	p, ok := s.takeOffer(r.OfferID, r.InfoHash, r.ToPeerID, r.PeerID, now)
	if !ok {
		s.recordDrop(DropNoOffer, "answer", 0)
		s.fail(bittorrent.ActionAnnounce, &r.InfoHash, failNoOffer)
		// Answers skip the request rate limits (a peer answers what it
		// was sent); one that matches no offer counts as invalid, so a
		// flood of made-up answers still ends the connection.
		s.noteInvalid()
		return
	}
	f := engine.NewFrame()
	*f = wire.AppendAnswer(*f, r.InfoHash, r.PeerID, r.OfferID, r.Answer)
	if !s.h.local(p.fromConn) {
		s.route(&Relay{Kind: RelayAnswer, To: p.fromConn, Message: (*f)[engine.Headroom:]})
		engine.FreeFrame(f)
		return
	}
	to := s.h.lookup(p.fromConn)
	if to == nil {
		engine.FreeFrame(f)
		s.recordDrop(DropTargetGone, "answer", p.fromConn)
		return
	}
	if out := s.deliver(to, f); queued(out) {
		s.h.obs.AnswerRelayed()
	} else {
		s.recordDrop(dropReason(out), "answer", p.fromConn)
	}
}

func (s *session) scrape(r *wire.Request, scr *scratch) {
	if r.ScrapeAll {
		s.fullScrape(scr)
		return
	}
	counts, err := s.h.cfg.Swarms.Scrape(s.ctx, r.ScrapeHashes, scr.counts[:0])
	if err != nil {
		s.h.storeLog.Warn().Err(err).Msg("swarm store scrape failed")
		s.fail(bittorrent.ActionScrape, nil, failUnavailable)
		return
	}
	if s.h.cfg.Policy != nil {
		for i, ih := range r.ScrapeHashes {
			if i < len(counts) && s.authorize(bittorrent.ActionScrape, ih) != nil {
				counts[i] = bittorrent.Counts{}
			}
		}
	}
	scr.counts = counts
	f := engine.NewFrame()
	*f = wire.AppendScrapeResponse(*f, r.ScrapeHashes, counts, s.h.intervalSeconds())
	s.deliver(s, f)
}

func (h *Handler) intervalSeconds() int { return int(h.cfg.AnnounceInterval / time.Second) }

// fullScrape answers a scrape without info_hash: every swarm when the
// operator allows it, a failure otherwise.
func (s *session) fullScrape(scr *scratch) {
	fs, ok := s.h.cfg.Swarms.(bittorrent.FullScraper)
	if !s.h.cfg.AllowFullScrape || !ok {
		s.fail(bittorrent.ActionScrape, nil, failFullScrape)
		return
	}
	var hashes []bittorrent.InfoHash
	counts := scr.counts[:0]
	err := fs.ScrapeAll(s.ctx, func(ih bittorrent.InfoHash, cs bittorrent.Counts) bool {
		if s.authorize(bittorrent.ActionScrape, ih) != nil {
			return true
		}
		hashes = append(hashes, ih)
		counts = append(counts, cs)
		return true
	})
	if err != nil {
		s.h.storeLog.Warn().Err(err).Msg("swarm store full scrape failed")
		s.fail(bittorrent.ActionScrape, nil, failUnavailable)
		return
	}
	f := engine.NewFrame()
	*f = wire.AppendScrapeResponse(*f, hashes, counts, s.h.intervalSeconds())
	// A reply that would fill half the send queue by itself would get the
	// client dropped as a slow consumer; a failure it can read is better.
	if len(*f)-engine.Headroom > s.h.cfg.SendQueueBytes/2 {
		engine.FreeFrame(f)
		s.fail(bittorrent.ActionScrape, nil, failFullScrapeSize)
		return
	}
	s.deliver(s, f)
}
