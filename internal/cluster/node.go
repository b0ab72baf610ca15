package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/swarmbridge/swarmbridge/signaling"
)

// Defaults for the zero values of Options.
const (
	DefaultTimeout    = 2 * time.Second
	DefaultHeartbeat  = time.Second
	DefaultMaxPending = 8 << 20
)

// Options configure a Node.
type Options struct {
	// Client reaches the Redis that holds the swarms (redis.Store.Client);
	// a Cluster client makes the node use sharded pub/sub. Required.
	Client rueidis.Client
	// KeyPrefix starts the registry's key and the inbox channels' names:
	// the swarm store's prefix, so that trackers sharing a Redis under
	// different prefixes stay apart. It may not contain braces.
	KeyPrefix string
	// Timeout bounds every call to Redis. Default 2 s.
	Timeout time.Duration
	// Heartbeat is how often the node renews its registration and reads
	// which nodes are live. Default 1 s.
	Heartbeat time.Duration
	// TTL is how long a registration lasts without a heartbeat: a node
	// that stops for that long is dead to the others. Default 3 ×
	// Heartbeat.
	TTL time.Duration
	// MaxPending bounds the bytes of relays that wait to be published to
	// one node; past it relays for that node are refused (the relay counts
	// them as unavailable). Default 8 MiB.
	MaxPending int
	// Logger gets what goes wrong and what recovers.
	Logger zerolog.Logger
}

// Deliverer is the node's relay: signaling.Handler. Its open connections
// (Conns) are published with each heartbeat, so that every node can count
// the whole cluster.
type Deliverer interface {
	Deliver(r *signaling.Relay)
	RelayDropped(kind signaling.RelayKind, to signaling.ConnID, reason signaling.DropReason)
	Conns() int
}

// Node is this tracker's membership in the cluster: its id, the view of
// which nodes are live, the relay's way out (Route) and way in (the
// inbox). Create it with Join, give it the relay with Attach, then Run it.
type Node struct {
	o        Options
	id       uint16
	token    string
	registry string // the registry's key
	sharded  bool   // Redis Cluster: SPUBLISH and SSUBSCRIBE
	log      zerolog.Logger
	errLog   zerolog.Logger // sampled, for errors that repeat per message

	secret []byte // shared by every node: see Secret

	relay atomic.Pointer[deliverer]
	live  atomic.Pointer[liveSet]

	mu      sync.Mutex // guards lastErr
	lastErr error      // of the last failed heartbeat
	beatAt  atomic.Int64
	idLost  atomic.Bool
	inboxUp atomic.Bool

	out  outbox
	errs [numOps]atomic.Uint64 // failed calls to Redis, by op

	// crash makes Run end without deregistering, as a killed process
	// would (tests).
	crash atomic.Bool
}

type deliverer struct{ Deliverer }

var (
	heartbeatScript = rueidis.NewLuaScript(registryScript)
	// secretScript returns the cluster's shared secret, storing ARGV[1]
	// as it when there is none yet.
	secretScript = rueidis.NewLuaScript(`redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])`)
	leaveScript = rueidis.NewLuaScript(`local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and string.match(v, '^%d+ (%S+) ') == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`)
)

// Join registers a new node in the Redis that o.Client reaches, with an id
// no live node has, and reads which nodes are live. It fails if Redis
// cannot be reached within ctx and the timeout. The node's goroutines do
// not run until Run.
func Join(ctx context.Context, o Options) (*Node, error) {
	if o.Client == nil {
		return nil, errors.New("cluster: a Redis client is required")
	}
	if strings.ContainsAny(o.KeyPrefix, "{}") {
		return nil, fmt.Errorf("cluster: key prefix %q contains a brace", o.KeyPrefix)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.TTL <= 0 {
		o.TTL = 3 * o.Heartbeat
	}
	if o.TTL <= o.Heartbeat {
		return nil, fmt.Errorf("cluster: TTL %v must be longer than the heartbeat %v", o.TTL, o.Heartbeat)
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("cluster: node token: %w", err)
	}
	n := &Node{
		o:        o,
		token:    hex.EncodeToString(tok[:]),
		registry: o.KeyPrefix + "{cluster}nodes",
		sharded:  o.Client.Mode() == rueidis.ClientModeCluster,
		log:      o.Logger,
		errLog:   o.Logger.Sample(&zerolog.BurstSampler{Burst: 5, Period: 10 * time.Second}),
	}
	n.out.init()
	id, err := n.beat(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: join: %w", err)
	}
	n.id = id
	if n.secret, err = n.sharedSecret(ctx); err != nil {
		return nil, fmt.Errorf("cluster: join: %w", err)
	}
	return n, nil
}

// sharedSecret reads the cluster's secret, creating it if this is the
// first node.
func (n *Node) sharedSecret(ctx context.Context) ([]byte, error) {
	var mine [32]byte
	if _, err := rand.Read(mine[:]); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.o.Timeout)
	defer cancel()
	s, err := secretScript.Exec(ctx, n.o.Client, []string{n.o.KeyPrefix + "{cluster}secret"}, []string{string(mine[:])}).ToString()
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if len(s) < 16 {
		return nil, fmt.Errorf("secret: the stored secret is %d bytes, want at least 16", len(s))
	}
	return []byte(s), nil
}

