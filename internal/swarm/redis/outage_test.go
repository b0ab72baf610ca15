//go:build unix

package redis_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
)

// TestRedisOutage takes the store's Redis away, as a hung server (SIGSTOP)
// and as a crashed one (SIGKILL), and checks that calls fail within the
// store's timeout instead of hanging, and that the same Store works again
// once Redis is back.
func TestRedisOutage(t *testing.T) {
	srv := redistest.StartServer(t)
	const timeout = 300 * time.Millisecond
	st, err := redis.New(t.Context(), redis.Options{URL: srv.URL(), KeyPrefix: redistest.Prefix(t), Timeout: timeout})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer st.Close()
	ih := bittorrent.InfoHash{1, 2, 3}
	p := swarm.Peer{ID: bittorrent.PeerID{9}, Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.7:6881")}
	announce := func() (time.Duration, error) {
		start := time.Now()
		err := st.Announce(t.Context(), &swarm.AnnounceRequest{InfoHash: ih, Peer: p, TTL: time.Minute, NumWant: 10}, &swarm.AnnounceResult{})
		return time.Since(start), err
	}
	// bound tells a call that gave up from one that hangs until Redis comes
	// back (the freeze lasts for as long as the test wants). It is far above
	// the timeout on purpose: how fast the store fails is a benchmark
	// question, not this test's.
	const bound = 10 * time.Second
	wantFailFast := func(what string) {
		t.Helper()
		took, err := announce()
		if err == nil {
			t.Fatalf("%s: Announce succeeded", what)
		}
		if took > bound {
			t.Errorf("%s: Announce took %v to fail (%v), want at most %v", what, took, err, bound)
		}
		start := time.Now()
		if err := st.Ping(t.Context()); err == nil {
			t.Errorf("%s: Ping succeeded", what)
		} else if took := time.Since(start); took > bound {
			t.Errorf("%s: Ping took %v to fail, want at most %v", what, took, bound)
		}
	}
	wantRecovers := func(what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := announce()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: Announce still fails after 10s: %v", what, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := st.Ping(t.Context()); err != nil {
			t.Errorf("%s: Ping: %v", what, err)
		}
	}

	if _, err := announce(); err != nil {
		t.Fatalf("Announce with Redis up: %v", err)
	}

	srv.Freeze()
	wantFailFast("hung redis")
	// A caller's shorter deadline wins over the store's timeout.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	start := time.Now()
	_, err = st.Scrape(ctx, []bittorrent.InfoHash{ih}, nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung redis, 50ms context: Scrape error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	// Not a speed check: a call that ignored its context would hang here
	// until the freeze ends.
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("hung redis, 50ms context: Scrape took %v", took)
	}
	srv.Thaw()
	wantRecovers("thawed redis")

	srv.Stop()
	wantFailFast("killed redis")
	if _, err := st.Totals(t.Context()); err == nil {
		t.Errorf("killed redis: Totals succeeded")
	}
	srv.Start()
	// The new process has neither data nor the script: the store sends the
	// script again by itself, also for Totals' 1024 calls at once, within
	// the timeout (this is the first call after the restart).
	deadline := time.Now().Add(10 * time.Second)
	for st.Ping(t.Context()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("restarted redis: Ping still fails after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := st.Totals(t.Context()); err != nil {
		t.Errorf("restarted redis: the first Totals failed: %v", err)
	}
	wantRecovers("restarted redis")
	got, err := st.Scrape(t.Context(), []bittorrent.InfoHash{ih}, nil)
	if err != nil || got[0] != (bittorrent.Counts{Complete: 1}) {
		t.Errorf("after restart: Scrape = %v, %v; want the peer announced since", got, err)
	}
}

func TestNewFailsWithoutRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	url := srv.URL()
	srv.Stop()
	start := time.Now()
	st, err := redis.New(t.Context(), redis.Options{URL: url, Timeout: 300 * time.Millisecond})
	if err == nil {
		st.Close()
		t.Fatal("New succeeded with no Redis listening")
	}
	if took := time.Since(start); took > 10*time.Second { // a hang, not a speed check
		t.Errorf("New took %v to fail", took)
	}
}
