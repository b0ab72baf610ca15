package signaling

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
)

// session is the relay's state of one connection, and its engine.Session:
// the engine calls Message and Finish on the connection's read side, one
// at a time, and Closed once at the end. Fields under "read side" are only
// touched from there; pending is shared with the read sides of other
// connections, which relay offers to this one.
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

	// read side
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
	ctx, cancel := context.WithCancel(context.Background())
	return &session{
		h:      h,
		c:      c,
		id:     ConnID(c.ID()),
		addr:   addr,
		key:    key,
		path:   path,
		opened: h.cfg.Now(),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Message handles one client message (engine.Session); see handle.
func (s *session) Message(payload []byte) { s.handle(payload) }

// Finish removes the connection's peers from the swarms, so that no peer
// picks it as a target any longer (engine.Session).
func (s *session) Finish() {
	// The connection context is still live here so a remote store can be
	// reached; bound how long cleanup may take.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	for _, r := range s.regs {
		if err := s.h.cfg.Swarms.Leave(ctx, r.ih, r.peer, s.id); err != nil {
			s.h.log.Warn().Err(err).Str("info_hash", r.ih.String()).Msg("removing a closed connection's peer failed")
		}
	}
	cancel()
	s.torrents = len(s.regs)
	s.regs = nil
	s.cancel()
}

// Closed gives the admission slot back, counts and logs the close
// (engine.Session). It happens after Finish.
func (s *session) Closed(r engine.CloseReason) {
	reason := CloseReason(r)
	s.h.release(s.key)
	s.h.obs.ConnClosed(reason)
	ev := s.h.log.Debug()
	switch reason {
	case CloseSlowConsumer, CloseAbuse, CloseWriteError:
		ev = s.h.log.Info()
	}
	ev.Uint64("conn", uint64(s.id)).
		Str("addr", s.addr.String()).
		Str("reason", reason.String()).
		Int("torrents", s.torrents).
		Dur("age", s.h.cfg.Now().Sub(s.opened)).
		Msg("websocket closed")
}

// closeWith ends the connection for a reason the relay decides.
func (s *session) closeWith(r CloseReason) { s.c.Close(engine.CloseReason(r)) }

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

// flushOutbox writes what deliver queued. It runs on s's read side.
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
