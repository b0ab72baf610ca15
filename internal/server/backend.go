package server

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/cluster"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
)

// Backend is where the tracker keeps its swarms: the memory store, or in
// distributed mode (SWARMBRIDGE_STORE=redis) the Redis store and this
// node's membership of the cluster that shares it. Pass Store and Cluster
// to New, and Close the Backend once Run has returned.
type Backend struct {
	Store   swarm.Store
	Cluster *cluster.Node // nil with the memory store
	close   func()
}

// OpenBackend opens the store cfg names. In Redis mode it connects (within
// ctx and SWARMBRIDGE_REDIS_TIMEOUT), joins the cluster under a node id of
// its own, and makes announces skip the peers of nodes that are not live.
func OpenBackend(ctx context.Context, cfg config.Config, log zerolog.Logger) (*Backend, error) {
	if cfg.Store != config.StoreRedis {
		return &Backend{Store: memory.New(memory.Options{}), close: func() {}}, nil
	}
	st, err := redis.New(ctx, redis.Options{URL: cfg.RedisURL, KeyPrefix: cfg.RedisKeyPrefix, Timeout: cfg.RedisTimeout})
	if err != nil {
		return nil, fmt.Errorf("swarm store: %w", err)
	}
	node, err := cluster.Join(ctx, cluster.Options{
		Client:    st.Client(),
		KeyPrefix: cfg.RedisKeyPrefix,
		Timeout:   cfg.RedisTimeout,
		Logger:    log.With().Str("component", "cluster").Logger(),
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.SkipDeadNodes(node.LiveNodes)
	return &Backend{Store: st, Cluster: node, close: st.Close}, nil
}

// Close releases the store's connections.
func (b *Backend) Close() { b.close() }
