// Package udptracker serves the UDP tracker protocol (BEP 15 with BEP 41
// options) from a swarm.Store, with the choices of docs/protocol.md §10.6
// and §10.7.
//
// The package never opens sockets: the caller listens and hands the
// socket to Serve, typically a dual-stack "udp" socket, whose IPv4 clients
// arrive as IPv4-mapped IPv6 addresses and are answered as IPv4 clients.
//
// The hot path allocates nothing: each worker goroutine owns its read and
// write buffers, its HMAC state and its result slices.
package udptracker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// readBufSize is one byte over maxRequestLen, so a longer datagram shows
// up as such (a short read truncates silently) and is dropped.
const readBufSize = maxRequestLen + 1

// Server answers UDP tracker requests. Create it with New.
type Server struct {
	cfg settings
	// errLog is cfg.log sampled, for failures that could repeat on every
	// packet (a store outage, a broken socket).
	errLog    zerolog.Logger
	shards    []shard
	nextShard atomic.Uint32
	// noBatch makes workers read one datagram per call even where batching
	// is available (tests cover both paths).
	noBatch bool
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	st, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    st,
		errLog: st.log.Sample(&zerolog.BurstSampler{Burst: 5, Period: 10 * time.Second}),
		shards: make([]shard, st.workers),
	}
	return s, nil
}

// Serve reads and answers requests on conn with Config.Workers goroutines
// until ctx is done or conn is closed; both end it with a nil error. It
// returns only when all its goroutines have stopped. Serve does not close
// conn. To stop blocked reads on cancellation it sets a read deadline in
// the past, and clears it again before returning.
//
// ctx is also handed to the store, bounding how long a remote store may
// keep a request waiting. Serve may run on several sockets at once (for
// example separate IPv4 and IPv6 sockets); they share the Server's
// secret, so a connection id works on either.
func (s *Server) Serve(ctx context.Context, conn *net.UDPConn) error {
	if conn == nil {
		return fmt.Errorf("%w: nil conn", errConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range s.cfg.workers {
		w := s.newWorker()
		wg.Go(func() {
			if err := w.run(ctx, conn); err != nil {
				errOnce.Do(func() { firstErr = err })
				cancel()
			}
		})
	}

	// Blocked reads do not watch ctx; an expired deadline wakes them.
	stopWatch := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		select {
		case <-ctx.Done():
			_ = conn.SetReadDeadline(time.Unix(1, 0))
		case <-stopWatch:
		}
	})

	wg.Wait()
	close(stopWatch)
	watch.Wait()
	// Leave the socket as we found it for a caller that reuses it; this
	// fails harmlessly when conn is closed.
	_ = conn.SetReadDeadline(time.Time{})
	return firstErr
}

// run is one reader goroutine. Where the platform allows it, it moves
// datagrams in batches (recvmmsg/sendmmsg), one system call for many
// requests; otherwise one datagram per call.
func (w *worker) run(ctx context.Context, conn *net.UDPConn) error {
	if batching && !w.s.noBatch {
		return w.runBatched(ctx, conn)
	}
	return w.runSingle(ctx, conn)
}

// readErr decides what a failed read means: nil to stop quietly
// (cancelled, closed), an error to stop the worker, or errKeepReading.
func (w *worker) readErr(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Someone else set a deadline on our socket; reading on would
		// spin.
		return fmt.Errorf("udptracker: read: %w", err)
	}
	// Other errors (ENOBUFS, ICMP errors reported on the socket) concern
	// one datagram; keep serving.
	w.st.inc(cReadErrors)
	w.s.errLog.Warn().Err(err).Msg("udp read failed")
	return errKeepReading
}

var errKeepReading = errors.New("keep reading")

// runSingle reads and answers one datagram per system call.
func (w *worker) runSingle(ctx context.Context, conn *net.UDPConn) error {
	buf := make([]byte, readBufSize)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if err := w.readErr(ctx, err); err != errKeepReading {
				return err
			}
			continue
		}
		if n > maxRequestLen {
			w.st.inc(cMalformed)
			continue
		}
		reply := w.handle(ctx, buf[:n], from)
		if reply == nil {
			continue
		}
		// Answer the address exactly as received (mapped on a dual-stack
		// socket) so the kernel picks the same family.
		if _, err := conn.WriteToUDPAddrPort(reply, from); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			w.st.inc(cWriteErrors)
			w.s.errLog.Warn().Err(err).Msg("udp write failed")
		}
	}
}
