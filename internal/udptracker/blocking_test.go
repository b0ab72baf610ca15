package udptracker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// slowStore is a store across a network, made up: every announce and
// scrape takes delay, and it says it may block (swarm.Blocking).
type slowStore struct {
	swarm.Store
	delay time.Duration
}

func (slowStore) MayBlock() bool { return true }

func (s slowStore) Announce(ctx context.Context, req *swarm.AnnounceRequest, res *swarm.AnnounceResult) error {
	time.Sleep(s.delay)
	return s.Store.Announce(ctx, req, res)
}

func (s slowStore) Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	time.Sleep(s.delay)
	return s.Store.Scrape(ctx, hashes, dst)
}

// With a store that may block, the requests that arrive together are
// answered together, each with its own reply, instead of one round trip
// after another: 16 clients whose announces take 100 ms each are all
// answered in well under 16 × 100 ms, by one reader (batched path) or by
// as many readers as platforms without batches get by default.
func TestABlockingStoreIsCalledConcurrently(t *testing.T) {
	for _, single := range []bool{false, true} {
		name := "batched"
		if single {
			name = "single"
		}
		t.Run(name, func(t *testing.T) {
			if !single && !batching {
				t.Skip("no batches on this platform")
			}
			singleReads = single
			defer func() { singleReads = false }()
			const delay, clients = 100 * time.Millisecond, 16
			cfg := Config{Store: slowStore{newTestStore(nil), delay}}
			cfg.Workers = 1
			if single {
				cfg.Workers = 32
			}
			s := newTestServer(t, cfg)
			conn := listen(t, "udp4", "127.0.0.1:0")
			startServer(t, s, conn)
			cs := make([]*rawClient, clients)
			for i := range cs {
				cs[i] = dial(t, serverAddr(conn, swarm.IPv4))
				cs[i].connect()
			}
			swarmID := ih(7)
			start := time.Now()
			var wg sync.WaitGroup
			for i, c := range cs {
				wg.Go(func() {
					// Each client checks its own reply: its transaction
					// id, and never itself among the peers.
					r := c.announce(annReq{ih: swarmID, peerID: pid(byte(i)), left: 1, numWant: 50}, swarm.IPv4)
					for _, p := range r.peers {
						if p == c.self(swarm.IPv4) {
							t.Errorf("client %d got itself as a peer", i)
						}
					}
				})
			}
			wg.Wait()
			took := time.Since(start)
			if took > clients*delay/2 {
				t.Fatalf("%d announces of %v each took %v: answered one after another", clients, delay, took)
			}
			if got := cs[0].scrape(swarmID); got[0].Incomplete != clients {
				t.Fatalf("scrape after the announces: %+v, want %d leechers", got[0], clients)
			}
		})
	}
}
