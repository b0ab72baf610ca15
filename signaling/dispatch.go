package signaling

import (
	"errors"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
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
	req     Request
	targets []Target
	counts  []bittorrent.Counts
	outbox  []*conn // connections with frames to write (deliver)
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// handle processes one client message and reports it, with how long it
// took, to the observer. It runs on the connection's read side only.
//
// The frames the message causes are queued while it is processed and
// written after it was reported (deliver), so that the observer has
// counted it before any client sees the result, and d is the time of the
// work alone.
func (c *conn) handle(data []byte) {
	start := time.Now()
	s := scratchPool.Get().(*scratch)
	c.scr = s
	action, event := c.process(data, s)
	// The request aliases data, which is not ours to keep.
	s.req.EventName, s.req.Answer = nil, SDP{}
	clear(s.req.Offers)
	c.h.obs.Handled(action, event, time.Since(start))
	c.flushOutbox()
	c.scr = nil
	scratchPool.Put(s)
}

// process does the work of handle and returns the labels of the message:
// its action ("announce", "answer", "scrape" or "invalid") and, for
// announces, its event.
func (c *conn) process(data []byte, s *scratch) (action, event string) {
	r := &s.req
	if err := c.h.dec.Decode(data, r); err != nil {
		reason := "invalid message"
		var de *DecodeError
		if errors.As(err, &de) {
			reason = de.Reason
		}
		c.fail(r.Action, r.infoHash(), reason)
		c.noteInvalid()
		return "invalid", ""
	}
	switch {
	case r.Action == ActionScrape:
		if c.allowRequest() {
			c.scrape(r, s)
		} else {
			c.fail(ActionScrape, nil, ReasonRateLimited)
		}
		return "scrape", ""
	case r.HasAnswer:
		c.answer(r)
		return "answer", ""
	default:
		if c.allowRequest() {
			c.announce(r, s)
		} else {
			c.fail(ActionAnnounce, r.infoHash(), ReasonRateLimited)
		}
		return "announce", eventLabel(r)
	}
}

// allowRequest applies the rate limits to an announce or scrape: the
// connection's own token bucket, then the shared per-address one. A
// connection refused more than AnnouncesPerConn times within one announce
// interval is closed: it ignores the failures.
func (c *conn) allowRequest() bool {
	if n := c.h.cfg.AnnouncesPerConn; n > 0 {
		now := c.h.cfg.Now()
		if !c.takeToken(now.UnixNano(), n) {
			c.h.obs.Limited(LimitConnAnnounces)
			if now.Sub(c.limitedSince) > c.h.cfg.AnnounceInterval {
				c.limitedSince = now
				c.limited = 0
			}
			c.limited++
			if c.limited > n {
				c.closeWith(CloseRateLimited)
			}
			return false
		}
	}
	if allow := c.h.cfg.AllowRequest; allow != nil && !allow(c.addr) {
		c.h.obs.Limited(LimitIPAnnounces)
		return false
	}
	return true
}

// takeToken is a token bucket of n tokens refilled over AnnounceInterval,
// kept as the time its bucket is full again (GCRA).
func (c *conn) takeToken(now int64, n int) bool {
	per := int64(c.h.cfg.AnnounceInterval) / int64(n)
	tat := max(c.bucket, now)
	if tat-now > per*int64(n-1) {
		return false
	}
	c.bucket = tat + per
	return true
}

// authorize asks Config.Authorize about ih.
func (c *conn) authorize(action Action, ih bittorrent.InfoHash) error {
	if auth := c.h.cfg.Authorize; auth != nil {
		return auth(action, ih, c.path)
	}
	return nil
}

// infoHash returns the decoded info hash, or nil when there is none, for
// failure replies.
func (r *Request) infoHash() *bittorrent.InfoHash {
	if r.HasInfoHash {
		return &r.InfoHash
	}
	return nil
}

func eventLabel(r *Request) string {
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
func (c *conn) admit(r *Request) bool {
	switch {
	case !r.HasInfoHash:
		c.fail(ActionAnnounce, nil, "invalid info_hash")
		return false
	case !r.HasPeerID:
		c.fail(ActionAnnounce, &r.InfoHash, "invalid peer_id")
		return false
	}
	if err := c.authorize(ActionAnnounce, r.InfoHash); err != nil {
		c.fail(ActionAnnounce, &r.InfoHash, err.Error())
		return false
	}
	return true
}

func (c *conn) announce(r *Request, s *scratch) {
	if !c.admit(r) {
		return
	}
	reg := registration{ih: r.InfoHash, peer: r.PeerID}
	idx := c.registered(reg)
	if r.Event != bittorrent.EventStopped && idx < 0 && len(c.regs) >= c.h.cfg.MaxTorrentsPerConn {
		c.fail(ActionAnnounce, &r.InfoHash, reasonTooManyTorrents)
		return
	}

	a := Announce{
		InfoHash: r.InfoHash,
		PeerID:   r.PeerID,
		Conn:     c.id,
		Event:    r.Event,
		Left:     r.Left,
	}
	if r.Event != bittorrent.EventStopped {
		a.Targets = len(r.Offers)
	}
	counts, targets, err := c.h.cfg.Swarms.Announce(c.ctx, &a, s.targets[:0])
	if err != nil {
		c.h.log.Warn().Err(err).Msg("swarm store announce failed")
		c.fail(ActionAnnounce, &r.InfoHash, reasonUnavailable)
		return
	}
	s.targets = targets

	if r.Event == bittorrent.EventStopped {
		if idx >= 0 {
			last := len(c.regs) - 1
			c.regs[idx] = c.regs[last]
			c.regs = c.regs[:last]
		}
	} else if idx < 0 {
		c.regs = append(c.regs, reg)
	}

	f := newFrame()
	*f = AppendAnnounceResponse(*f, r.InfoHash, c.h.intervalSeconds(), counts)
	c.deliver(c, f, nil)

	for i, t := range targets {
		c.h.relayOffer(c, r, &r.Offers[i], t)
	}
	for range a.Targets - len(targets) {
		c.h.obs.Dropped(DropNoTarget)
	}
}

// registered returns the index of reg in c.regs, or -1.
func (c *conn) registered(reg registration) int {
	for i := range c.regs {
		if c.regs[i] == reg {
			return i
		}
	}
	return -1
}

// relayOffer sends one offer of from's announce to target.
func (h *Handler) relayOffer(from *conn, r *Request, o *Offer, t Target) {
	to := h.lookup(t.Conn)
	if to == nil {
		h.obs.Dropped(DropTargetGone)
		return
	}
	f := newFrame()
	*f = AppendOffer(*f, r.InfoHash, r.PeerID, o.ID, o.SDP)
	p := pendingOffer{
		id:       o.ID,
		ih:       r.InfoHash,
		from:     r.PeerID,
		to:       t.PeerID,
		fromConn: from.id,
		expires:  h.cfg.Now().Add(h.cfg.OfferTTL).UnixNano(),
	}
	if from.deliver(to, f, &p) {
		h.obs.OfferRelayed()
	} else {
		h.obs.Dropped(DropTargetGone)
	}
}

// answer relays an answer back to the connection its offer came from.
// Answers change no swarm state and get no response of their own.
func (c *conn) answer(r *Request) {
	if !c.admit(r) {
		return
	}
	now := c.h.cfg.Now().UnixNano()
	c.mu.Lock()
	p, ok := c.pending.take(r.OfferID, r.InfoHash, r.ToPeerID, r.PeerID, now)
	c.mu.Unlock()
	if !ok {
		c.h.obs.Dropped(DropNoOffer)
		c.fail(ActionAnnounce, &r.InfoHash, reasonNoOffer)
		// Answers skip the request rate limits (a peer answers what it
		// was sent); one that matches no offer counts as invalid, so a
		// flood of made-up answers still ends the connection.
		c.noteInvalid()
		return
	}
	to := c.h.lookup(p.fromConn)
	if to == nil {
		c.h.obs.Dropped(DropTargetGone)
		return
	}
	f := newFrame()
	*f = AppendAnswer(*f, r.InfoHash, r.PeerID, r.OfferID, r.Answer)
	if c.deliver(to, f, nil) {
		c.h.obs.AnswerRelayed()
	} else {
		c.h.obs.Dropped(DropTargetGone)
	}
}

func (c *conn) scrape(r *Request, s *scratch) {
	if r.ScrapeAll {
		c.fullScrape(s)
		return
	}
	counts, err := c.h.cfg.Swarms.Scrape(c.ctx, r.ScrapeHashes, s.counts[:0])
	if err != nil {
		c.h.log.Warn().Err(err).Msg("swarm store scrape failed")
		c.fail(ActionScrape, nil, reasonUnavailable)
		return
	}
	if c.h.cfg.Authorize != nil {
		for i, ih := range r.ScrapeHashes {
			if i < len(counts) && c.authorize(ActionScrape, ih) != nil {
				counts[i] = bittorrent.Counts{}
			}
		}
	}
	s.counts = counts
	f := newFrame()
	*f = AppendScrapeResponse(*f, r.ScrapeHashes, counts, c.h.intervalSeconds())
	c.deliver(c, f, nil)
}

// fail sends a failure reply. It carries action and, when known, info_hash:
// clients drop failures without them.
func (c *conn) fail(action Action, ih *bittorrent.InfoHash, reason string) {
	c.h.obs.Failure(reason)
	f := newFrame()
	*f = AppendFailure(*f, action, ih, reason)
	c.deliver(c, f, nil)
}

// noteInvalid counts an invalid message and closes the connection when
// there have been too many within a minute.
func (c *conn) noteInvalid() {
	now := c.h.cfg.Now()
	if now.Sub(c.invalidSince) > time.Minute {
		c.invalidSince = now
		c.invalid = 0
	}
	c.invalid++
	if c.invalid > c.h.cfg.MaxInvalidPerMinute {
		c.closeWith(CloseAbuse)
	}
}

func (h *Handler) intervalSeconds() int { return int(h.cfg.AnnounceInterval / time.Second) }

// fullScrape answers a scrape without info_hash: every swarm when the
// operator allows it, a failure otherwise.
func (c *conn) fullScrape(s *scratch) {
	fs, ok := c.h.cfg.Swarms.(bittorrent.FullScraper)
	if !c.h.cfg.AllowFullScrape || !ok {
		c.fail(ActionScrape, nil, reasonFullScrape)
		return
	}
	var hashes []bittorrent.InfoHash
	counts := s.counts[:0]
	err := fs.ScrapeAll(c.ctx, func(ih bittorrent.InfoHash, cs bittorrent.Counts) bool {
		if c.authorize(ActionScrape, ih) != nil {
			return true
		}
		hashes = append(hashes, ih)
		counts = append(counts, cs)
		return true
	})
	if err != nil {
		c.h.log.Warn().Err(err).Msg("swarm store full scrape failed")
		c.fail(ActionScrape, nil, reasonUnavailable)
		return
	}
	f := newFrame()
	*f = AppendScrapeResponse(*f, hashes, counts, c.h.intervalSeconds())
	// A reply that would fill half the send queue by itself would get the
	// client dropped as a slow consumer; a failure it can read is better.
	if len(*f)-frameHeadroom > c.h.cfg.SendQueueBytes/2 {
		putBuf(f)
		c.fail(ActionScrape, nil, reasonFullScrapeSize)
		return
	}
	c.deliver(c, f, nil)
}
