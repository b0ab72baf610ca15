package engine

import (
	"context"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// Config is what the engine needs to know; package signaling fills it
// from its own Config, defaults applied.
type Config struct {
	// MaxMessageSize bounds one message; bigger ones close with 1009.
	MaxMessageSize int64
	// SendQueueLen and SendQueueBytes bound the frames and bytes waiting
	// for one connection; past either, it is closed as a slow consumer.
	SendQueueLen   int
	SendQueueBytes int
	// PingInterval is how often each connection is pinged (<= 0: never);
	// PongTimeout how long nothing at all may come back after that.
	PingInterval time.Duration
	PongTimeout  time.Duration
	// IdleTimeout closes a connection no message came from for this long
	// (0: never). Pongs do not count.
	IdleTimeout time.Duration
	// Logger gets what goes wrong with the pollers.
	Logger zerolog.Logger
}

// connShards spreads the connection registry over several locks: every
// relayed offer and answer looks its target up here, and so does every
// event a poller serves.
const connShards = 64

// Engine serves WebSocket connections for one relay. It is safe for
// concurrent use.
type Engine struct {
	cfg   Config
	log   zerolog.Logger
	epoch time.Time // the engine's clock starts here (now)

	nextID atomic.Uint64
	open   atomic.Int64
	shards [connShards]connShard

	mu      sync.Mutex // guards closing and the Add side of serving
	closing bool
	serving sync.WaitGroup // one per upgrade in progress and open connection

	pollMu  sync.Mutex
	pollers *pollerSet // started for the first connection they serve
	noPoll  bool       // no pollers: none on this platform, failed, stopped, or turned off by a test
}

type connShard struct {
	mu sync.RWMutex
	m  map[uint64]*Conn
}

// New returns an Engine for cfg.
func New(cfg Config) *Engine {
	// A connection counts its queue in 32 bits; a bound past that would
	// be a per-connection queue of gigabytes anyway.
	cfg.SendQueueLen = min(cfg.SendQueueLen, math.MaxInt32)
	cfg.SendQueueBytes = min(cfg.SendQueueBytes, math.MaxInt32)
	e := &Engine{cfg: cfg, log: cfg.Logger, epoch: time.Now()}
	for i := range e.shards {
		e.shards[i].m = make(map[uint64]*Conn)
	}
	return e
}

// now is the engine's clock: ns since New, monotonic.
func (e *Engine) now() int64 { return int64(time.Since(e.epoch)) }

// Conns returns the number of open connections.
func (e *Engine) Conns() int { return int(e.open.Load()) }

// BeginUpgrade reserves Shutdown's attention for an upgrade about to
// start, or reports false when the engine is shutting down. Every true
// must be followed by EndUpgrade, unless Register accepted the connection:
// then the connection's end releases it.
func (e *Engine) BeginUpgrade() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing {
		return false
	}
	e.serving.Add(1)
	return true
}

// EndUpgrade releases what BeginUpgrade reserved, for an upgrade that did
// not become a registered connection.
func (e *Engine) EndUpgrade() { e.serving.Done() }

// NewConn wraps a connection Upgrade returned. It is not served until
// Register and Start.
func (e *Engine) NewConn(nc net.Conn) *Conn {
	return &Conn{
		e:     e,
		id:    e.nextID.Add(1),
		nc:    nc,
		start: e.now(),
	}
}

// Register publishes c, served by s, so that Lookup finds it and
// Shutdown closes it, and chooses how it is read. It reports false when
// the engine began shutting down meanwhile: then c was closed with 1001,
// and the caller still owes EndUpgrade. Otherwise the upgrade BeginUpgrade
// reserved now belongs to c, and the caller must Start it.
func (e *Engine) Register(c *Conn, s Session) bool {
	c.session = s
	e.attach(c)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing {
		refuseShuttingDown(c.nc)
		return false
	}
	sh := e.shard(c.id)
	sh.mu.Lock()
	sh.m[c.id] = c
	sh.mu.Unlock()
	e.open.Add(1)
	return true
}

