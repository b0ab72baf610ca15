package server

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/cluster"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// A store across the network fails now and then (Redis restarting, failing
// over, unreachable); every transport then answers with a failure, and
// swarmbridge_store_errors_total{op} counts the failed calls, those of the
// cluster membership included.

// storeOps are the store calls counted.
const (
	opAnnounce = iota
	opLeave
	opScrape
	opTotals
	opScrapeAll
	opPing
	numStoreOps
)

var storeOpNames = [numStoreOps]string{"announce", "leave", "scrape", "totals", "scrape_all", "ping"}

// errorCountingStore counts the failures of a store that may block. It keeps
// the optional interfaces the tracker uses (full scrape, readiness ping,
// Blocking).
type errorCountingStore struct {
	swarm.Store
	errs [numStoreOps]atomic.Uint64
}

// pinger is a store that can check it is reachable more cheaply than
// Totals (the Redis store).
type pinger interface {
	Ping(ctx context.Context) error
}

// count counts err unless it is the caller's doing: an invalid request,
// or a context the caller cancelled (a client gone).
func (c *errorCountingStore) count(op int, err error) error {
	if err != nil && !errors.Is(err, swarm.ErrInvalid) && !errors.Is(err, context.Canceled) {
		c.errs[op].Add(1)
	}
	return err
}

func (c *errorCountingStore) Announce(ctx context.Context, req *swarm.AnnounceRequest, res *swarm.AnnounceResult) error {
	return c.count(opAnnounce, c.Store.Announce(ctx, req, res))
}

func (c *errorCountingStore) Leave(ctx context.Context, ih bittorrent.InfoHash, peer swarm.Peer) (bool, error) {
	ok, err := c.Store.Leave(ctx, ih, peer)
	return ok, c.count(opLeave, err)
}

func (c *errorCountingStore) Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	out, err := c.Store.Scrape(ctx, hashes, dst)
	return out, c.count(opScrape, err)
}

func (c *errorCountingStore) Totals(ctx context.Context) (swarm.Totals, error) {
	t, err := c.Store.Totals(ctx)
	return t, c.count(opTotals, err)
}

// ScrapeAll implements bittorrent.FullScraper when the store does.
func (c *errorCountingStore) ScrapeAll(ctx context.Context, fn func(bittorrent.InfoHash, bittorrent.Counts) bool) error {
	fs, ok := c.Store.(bittorrent.FullScraper)
	if !ok {
		return errors.New("the swarm store cannot list every swarm")
	}
	return c.count(opScrapeAll, fs.ScrapeAll(ctx, fn))
}

// Ping checks the store: its own Ping when it has one, else Totals.
func (c *errorCountingStore) Ping(ctx context.Context) error {
	if p, ok := c.Store.(pinger); ok {
		return c.count(opPing, p.Ping(ctx))
	}
	_, err := c.Totals(ctx)
	return err
}

// MayBlock implements swarm.Blocking.
func (c *errorCountingStore) MayBlock() bool { return swarm.MayBlock(c.Store) }

var storeErrorsDesc = prometheus.NewDesc("swarmbridge_store_errors_total",
	"Calls to a swarm store across the network (Redis) that failed, by op (announce, leave, scrape, totals, scrape_all, ping; heartbeat, publish, subscribe and inbox of the cluster membership).",
	[]string{"op"}, nil)

// storeErrorsCollector reports the failures the store and the cluster
// node counted.
type storeErrorsCollector struct {
	store *errorCountingStore
	node  *cluster.Node // nil without one
}

func (c storeErrorsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- storeErrorsDesc }

func (c storeErrorsCollector) Collect(ch chan<- prometheus.Metric) {
	for i, name := range storeOpNames {
		ch <- prometheus.MustNewConstMetric(storeErrorsDesc, prometheus.CounterValue, float64(c.store.errs[i].Load()), name)
	}
	if c.node == nil {
		return
	}
	for op, n := range c.node.Errors() {
		ch <- prometheus.MustNewConstMetric(storeErrorsDesc, prometheus.CounterValue, float64(n), op)
	}
}
