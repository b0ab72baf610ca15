package redis

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

//go:embed swarm.lua
var scriptSource string

// Defaults for the zero values of Options.
const (
	DefaultKeyPrefix = "swarmbridge:"
	DefaultTimeout   = 2 * time.Second
	DefaultKeyGrace  = time.Hour
)

// Sweep budgets: how many due swarms of its bucket a script trims besides
// its own (see the package doc). An announce pays for a little of the
// sweeping; Totals, which visits every bucket, pays for more.
const (
	sweepPerCall   = 2
	sweepPerTotals = 32
)

// Options configure a Store.
type Options struct {
	// URL says where Redis is; see ParseURL for its forms.
	URL string
	// KeyPrefix starts every key the store writes, so that several
	// trackers (or tests) can share a Redis. It may not contain braces,
	// which would change the keys' hash tags. Empty means
	// DefaultKeyPrefix.
	KeyPrefix string
	// Timeout bounds every call to Redis, whatever the caller's context
	// allows, and connecting. Zero means DefaultTimeout.
	Timeout time.Duration
	// KeyGrace is how long a swarm's keys outlive its latest entry's
	// expiry. It is the backstop that makes swarms vanish from a Redis no
	// tracker uses any more; while trackers run, their scripts remove
	// expired entries and empty swarms long before. Zero means
	// DefaultKeyGrace.
	KeyGrace time.Duration
	// TLS configures rediss connections; nil means the system's roots and
	// TLS 1.2 or later.
	TLS *tls.Config
	// Now is the clock for expiry. Nil means time.Now; tests inject a fake
	// clock.
	Now func() time.Time
}

// Store is a swarm.Store kept in Redis (standalone or Cluster), shared by
// every tracker node that points at the same Redis and KeyPrefix. Create
// it with New and Close it when done.
type Store struct {
	client  rueidis.Client
	script  *rueidis.Lua
	sha     string
	prefix  string
	bases   []string
	now     func() time.Time
	timeout time.Duration
	graceMS string
	live    atomic.Pointer[func() string] // see SkipDeadNodes
}

var _ swarm.Store = (*Store)(nil)