// attach chooses how c is served: by the pollers, where there are any,
// when it is plain TCP or TLS over a NewTLSListener socket; otherwise (TLS
// that crypto/tls reads from a plain TCP connection, which would block a
// poller) by a reader goroutine. It runs before c is published.
func (e *Engine) attach(c *Conn) {
	tc, sock := pollable(c.nc)
	if tc == nil {
		return
	}
	e.pollMu.Lock()
	defer e.pollMu.Unlock()
	if e.noPoll {
		return
	}
	var raw syscall.RawConn
	if sock != nil {
		raw = sock.raw // the same socket; saves an allocation per connection
	} else {
		var err error
		if raw, err = tc.SyscallConn(); err != nil {
			return
		}
	}
	if e.pollers == nil {
		ps, err := startPollers(e, runtime.GOMAXPROCS(0))
		if err != nil {
			e.log.Warn().Err(err).Msg("epoll unavailable: serving each WebSocket with a goroutine")
		}
		if ps == nil {
			e.noPoll = true
			return
		}
		e.pollers = ps
	}
	c.raw, c.poll = raw, e.pollers.pick(c.id)
	if sock != nil {
		c.sock = sock
		sock.takeOver(e.cfg.SendQueueBytes)
		return
	}
	c.inline = inlineWrites
}

// stopPollers stops the pollers for good, once no connection is left.
func (e *Engine) stopPollers() {
	e.pollMu.Lock()
	ps := e.pollers
	e.pollers, e.noPoll = nil, true
	e.pollMu.Unlock()
	if ps != nil {
		ps.stop()
	}
}

func (e *Engine) shard(id uint64) *connShard { return &e.shards[id%connShards] }

func (e *Engine) remove(c *Conn) {
	s := e.shard(c.id)
	s.mu.Lock()
	delete(s.m, c.id)
	s.mu.Unlock()
}

// Lookup returns the open connection with id, or nil. A connection leaves
// the registry when it ends, after its Session's Finish.
func (e *Engine) Lookup(id uint64) *Conn {
	s := e.shard(id)
	s.mu.RLock()
	c := s.m[id]
	s.mu.RUnlock()
	return c
}

func (e *Engine) each(f func(*Conn)) {
	for i := range e.shards {
		s := &e.shards[i]
		s.mu.RLock()
		cs := make([]*Conn, 0, len(s.m))
		for _, c := range s.m {
			cs = append(cs, c)
		}
		s.mu.RUnlock()
		for _, c := range cs {
			f(c)
		}
	}
}

// Shutdown stops accepting connections, closes every open one with 1001
// (going away) and waits for them to finish; each client has a moment to
// answer the close frame. When ctx ends first, the remaining connections
// are dropped without waiting and Shutdown returns ctx's error once they
// are gone. Then the engine's goroutines are gone too.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.closing = true
	e.mu.Unlock()

	e.each(func(c *Conn) { c.Close(CloseShutdown) })

	done := make(chan struct{})
	go func() {
		e.serving.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		e.each(func(c *Conn) { c.abort() })
		<-done
		err = ctx.Err()
	}
	e.stopPollers()
	return err
}

// ServeWithReaderGoroutines makes the engine serve every connection with a
// reader goroutine, as it serves TLS connections and every connection
// where there is no epoll, so tests cover both read paths. Call it before
// the engine serves a connection.
func (e *Engine) ServeWithReaderGoroutines() {
	e.pollMu.Lock()
	e.noPoll = true
	e.pollMu.Unlock()
}

// PolledConns is how many open connections the pollers serve, for tests.
func (e *Engine) PolledConns() int {
	n := 0
	e.each(func(c *Conn) {
		if c.poll != nil {
			n++
		}
	})
	return n
}
