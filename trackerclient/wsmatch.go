package trackerclient

import (
	"fmt"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// dispatch gives one tracker message to the request it answers, or to
// Messages, or counts it. The rules are on WSClient; they follow from the
// tracker answering one connection's requests in order.
func (c *WSClient) dispatch(in wsIncoming) {
	switch in.kind {
	case wsOffer, wsAnswer:
		if in.err != nil {
			c.malformedN.Add(1)
			return
		}
		c.unsolicited(in.relay)
	case wsAnnounceReply:
		w := c.take(func(w *wsWaiter) bool { return w.kind == waitAnnounce && w.ih == in.ih })
		switch {
		case w == nil && in.err != nil:
			c.malformedN.Add(1)
		case w == nil:
			c.unmatched.Add(1)
		default:
			c.answer(w, wsReply{announce: in.announce, err: replyErr("announce", in.err)})
		}
	case wsScrapeReply:
		w := c.take(func(w *wsWaiter) bool { return w.kind == waitScrape })
		switch {
		case w == nil && in.err != nil:
			c.malformedN.Add(1)
		case w == nil:
			c.unmatched.Add(1)
		case in.err != nil:
			c.answer(w, wsReply{err: replyErr("scrape", in.err)})
		default:
			c.answer(w, wsReply{scrape: scrapeFor(w.hashes, in)})
		}
	case wsFailure:
		w := c.take(failureClaims(in))
		if w == nil {
			c.unsolicited(Message{Kind: MessageFailure, InfoHash: in.failure.InfoHash, Failure: in.failure})
			return
		}
		c.answer(w, wsReply{err: fmt.Errorf("websocket %s: %w", opName(w.kind), in.failure)})
	default: // unreadable: most likely the reply to the oldest request
		w := c.take(func(*wsWaiter) bool { return true })
		if w == nil {
			c.malformedN.Add(1)
			return
		}
		c.answer(w, wsReply{err: replyErr(opName(w.kind), in.err)})
	}
}

// failureClaims says which request a failure refuses: a scrape failure
// the oldest scrape; an announce failure the announce of its info hash,
// or without one the oldest announce; a failure without an action (what
// bittorrent-tracker sends for a message it cannot parse) the oldest
// request.
func failureClaims(in wsIncoming) func(*wsWaiter) bool {
	switch {
	case in.action == "scrape":
		return func(w *wsWaiter) bool { return w.kind == waitScrape }
	case in.action == "announce" && in.hasIH:
		return func(w *wsWaiter) bool { return w.kind == waitAnnounce && w.ih == in.ih }
	case in.action == "announce":
		return func(w *wsWaiter) bool { return w.kind == waitAnnounce }
	}
	return func(*wsWaiter) bool { return true }
}

// take removes and returns the first waiting request that match accepts,
// abandoned ones included (they absorb their late reply), or nil.
func (c *WSClient) take(match func(*wsWaiter) bool) *wsWaiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.waiting {
		if match(w) {
			c.waiting = append(c.waiting[:i], c.waiting[i+1:]...)
			return w
		}
	}
	return nil
}

// answer delivers a reply; one to an abandoned request is dropped with it.
func (c *WSClient) answer(w *wsWaiter, r wsReply) {
	w.ch <- r // buffered, and a waiter leaves the queue only once
}

func replyErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("websocket %s: %w", op, err)
}

func opName(k wsWaitKind) string {
	if k == waitScrape {
		return "scrape"
	}
	return "announce"
}

// scrapeFor keeps the requested hashes of a scrape reply (every hash for
// a full scrape).
func scrapeFor(hashes []bittorrent.InfoHash, in wsIncoming) *ScrapeResponse {
	if len(hashes) == 0 {
		return &ScrapeResponse{Files: in.files, Quirks: in.quirks}
	}
	r := &ScrapeResponse{Files: make(map[bittorrent.InfoHash]bittorrent.Counts, len(hashes)), Quirks: in.quirks}
	for _, h := range hashes {
		if cnt, ok := in.files[h]; ok {
			r.Files[h] = cnt
		}
	}
	return r
}
