// Package signalstore lets the public signaling relay use the shared swarm
// store. Both speak the bittorrent vocabulary; what this adapter adds is
// what only the store knows about WebRTC peers: that a signaling peer is a
// swarm.WebRTC entry, how long it lives without announcing (the TTL), that
// the connection it is bound to is its swarm.Owner, and that the store's
// picks are the relay's offer targets.
package signalstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// New returns store as signaling.Swarms. WebRTC peers it records live for
// ttl without announcing (they are also removed when their connection
// closes). The result implements bittorrent.FullScraper, which fails when
// store cannot list every swarm.
func New(store swarm.Store, ttl time.Duration) signaling.Swarms {
	return signalingSwarms{store: store, ttl: ttl}
}

type signalingSwarms struct {
	store swarm.Store
	ttl   time.Duration // how long a WebRTC peer lives without announcing
}

var peerSlices = sync.Pool{New: func() any {
	s := make([]swarm.Peer, 0, 16)
	return &s
}}

// peer is the store's entry for a signaling peer bound to conn.
func peer(id bittorrent.PeerID, conn signaling.ConnID) swarm.Peer {
	return swarm.Peer{ID: id, Kind: swarm.WebRTC, Owner: swarm.Owner(conn)}
}

func (s signalingSwarms) Announce(ctx context.Context, a *signaling.Announce, targets []signaling.Target) (bittorrent.Counts, []signaling.Target, error) {
	req := swarm.AnnounceRequest{
		InfoHash: a.InfoHash,
		Peer:     peer(a.PeerID, a.Conn),
		Event:    a.Event,
		Left:     a.Left,
		TTL:      s.ttl,
		NumWant:  a.Targets,
	}
	peers := peerSlices.Get().(*[]swarm.Peer)
	res := swarm.AnnounceResult{Peers: (*peers)[:0]}
	err := s.store.Announce(ctx, &req, &res)
	for _, p := range res.Peers {
		targets = append(targets, signaling.Target{PeerID: p.ID, Conn: signaling.ConnID(p.Owner)})
	}
	*peers = res.Peers[:0]
	peerSlices.Put(peers)
	if err != nil {
		return bittorrent.Counts{}, targets, err
	}
	return res.Counts, targets, nil
}

func (s signalingSwarms) Leave(ctx context.Context, ih bittorrent.InfoHash, id bittorrent.PeerID, conn signaling.ConnID) error {
	_, err := s.store.Leave(ctx, ih, peer(id, conn))
	return err
}

func (s signalingSwarms) Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	return s.store.Scrape(ctx, hashes, dst)
}

// MayBlock implements signaling.Blocking: the relay handles messages on
// worker goroutines when the store waits on the network.
func (s signalingSwarms) MayBlock() bool { return swarm.MayBlock(s.store) }

// errNoFullScrape is ScrapeAll's error for a store that cannot list every
// swarm.
var errNoFullScrape = errors.New("signalstore: the swarm store cannot list every swarm")

// ScrapeAll lists every swarm when the store can; otherwise it fails.
func (s signalingSwarms) ScrapeAll(ctx context.Context, fn func(bittorrent.InfoHash, bittorrent.Counts) bool) error {
	all, ok := s.store.(bittorrent.FullScraper)
	if !ok {
		return errNoFullScrape
	}
	return all.ScrapeAll(ctx, fn)
}
