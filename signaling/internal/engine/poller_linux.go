package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// On Linux the read side of plain TCP connections is served by a few
// pollers instead of a goroutine each, so an idle connection costs neither
// a goroutine stack nor a read buffer.
//
// A poller is one goroutine with its own epoll instance; a connection is
// registered with one poller for its whole life (by id), so it is only
// ever read by that goroutine and its messages are handled in order. The
// registrations are level-triggered: a poller reads what is there when
// the socket is readable and stops; epoll reports the socket again if more
// is left, so no re-arming call is needed per message.
//
// A poller does not block a thread in epoll_wait: its epoll descriptor is
// itself registered with the Go runtime's network poller (an epoll
// descriptor is readable while it has events), the goroutine parks there,
// and when woken it collects the events with a non-blocking epoll_wait.
// Waking it costs the same as waking any goroutine blocked on a socket, and
// stopping it is closing the descriptor. Messages are handled inline, on
// the poller, so a Swarms implementation that blocks stalls the other
// connections of that poller meanwhile.

// pollReadSize is a poller's read buffer: messages that arrive whole in it
// are handled where they lie.
const pollReadSize = 64 << 10

// maxReadsPerWake bounds the reads a poller does for one connection before
// it serves the others; epoll reports the connection again if more is left.
const maxReadsPerWake = 4

// pollerSet is the Engine's pollers.
type pollerSet struct {
	pollers []*poller
	wg      sync.WaitGroup
}

// poller serves the read side of the connections registered with it.
type poller struct {
	e      *Engine
	epfd   int
	file   *os.File        // epfd, so the goroutine can park in the runtime's poller
	raw    syscall.RawConn // file's
	events []unix.EpollEvent
	n      int   // events collected by collect
	err    error // epoll_wait's error
	wait   func(uintptr) bool
	rd     *rawReader // reads plain connections into its buffer
	tlsRd  *rawReader // reads TLS connections into crypto/tls's buffers

	// TLS connections read lately, whose crypto/tls buffers go once they
	// are idle, and whether a sweep is due (tlsidle_linux.go).
	tlsBusy    []*Conn
	sweepArmed bool
}

// startPollers starts n pollers for e.
func startPollers(e *Engine, n int) (*pollerSet, error) {
	s := &pollerSet{}
	for range max(n, 1) {
		p, err := newPoller(e)
		if err != nil {
			for _, p := range s.pollers {
				_ = p.file.Close()
			}
			return nil, err
		}
		s.pollers = append(s.pollers, p)
	}
	for _, p := range s.pollers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			p.run()
		}()
	}
	return s, nil
}

func newPoller(e *Engine) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("signaling: epoll_create1: %w", err)
	}
	// Non-blocking, so os.NewFile hands it to the runtime's poller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("signaling: epoll descriptor: %w", err)
	}
	file := os.NewFile(uintptr(epfd), "epoll")
	// Only files the runtime polls support deadlines.
	if err := file.SetReadDeadline(time.Time{}); err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("signaling: the runtime cannot poll an epoll descriptor: %w", err)
	}
	raw, err := file.SyscallConn()
	if err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("signaling: epoll descriptor: %w", err)
	}
	p := &poller{
		e:      e,
		epfd:   epfd,
		file:   file,
		raw:    raw,
		events: make([]unix.EpollEvent, 128),
		rd:     newRawReader(pollReadSize),
		tlsRd:  newRawReader(0),
	}
	p.wait = p.collect
	return p, nil
}

// pick returns the poller for a connection.
func (s *pollerSet) pick(id uint64) *poller {
	return s.pollers[uint64(id)%uint64(len(s.pollers))]
}

// stop stops the pollers and waits for them. Every connection must be gone.
func (s *pollerSet) stop() {
	for _, p := range s.pollers {
		// Closing wakes the goroutine parked on it, which then returns.
		_ = p.file.Close()
	}
	s.wg.Wait()
}

// run collects and serves events until the poller is stopped.
func (p *poller) run() {
	for {
		if err := p.raw.Read(p.wait); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				p.sweepTLS()
				continue
			}
			return // stopped
		}
		if p.err != nil {
			// Not expected from a valid epoll descriptor; the connections
			// of this poller cannot be served any more.
			p.e.log.Error().Err(p.err).Msg("epoll_wait failed; WebSocket poller stopped")
			return
		}
		for i := range p.events[:p.n] {
			if c := p.e.Lookup(eventConn(&p.events[i])); c != nil {
				p.serve(c)
			}
		}
	}
}

// collect takes the ready events without blocking; when there are none the
// goroutine parks until the epoll descriptor is readable.
func (p *poller) collect(fd uintptr) bool {
	for {
		n, err := sysEpollPoll(int(fd), p.events)
		if err == unix.EINTR {
			continue
		}
		p.n, p.err = n, err
		return n > 0 || err != nil
	}
}

// add registers c, whose read side must be idle until add returns.
func (p *poller) add(c *Conn) error {
	fd := -1
	if err := c.raw.Control(func(s uintptr) { fd = int(s) }); err != nil {
		return fmt.Errorf("signaling: socket descriptor: %w", err)
	}
	c.fd = int32(fd)
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP}
	setEventConn(&ev, c.id)
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("signaling: epoll_ctl add: %w", err)
	}
	return nil
}

// remove unregisters c. It runs on c's read side, before c's socket is
// closed: after that the descriptor number may belong to another socket.
func (p *poller) remove(c *Conn) {
	var ev unix.EpollEvent
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(c.fd), &ev)
}

// setEventConn and eventConn keep a connection id in the 64 bits of user data of
// an epoll event, which x/sys/unix splits into Fd and Pad.
func setEventConn(ev *unix.EpollEvent, id uint64) {
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
}

func eventConn(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// serve serves c after epoll reported its socket readable (or closed).
func (p *poller) serve(c *Conn) {
	c.rmu.Lock()
	if c.ended {
		// Ended on another goroutine (Start) after this event was
		// collected.
		c.rmu.Unlock()
		return
	}
	if c.sock == nil {
		if end, more := c.readAvailable(p.rd); !more {
			c.finish(end)
		}
		c.rmu.Unlock()
		return
	}
	end, more := c.readTLS(p.rd.buf, p.tlsRd)
	if !more {
		c.finish(end)
		c.rmu.Unlock()
		return
	}
	p.noteTLSBusy(c)
	c.rmu.Unlock()
	c.afterTLSRead()
}

// readAvailable reads and consumes what the socket holds.
func (c *Conn) readAvailable(rd *rawReader) (readEnd, bool) {
	for range maxReadsPerWake {
		n, err := rd.read(c.raw)
		if n > 0 {
			if end, more := c.consume(rd.buf[:n]); !more {
				return end, false
			}
		}
		switch {
		case errors.Is(err, unix.EAGAIN):
			return readEnd{}, true
		case err != nil:
			return c.readError(err), false
		case n == 0:
			return c.readError(io.EOF), false
		case n < len(rd.buf):
			// Most likely all there was; if not, epoll says so again.
			return readEnd{}, true
		}
	}
	return readEnd{}, true
}
