package server

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/cluster"
	"github.com/swarmbridge/swarmbridge/internal/metrics"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// What distributed mode adds to the server: the store's failures counted,
// the relay wired to the cluster (node id, Router), the node's goroutines
// run by Run, its health in /readyz, and the cluster's connections in
// /stats.

// countFailures wraps a store that may block so that its failures are
// counted (swarmbridge_store_errors_total), with the cluster node's. A
// store in memory is used as it is: it only fails on invalid requests.
func countFailures(store swarm.Store, node *cluster.Node, m *metrics.Metrics) swarm.Store {
	if !swarm.MayBlock(store) {
		return store
	}
	c := &errorCountingStore{Store: store}
	m.Registry().MustRegister(storeErrorsCollector{store: c, node: node})
	return c
}

// nodeID is the relay's node id: the cluster node's, 0 without one.
func nodeID(n *cluster.Node) uint16 {
	if n == nil {
		return 0
	}
	return n.ID()
}

// router is the relay's way to the other nodes, nil without a cluster (a
// nil *cluster.Node would be a non-nil Router).
func router(n *cluster.Node) signaling.Router {
	if n == nil {
		return nil
	}
	return n
}

// udpSecret keys UDP connection ids: the cluster's shared secret, so that
// an id from one node is good on every node; nil (a random one) alone.
func udpSecret(n *cluster.Node) []byte {
	if n == nil {
		return nil
	}
	return n.Secret()
}

// runCluster runs the node's heartbeat, inbox and publisher until ctx
// ends, then leaves the cluster.
func (s *Server) runCluster(ctx context.Context) {
	if s.cluster != nil {
		_ = s.cluster.Run(ctx) // always nil
	}
}

// storeProblems says what is wrong with the store and the cluster, for
// /readyz.
func (s *Server) storeProblems(ctx context.Context) []string {
	var problems []string
	var err error
	if p, ok := s.store.(pinger); ok {
		err = p.Ping(ctx)
	} else {
		_, err = s.store.Totals(ctx)
	}
	if err != nil {
		problems = append(problems, fmt.Sprintf("swarm store unreachable: %v", err))
	}
	if s.cluster != nil {
		if err := s.cluster.Ready(); err != nil {
			problems = append(problems, "cluster: "+err.Error())
		}
	}
	return problems
}

// webSocketConns is the open WebSocket connections of the whole cluster,
// or of this tracker alone, and how many nodes count (0 alone).
func (s *Server) webSocketConns() (conns, nodes int) {
	if s.cluster == nil {
		return s.ws.Conns(), 0
	}
	st := s.cluster.Status()
	return st.WebSocketConns, st.Nodes
}

// logStore adds the store, and the node id in a cluster, to the start-up
// line.
func (s *Server) logStore(ev *zerolog.Event) *zerolog.Event {
	if s.cluster == nil {
		return ev.Str("store", "memory")
	}
	return ev.Str("store", "redis").Uint16("node", s.cluster.ID())
}
