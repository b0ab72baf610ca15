package signaling

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
)

// session is the relay's state of one connection, and its engine.Session.
// The engine calls Message and Finish on the connection's read side, one
// at a time, and Closed once at the end. With a store that answers at
// memory speed they do their work right there; when Swarms may block,
// they queue it in the session's inbox, and a worker of the Handler runs
// it (inbox.go). Either way one goroutine at a time works for a session,
// in the order of the connection's messages: its handler. Fields under
// "handler" are only touched by it. pending is shared with the handlers
// of other connections, which relay offers to this one, and with
// Handler.Deliver.
type session struct {
	h      *Handler
	c      *engine.Conn
	id     ConnID
	addr   netip.Addr
	key    netip.Addr // addrKey(addr): its admission slot
	path   string     // the URL path of the upgrade, for Config.Policy.Authorize
	opened time.Time
	ctx    context.Context // ends when the connection ends
	cancel context.CancelFunc
	async  bool  // messages go through inbox to a worker (Swarms may block)
	inbox  inbox // when async

	// handler
	scr          *scratch // while a message is handled (dispatch.go)
	regs         []registration
	invalid      int
	invalidSince time.Time
	bucket       int64 // announce bucket: ns (Now) when it is full again
	limited      int   // messages refused by AnnouncesPerConn since limitedSince
	limitedSince time.Time
	torrents     int // registrations when the connection ended, for the log

	pmu     sync.Mutex
	pending pendingOffers // offers relayed to this connection, not answered yet
}

// registration is one (info hash, peer id) this connection announced.
type registration struct {
	ih   bittorrent.InfoHash
	peer bittorrent.PeerID
}

func newSession(h *Handler, c *engine.Conn, addr, key netip.Addr, path string) *session {
	ctx, cancel := context.WithCancel(h.ctx)
	return &session{
		h:      h,
		c:      c,
		id:     connIDOf(h.cfg.NodeID, c.ID()),
		async:  h.async,
		addr:   addr,
		key:    key,
		path:   path,
		opened: h.cfg.Now(),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Message handles one client message (engine.Session): at once, or, when
// Swarms may block, by queueing a copy for a worker.
func (s *session) Message(payload []byte) {
	if s.async {
		s.queueMessage(payload)
		return
	}
	s.handle(payload)
}

// Finish removes the connection's peers from the swarms, so that no peer
// picks it as a target any longer (engine.Session). When Swarms may block,
// a worker does it after the message in hand (inbox.go).
func (s *session) Finish() {
	if s.async {
		s.cancel()
		s.queueEnd(inboxItem{kind: itemFinish})
		return
	}
	s.finish()
}

// Closed gives the admission slot back, counts and logs the close
// (engine.Session). It happens after Finish, and when Swarms may block,
// after Finish's work on the worker.
func (s *session) Closed(r engine.CloseReason) {
	if s.async {
		s.queueEnd(inboxItem{kind: itemClosed, reason: r})
		return
	}
	s.closed(r)
}

// leaveParallel is how many Leave calls the end of a connection makes at
// once when Swarms may block, so that they share round trips.
const leaveParallel = 16

// finish is Finish's work, on the session's handler.
func (s *session) finish() {
	// The connection context may be over: cleanup gets a context of its
	// own, bounded, and ended early only by a Shutdown that runs out of
	// time.
	ctx, cancel := context.WithTimeout(s.h.ctx, 10*time.Second)
	defer cancel()
	leave := func(r registration) {
		if err := s.h.cfg.Swarms.Leave(ctx, r.ih, r.peer, s.id); err != nil {
			s.h.storeLog.Warn().Err(err).Str("info_hash", r.ih.String()).Msg("removing a closed connection's peer failed")
		}
	}
	if s.async && len(s.regs) > 1 {
		var g errgroup.Group
		g.SetLimit(leaveParallel)
		for _, r := range s.regs {
			g.Go(func() error { leave(r); return nil })
		}
		_ = g.Wait()
	} else {
		for _, r := range s.regs {
			leave(r)
		}
	}
	s.torrents = len(s.regs)
	s.regs = nil
	s.cancel()
}

// closed is Closed's work, on the session's handler.
func (s *session) closed(r engine.CloseReason) {
	reason := CloseReason(r)
	s.h.release(s.key)
	s.h.obs.ConnClosed(reason)
	ev := s.h.log.Debug()
	switch reason {
	case CloseSlowConsumer, CloseAbuse, CloseWriteError, CloseInboxFull:
		ev = s.h.log.Info()
	}
	ev.Uint64("conn", uint64(s.id)).
		Str("addr", s.addr.String()).
		Str("reason", reason.String()).
		Int("torrents", s.torrents).
		Dur("age", s.h.cfg.Now().Sub(s.opened)).
		Msg("websocket closed")
}

// closeWith ends the connection for a reason the relay decides. As on the
// read side, where the engine hands over no message once a close has
// begun, messages still queued are not handled.
func (s *session) closeWith(r CloseReason) {
	if s.async {
		s.stopMessages()
	}
	s.c.Close(engine.CloseReason(r))
}

// deliver queues a text message for to (which may be s itself) while s
// handles a message, and takes ownership of it; it is encoded behind the
// headroom of engine.NewFrame. It reports what the engine did with it. The
// message is written once s's message has been handled (see handle),
// after the relay counted what it did: no client sees a frame before the
// metrics do, and messages to one peer go out together.
func (s *session) deliver(to *session, f *[]byte) engine.Outcome {
	out := to.c.Enqueue(f)
	switch {
	case out != engine.QueuedIdle:
	case s.scr == nil:
		to.c.Flush()
	case !slices.Contains(s.scr.outbox, to):
		s.scr.outbox = append(s.scr.outbox, to)
	}
	return out
}

// flushOutbox writes what deliver queued. It runs on s's handler.
func (s *session) flushOutbox() {
	out := s.scr.outbox
	for i, to := range out {
		to.c.Flush()
		out[i] = nil
	}
	s.scr.outbox = out[:0]
}

// queued reports whether deliver queued the message.
func queued(o engine.Outcome) bool { return o == engine.Queued || o == engine.QueuedIdle }