// Secret is a random secret every node of the cluster shares, made by the
// first node that joined: the UDP tracker keys its connection ids with it,
// so that a client whose datagrams reach another node keeps its id. It
// lives in Redis without expiry; a Redis that loses it gets a new one from
// the next node that joins, and nodes that joined before keep theirs
// until they restart (their clients then connect again).
func (n *Node) Secret() []byte { return n.secret }

// ID is the node's id, 1 to 65535: what signaling.Config.NodeID takes.
func (n *Node) ID() uint16 { return n.id }

// Attach gives the node the relay that Deliver's relays from other nodes
// and hears of relays lost after Route took them. Call it before Run.
func (n *Node) Attach(d Deliverer) { n.relay.Store(&deliverer{d}) }

// inbox is the channel node id's relays are published on. Its hash tag is
// the id, so that on Redis Cluster the inboxes spread over the shards.
func (n *Node) inbox(id uint16) string {
	return n.o.KeyPrefix + "inbox:{" + strconv.Itoa(int(id)) + "}"
}

// Run keeps the node in the cluster until ctx ends: the heartbeat, the
// subscription to its inbox (re-established whenever Redis comes back)
// and the publisher of outgoing relays. Then it leaves the registry, so
// that other nodes stop handing out its peers at once. Every goroutine it
// starts has ended when it returns; it returns nil.
func (n *Node) Run(ctx context.Context) error {
	var g errgroup.Group
	g.Go(func() error { n.heartbeats(ctx); return nil })
	g.Go(func() error { n.subscribe(ctx); return nil })
	g.Go(func() error { n.publish(ctx); return nil })
	_ = g.Wait()
	if n.crash.Load() {
		return nil
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.o.Timeout)
	defer cancel()
	if err := leaveScript.Exec(lctx, n.o.Client, []string{n.registry}, []string{strconv.Itoa(int(n.id)), n.token}).Error(); err != nil {
		n.log.Warn().Err(err).Uint16("node", n.id).Msg("leaving the cluster registry failed; other nodes will see this node expire")
	}
	return nil
}

// Ready reports why the node cannot relay for the cluster right now, or
// nil: its heartbeat must have succeeded within the TTL (else the others
// consider it dead), its id must be its own, and its inbox subscribed.
func (n *Node) Ready() error {
	var problems []string
	if n.idLost.Load() {
		problems = append(problems, fmt.Sprintf("node id %d is held by another node", n.id))
	}
	if at := n.beatAt.Load(); time.Since(time.Unix(0, at)) > n.o.TTL {
		n.mu.Lock()
		err := n.lastErr
		n.mu.Unlock()
		problems = append(problems, fmt.Sprintf("cluster heartbeat failing: %v", err))
	}
	if !n.inboxUp.Load() {
		problems = append(problems, "relay inbox not subscribed")
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// The calls to Redis whose failures Errors counts.
const (
	opHeartbeat = iota
	opPublish
	opSubscribe
	opInbox
	numOps
)

var opNames = [numOps]string{"heartbeat", "publish", "subscribe", "inbox"}

// ErrorOps lists the ops Errors reports, for pre-registering metrics.
func ErrorOps() []string { return opNames[:] }

// failed counts a failed call.
func (n *Node) failed(op int) { n.errs[op].Add(1) }

// Errors returns how many calls to Redis failed since Join, by what they
// were: "heartbeat", "publish", "subscribe" (the inbox subscription broke
// or could not be made), or "inbox" for a published batch this node could
// not read.
func (n *Node) Errors() map[string]uint64 {
	m := make(map[string]uint64, numOps)
	for i, name := range opNames {
		m[name] = n.errs[i].Load()
	}
	return m
}

// Status is what the node knows of the whole cluster.
type Status struct {
	// Nodes is how many nodes are live.
	Nodes int
	// WebSocketConns sums the open WebSocket connections of every live
	// node: this node's now, the others' as of their last heartbeat.
	WebSocketConns int
}

// Status returns the cluster as of the last heartbeat.
func (n *Node) Status() Status {
	ls := n.live.Load()
	st := Status{Nodes: len(ls.conns), WebSocketConns: n.conns()}
	for id, c := range ls.conns {
		if id != n.id {
			st.WebSocketConns += c
		}
	}
	return st
}

// conns is this node's open WebSocket connections.
func (n *Node) conns() int {
	if d := n.relay.Load(); d != nil {
		return d.Conns()
	}
	return 0
}

// LiveNodes returns the live nodes' ids, two big-endian bytes each, for
// redis.Store.SkipDeadNodes. It is an atomic load.
func (n *Node) LiveNodes() string { return n.live.Load().packed }

// isLive reports whether node id was live at the last heartbeat.
func (n *Node) isLive(id uint16) bool {
	ls := n.live.Load()
	return ls.bits[id>>6]&(1<<(id&63)) != 0
}
