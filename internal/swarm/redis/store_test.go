package redis_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
	"github.com/swarmbridge/swarmbridge/internal/swarm/swarmtest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
)

func TestMain(m *testing.M) {
	// A cluster client that refreshes its topology closes the connections
	// it replaced five seconds later, from a goroutine that only sleeps
	// until then and that Close cannot cut short. It always ends.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"))
}

// newStore connects a store to url under a fresh key prefix, and deletes
// its keys and closes it when t ends.
func newStore(t testing.TB, url string, now func() time.Time) (*redis.Store, string) {
	t.Helper()
	prefix := redistest.Prefix(t)
	st, err := redis.New(t.Context(), redis.Options{URL: url, KeyPrefix: prefix, Now: now})
	if err != nil {
		t.Fatalf("redis.New(%s): %v", url, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.DeleteKeys(ctx, prefix); err != nil {
			t.Errorf("delete test keys: %v", err)
		}
		st.Close()
	})
	return st, prefix
}

func TestConformance(t *testing.T) {
	t.Run("Standalone", func(t *testing.T) {
		url := redistest.Shared(t)
		swarmtest.Run(t, func(t *testing.T, clock *swarmtest.Clock) swarm.Store {
			st, _ := newStore(t, url, clock.Now)
			return st
		})
	})
	t.Run("Cluster", func(t *testing.T) {
		c := redistest.StartCluster(t, 3)
		swarmtest.Run(t, func(t *testing.T, clock *swarmtest.Clock) swarm.Store {
			st, _ := newStore(t, c.URL(), clock.Now)
			return st
		})
	})
}
