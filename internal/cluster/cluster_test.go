package cluster_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/swarmbridge/swarmbridge/internal/cluster"
	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
	"github.com/swarmbridge/swarmbridge/signaling"
)

func TestMain(m *testing.M) {
	// A cluster client that refreshes its topology closes the connections
	// it replaced five seconds later, from a goroutine Close cannot cut
	// short (see the redis store's tests).
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"))
}

// node is one tracker node in-process: a Redis store, its cluster
// membership and a signaling relay on a loopback port.
type node struct {
	store *redis.Store
	node  *cluster.Node
	h     *signaling.Handler
	obs   *counter
	ws    string // ws:// URL
	stop  func() // stops Run (and the relay), as a shutdown does
	// kill stops the node's Run as a killed process stops: no goodbye to
	// the registry, no more heartbeats, no inbox; its relay and
	// connections stay, and their peers stay in the swarms.
	kill func()
}

type nodeOpts struct {
	heartbeat, ttl time.Duration
}

// startNode joins a node to the cluster at url under prefix and serves it
// until the test ends (or stop).
func startNode(t *testing.T, url, prefix string, o nodeOpts) *node {
	t.Helper()
	st, err := redis.New(t.Context(), redis.Options{URL: url, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{store: st, obs: &counter{}}
	cn, err := cluster.Join(t.Context(), cluster.Options{
		Client: st.Client(), KeyPrefix: prefix, Logger: zerolog.Nop(),
		Heartbeat: o.heartbeat, TTL: o.ttl,
	})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	n.node = cn
	st.SkipDeadNodes(cn.LiveNodes)
	h, err := signaling.New(signaling.Config{
		Swarms:   signalstore.New(st, 5*time.Minute),
		Logger:   zerolog.Nop(),
		Observer: n.obs,
		NodeID:   cn.ID(),
		Router:   cn,
	})
	if err != nil {
		t.Fatal(err)
	}
	n.h = h
	cn.Attach(h)
	srv := httptest.NewServer(h)
	n.ws = "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = cn.Run(ctx) }()
	n.kill = func() {
		cn.Crash()
		cancel()
		<-done
	}
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer scancel()
			_ = h.Shutdown(sctx)
			cancel()
			<-done
			srv.Close()
		})
	}
	t.Cleanup(func() {
		n.stop()
		st.Close()
	})
	waitFor(t, 5*time.Second, func() bool { return cn.Ready() == nil })
	return n
}

// seeEachOther waits until every node counts every other as live (one
// heartbeat after the last one joined).
func seeEachOther(t *testing.T, ns ...*node) {
	t.Helper()
	for _, n := range ns {
		waitFor(t, 5*time.Second, func() bool { return n.node.Status().Nodes == len(ns) })
	}
}

// counter is a signaling.Observer that counts drops and relays.
type counter struct {
	mu      sync.Mutex
	drops   map[signaling.DropReason]int
	relayed int
}

func (c *counter) ConnOpened()                              {}
func (c *counter) ConnClosed(signaling.CloseReason)         {}
func (c *counter) Handled(signaling.Message, time.Duration) {}
func (c *counter) Failure(bittorrent.FailureCode)           {}
func (c *counter) Limited(signaling.Limit)                  {}
func (c *counter) OfferRelayed()                            { c.add(func() { c.relayed++ }) }
func (c *counter) AnswerRelayed()                           { c.add(func() { c.relayed++ }) }
func (c *counter) Dropped(r signaling.DropReason) {
	c.add(func() {
		if c.drops == nil {
			c.drops = map[signaling.DropReason]int{}
		}
		c.drops[r]++
	})
}
func (c *counter) add(f func()) { c.mu.Lock(); f(); c.mu.Unlock() }
func (c *counter) dropped(r signaling.DropReason) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drops[r]
}

func waitFor(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cleanKeys deletes prefix's keys from url when the test ends.
func cleanKeys(t *testing.T, url, prefix string) {
	t.Helper()
	t.Cleanup(func() {
		st, err := redis.New(context.Background(), redis.Options{URL: url, KeyPrefix: prefix})
		if err != nil {
			t.Errorf("clean up: %v", err)
			return
		}
		defer st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := st.Client()
		for _, n := range c.Nodes() {
			keys, err := n.Do(ctx, n.B().Keys().Pattern(prefix+"*").Build()).AsStrSlice()
			if err != nil {
				t.Errorf("clean up: %v", err)
				return
			}
			for _, k := range keys {
				_ = n.Do(ctx, n.B().Del().Key(k).Build()).Error()
			}
		}
	})
}
