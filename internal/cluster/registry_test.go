package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
)

func joinTest(t *testing.T, st *redis.Store, prefix string, ttl time.Duration) *Node {
	t.Helper()
	n, err := Join(t.Context(), Options{Client: st.Client(), KeyPrefix: prefix, Heartbeat: ttl / 3, TTL: ttl, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Nodes get distinct ids and share one secret; an id a live node holds is
// refused to another node until its registration expires, and the node
// that lost it says so in Ready until it has it back.
func TestRegistryIDs(t *testing.T) {
	url := redistest.Shared(t)
	prefix := redistest.Prefix(t)
	st, err := redis.New(t.Context(), redis.Options{URL: url, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer func() {
		c := st.Client()
		ctx := context.Background()
		_ = c.Do(ctx, c.B().Del().Key(prefix+"{cluster}nodes", prefix+"{cluster}secret").Build()).Error()
	}()
	const ttl = 300 * time.Millisecond
	a := joinTest(t, st, prefix, ttl)
	b := joinTest(t, st, prefix, ttl)
	if a.ID() == b.ID() || a.ID() == 0 || b.ID() == 0 {
		t.Fatalf("ids %d and %d", a.ID(), b.ID())
	}
	if string(a.Secret()) != string(b.Secret()) || len(a.Secret()) != 32 {
		t.Fatalf("secrets differ or are short: %d bytes", len(a.Secret()))
	}
	if _, err := b.beat(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !b.isLive(a.ID()) || !b.isLive(b.ID()) || len(b.LiveNodes()) != 4 || b.Status().Nodes != 2 {
		t.Fatalf("b's live set %x", b.LiveNodes())
	}

	// An impostor asks for a's id while a is live.
	imp := &Node{o: a.o, id: a.ID(), token: "impostor", registry: a.registry}
	if _, err := imp.beat(t.Context()); !errors.Is(err, errIDTaken) {
		t.Fatalf("a live node's id was given away: %v", err)
	}
	// a stops beating; once its registration expired, the id is free.
	time.Sleep(ttl + 50*time.Millisecond)
	if _, err := imp.beat(t.Context()); err != nil {
		t.Fatalf("an expired id was refused: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a.crash.Store(true)
	go func() { defer close(done); a.heartbeats(ctx) }()
	deadline := time.Now().Add(3 * time.Second)
	for a.Ready() == nil || !strings.Contains(a.Ready().Error(), "held by another node") {
		if time.Now().After(deadline) {
			t.Fatalf("a does not report its lost id: %v", a.Ready())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}