// New connects to Redis and loads the store's script on every node. It
// fails if Redis cannot be reached within ctx and Options.Timeout.
func New(ctx context.Context, opts Options) (*Store, error) {
	conn, err := ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("redis store: %w", err)
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redis store: key prefix %q contains a brace, which would change the keys' hash tags", prefix)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	grace := opts.KeyGrace
	if grace <= 0 {
		grace = DefaultKeyGrace
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	copt := rueidis.ClientOption{
		InitAddress: conn.Addrs,
		Username:    conn.Username,
		Password:    conn.Password,
		SelectDB:    conn.DB,
		Dialer:      net.Dialer{Timeout: timeout, KeepAlive: time.Second},
		// A connection that answers nothing for this long is broken: it is
		// closed and redialled, and the calls waiting on it fail.
		ConnWriteTimeout: timeout,
		// The store reads nothing twice: no client-side cache, and no
		// tracking for the server to keep.
		DisableCache: true,
		// The scheme says whether Redis is a cluster, so that a standalone
		// server is not asked for its cluster layout first.
		ForceSingleClient: !conn.Cluster,
	}
	if conn.TLS {
		copt.TLSConfig = opts.TLS
		if copt.TLSConfig == nil {
			copt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	client, err := rueidis.NewClient(copt)
	if err != nil {
		return nil, fmt.Errorf("redis store: connect to %s: %w", strings.Join(conn.Addrs, ","), err)
	}
	st := &Store{
		client:  client,
		script:  rueidis.NewLuaScript(scriptSource),
		sha:     scriptSHA(scriptSource),
		prefix:  prefix,
		bases:   makeBases(prefix),
		now:     now,
		timeout: timeout,
		graceMS: fmtInt(grace.Milliseconds()),
	}
	if err := st.loadScript(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return st, nil
}

// Close releases the connections. The Store must not be used after.
func (st *Store) Close() {
	st.client.Close()
}

// MayBlock implements swarm.Blocking: every call is a round trip to Redis.
func (st *Store) MayBlock() bool { return true }

// Client is the store's Redis client, for what else the tracker keeps in
// the same Redis (the cluster's node registry and relay channels). It is
// closed with the store.
func (st *Store) Client() rueidis.Client { return st.client }

// KeyPrefix is the prefix every key of the store starts with.
func (st *Store) KeyPrefix() string { return st.prefix }

// Timeout is the bound of every call to Redis.
func (st *Store) Timeout() time.Duration { return st.timeout }

// SkipDeadNodes makes announces pick only WebRTC peers whose owner's node
// (swarm.Owner.Node) is live. live returns the live nodes' ids, two
// big-endian bytes each, and is called once per announce that wants
// peers, so it must be cheap (an atomic load); "" turns the filter off.
// The filter runs in the announce's script: still one round trip, and
// peers of a node that died stop being handed out as soon as live stops
// naming it, long before their entries expire. Call it before the store
// is used.
func (st *Store) SkipDeadNodes(live func() string) { st.live.Store(&live) }

// liveNodes is the argument SkipDeadNodes's function gives, or "".
func (st *Store) liveNodes() string {
	if f := st.live.Load(); f != nil {
		return (*f)()
	}
	return ""
}

// Ping checks that every Redis node answers within ctx and the store's
// timeout: the server's readiness check.
func (st *Store) Ping(ctx context.Context) error {
	ctx, cancel := st.opContext(ctx)
	defer cancel()
	for addr, n := range st.client.Nodes() {
		if err := n.Do(ctx, n.B().Ping().Build()).Error(); err != nil {
			return fmt.Errorf("redis store: ping %s: %w", addr, err)
		}
	}
	return nil
}

// loadScript loads the script on every node, so that the first calls need
// not fall back from EVALSHA to EVAL. A node that restarts or fails over
// forgets it; calls then send the script again by themselves.
func (st *Store) loadScript(ctx context.Context) error {
	ctx, cancel := st.opContext(ctx)
	defer cancel()
	for addr, n := range st.client.Nodes() {
		if err := n.Do(ctx, n.B().ScriptLoad().Script(scriptSource).Build()).Error(); err != nil {
			return fmt.Errorf("redis store: load script on %s: %w", addr, err)
		}
	}
	return nil
}

// opContext bounds one call to Redis by the store's timeout.
func (st *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, st.timeout)
}

// nowMS is the current time in Unix milliseconds, the resolution of
// expiry in Redis.
//
// Time comes from this node's clock and travels to the script as an
// argument (Redis scripts may not read the clock and stay replicable), so
// nodes whose clocks differ by d see an entry expire up to d earlier or
// later. With NTP that is far below a second, against TTLs of minutes: a
// peer lives a hair more or less, and counts stay exact because every
// change is still one atomic script. Key TTLs use Redis's own clock, but
// they carry KeyGrace (an hour) beyond the entries' expiry, which no
// plausible skew reaches.
func (st *Store) nowMS() int64 {
	return st.now().UnixMilli()
}

// brokenConn reports whether err says the call's connection broke (Redis
// restarted or failed over, or the network dropped it) rather than Redis
// answering, the call's time running out, or the client being closed.
// Such a call is sent once more: the script is idempotent in effect (an
// event applied twice to the same entry leaves it as once: a download is
// counted once per entry, a stopped removes what is there), so a call
// Redis did run before the connection broke does no harm when it runs
// again. After a restart, every idle pooled connection (rueidis keeps up
// to four per node) fails its first call this way; without the retries,
// each would cost a client a failure.
func brokenConn(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.Is(err, rueidis.ErrClosing) {
		return false
	}
	_, isReply := rueidis.IsRedisErr(err)
	return !isReply
}

// brokenRetries is how many times a call whose connection broke is sent
// again: once per connection a node's pool may hold, plus one.
const brokenRetries = 5

// exec runs the script, again while its connection broke.
func (st *Store) exec(ctx context.Context, keys, args []string) rueidis.RedisResult {
	res := st.script.Exec(ctx, st.client, keys, args)
	for range brokenRetries {
		if !brokenConn(ctx, res.Error()) {
			break
		}
		res = st.script.Exec(ctx, st.client, keys, args)
	}
	return res
}

// execMulti runs the script once per exec in one round trip per node, as
// EVALSHA, and again the calls whose connection broke. Calls a node
// answered with NOSCRIPT (it restarted or failed over, and forgot the
// script) are sent again after the script is loaded on every node, again
// in one round trip per node: not one by one, which for Totals' 1024
// calls would outlast the timeout.
func (st *Store) execMulti(ctx context.Context, execs []rueidis.LuaExec) []rueidis.RedisResult {
	build := func(e rueidis.LuaExec) rueidis.Completed {
		return st.client.B().Evalsha().Sha1(st.sha).Numkeys(int64(len(e.Keys))).Key(e.Keys...).Arg(e.Args...).Build()
	}
	cmds := make(rueidis.Commands, len(execs))
	for i, e := range execs {
		cmds[i] = build(e)
	}
	res := st.client.DoMulti(ctx, cmds...)
	var again []int
	for range brokenRetries {
		again = again[:0]
		for i, r := range res {
			if brokenConn(ctx, r.Error()) {
				again = append(again, i)
			}
		}
		if len(again) == 0 {
			break
		}
		cmds = cmds[:0]
		for _, i := range again {
			cmds = append(cmds, build(execs[i]))
		}
		for k, r := range st.client.DoMulti(ctx, cmds...) {
			res[again[k]] = r
		}
	}
	again = again[:0]
	for i, r := range res {
		if rerr, ok := rueidis.IsRedisErr(r.Error()); ok && rerr.IsNoScript() {
			again = append(again, i)
		}
	}
	if len(again) == 0 {
		return res
	}
	if err := st.loadScript(ctx); err != nil {
		for _, i := range again {
			res[i] = st.exec(ctx, execs[i].Keys, execs[i].Args)
		}
		return res
	}
	cmds = cmds[:0]
	for _, i := range again {
		cmds = append(cmds, build(execs[i]))
	}
	for k, r := range st.client.DoMulti(ctx, cmds...) {
		res[again[k]] = r
	}
	return res
}

// errReply is wrapped by errors about replies the store cannot read.
var errReply = errors.New("unexpected reply from the script")
