// Package signalstore lets the public signaling relay use the shared swarm
// store. signaling imports nothing internal, so it declares the small Swarms
// interface it needs; this package meets it by translating types, which
// share their layout with the store's.
package signalstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// New returns store as signaling.Swarms. WebRTC peers it records live for
// ttl without announcing (they are also removed when their connection
// closes).
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

func toSwarmEvent(e signaling.Event) swarm.Event {
	switch e {
	case signaling.EventStarted:
		return swarm.EventStarted
	case signaling.EventCompleted:
		return swarm.EventCompleted
	case signaling.EventStopped:
		return swarm.EventStopped
	}
	return swarm.EventUpdate
}

func toCounts(c swarm.Counts) signaling.Counts {
	return signaling.Counts{Complete: c.Complete, Incomplete: c.Incomplete, Downloaded: c.Downloaded}
}

func (s signalingSwarms) Announce(ctx context.Context, a *signaling.Announce, targets []signaling.Target) (signaling.Counts, []signaling.Target, error) {
	req := swarm.AnnounceRequest{
		InfoHash: swarm.InfoHash(a.InfoHash),
		Peer: swarm.Peer{
			ID:    swarm.PeerID(a.PeerID),
			Kind:  swarm.WebRTC,
			Owner: swarm.Owner(a.Conn),
		},
		Event:   toSwarmEvent(a.Event),
		Left:    a.Left,
		TTL:     s.ttl,
		NumWant: a.Targets,
	}
	peers := peerSlices.Get().(*[]swarm.Peer)
	res := swarm.AnnounceResult{Peers: (*peers)[:0]}
	err := s.store.Announce(ctx, &req, &res)
	for _, p := range res.Peers {
		targets = append(targets, signaling.Target{PeerID: signaling.PeerID(p.ID), Conn: signaling.ConnID(p.Owner)})
	}
	*peers = res.Peers[:0]
	peerSlices.Put(peers)
	if err != nil {
		return signaling.Counts{}, targets, err
	}
	return toCounts(res.Counts), targets, nil
}

func (s signalingSwarms) Leave(ctx context.Context, ih signaling.InfoHash, peer signaling.PeerID, conn signaling.ConnID) error {
	_, err := s.store.Leave(ctx, swarm.InfoHash(ih), swarm.Peer{
		ID:    swarm.PeerID(peer),
		Kind:  swarm.WebRTC,
		Owner: swarm.Owner(conn),
	})
	return err
}

func (s signalingSwarms) Scrape(ctx context.Context, hashes []signaling.InfoHash, dst []signaling.Counts) ([]signaling.Counts, error) {
	// The two hash types share their layout; convert the slice header
	// without copying would need unsafe, and scrapes are rare and short,
	// so copy.
	hs := make([]swarm.InfoHash, len(hashes))
	for i, h := range hashes {
		hs[i] = swarm.InfoHash(h)
	}
	counts, err := s.store.Scrape(ctx, hs, make([]swarm.Counts, 0, len(hs)))
	if err != nil {
		return dst, err
	}
	for _, c := range counts {
		dst = append(dst, toCounts(c))
	}
	return dst, nil
}

// ScrapeAll lists every swarm when the store can (see
// httptracker.FullScraper); otherwise it fails.
func (s signalingSwarms) ScrapeAll(ctx context.Context, fn func(signaling.InfoHash, signaling.Counts) bool) error {
	all, ok := s.store.(interface {
		ScrapeAll(context.Context, func(swarm.InfoHash, swarm.Counts) bool) error
	})
	if !ok {
		return errors.New("signalstore: the swarm store cannot list every swarm")
	}
	return all.ScrapeAll(ctx, func(ih swarm.InfoHash, c swarm.Counts) bool {
		return fn(signaling.InfoHash(ih), toCounts(c))
	})
}
