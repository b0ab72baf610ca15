// Package memory is an in-process swarm.Store: swarms live in a sharded map
// in this process's heap and vanish with it.
//
// Each shard is a mutex and a map from info hash to swarm, so announces to
// different swarms rarely contend and a lock is held only for one swarm's
// work. Within a swarm, entries sit in three compact slices (WebRTC, IPv4,
// IPv6) so picking random peers is a few index computations, and an index
// map from entry key to position is built only once a swarm is large enough
// for a linear scan to cost more than the map's memory.
//
// Expired entries are invisible at once: each swarm is cleaned lazily when it
// is touched, and Sweep (or Run) removes the rest. The Store starts no
// goroutines of its own.
package memory

import (
	"context"
	"fmt"
	"math/bits"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// DefaultShards is the number of shards used when Options.Shards is zero.
const DefaultShards = 64

// maxShards bounds Options.Shards: more shards than this only cost memory.
const maxShards = 1 << 12

// Options configure a Store. The zero value is usable.
type Options struct {
	// Shards is the number of independently locked parts of the store. It
	// is rounded up to a power of two so a shard is found with a mask, and
	// capped at 4096; zero or less means DefaultShards.
	Shards int
	// Now is the clock used for expiry. Nil means time.Now; tests inject a
	// fake clock.
	Now func() time.Time
	// MaxPeersPerSwarm caps the entries of one swarm, all kinds together.
	// At the cap a new entry evicts the entry that expires first. Zero or
	// less means unlimited.
	MaxPeersPerSwarm int
}

// Store is a sharded in-memory swarm.Store. Create it with New.
type Store struct {
	shards   []shard
	mask     uint64
	now      func() time.Time
	maxPeers int
}

var _ swarm.Store = (*Store)(nil)

// New returns an empty Store configured by opts.
func New(opts Options) *Store {
	n := opts.Shards
	if n <= 0 {
		n = DefaultShards
	}
	n = min(n, maxShards)
	// Round up to a power of two: the shard is picked with a mask.
	n = 1 << bits.Len(uint(n-1))
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	st := &Store{
		shards:   make([]shard, n),
		mask:     uint64(n - 1),
		now:      now,
		maxPeers: max(opts.MaxPeersPerSwarm, 0),
	}
	for i := range st.shards {
		st.shards[i].swarms = make(map[bittorrent.InfoHash]*swarmState)
	}
	return st
}

// shardOf returns the shard holding ih. Info hashes are SHA-1 or SHA-256
// output, so their first bytes are already uniformly distributed.
func (st *Store) shardOf(ih bittorrent.InfoHash) *shard {
	v := uint64(ih[0]) | uint64(ih[1])<<8 | uint64(ih[2])<<16 | uint64(ih[3])<<24
	return &st.shards[v&st.mask]
}

// Announce implements swarm.Store. It allocates only when a swarm is
// created or outgrows its slices, or when res.Peers lacks room for the
// picks.
func (st *Store) Announce(_ context.Context, req *swarm.AnnounceRequest, res *swarm.AnnounceResult) error {
	if err := validateAnnounce(req); err != nil {
		return err
	}
	k := keyOf(&req.Peer)
	now := st.now().UnixNano()
	res.Counts = bittorrent.Counts{}
	res.Rebound = 0
	res.CountedDownload = false

	sh := st.shardOf(req.InfoHash)
	sh.mu.Lock()
	defer sh.mu.Unlock()

	s := sh.swarms[req.InfoHash]
	if s != nil {
		sh.expire(s, now)
		// A swarm emptied by expiry is gone, downloads and all, even if
		// this announce is about to create a new one.
		if sh.dropIfEmpty(req.InfoHash, s) {
			s = nil
		}
	}
	if req.Event == bittorrent.EventStopped {
		// A swarm the stop empties is deleted, and so counts zero like any
		// unknown swarm, Downloaded included.
		if s != nil {
			sh.stop(s, &k, req.Peer.Owner)
			if !sh.dropIfEmpty(req.InfoHash, s) {
				res.Counts = s.counts()
			}
		}
		return nil
	}
	if s == nil {
		s = newSwarmState()
		sh.swarms[req.InfoHash] = s
	}
	exp := expiry(now, req.TTL)
	pos := s.find(&k)
	if pos < 0 {
		pos, res.CountedDownload = sh.create(s, &k, req, exp, st.maxPeers)
	} else {
		res.Rebound, res.CountedDownload = sh.update(s, k.list, pos, req, exp)
	}
	res.Counts = s.counts()
	res.Peers = s.pick(res.Peers, req, k.list, pos)
	return nil
}

// Leave implements swarm.Store.
func (st *Store) Leave(_ context.Context, ih bittorrent.InfoHash, peer swarm.Peer) (bool, error) {
	if err := validatePeer(&peer); err != nil {
		return false, fmt.Errorf("memory: leave from %v: %w", ih, err)
	}
	k := keyOf(&peer)
	now := st.now().UnixNano()

	sh := st.shardOf(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()

	s := sh.swarms[ih]
	if s == nil {
		return false, nil
	}
	sh.expire(s, now)
	removed := sh.stop(s, &k, peer.Owner)
	sh.dropIfEmpty(ih, s)
	return removed, nil
}

// Scrape implements swarm.Store. It appends to dst.
func (st *Store) Scrape(_ context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	now := st.now().UnixNano()
	for _, ih := range hashes {
		dst = append(dst, st.scrapeOne(ih, now))
	}
	return dst, nil
}

func (st *Store) scrapeOne(ih bittorrent.InfoHash, now int64) bittorrent.Counts {
	sh := st.shardOf(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()

	s := sh.swarms[ih]
	if s == nil {
		return bittorrent.Counts{}
	}
	sh.expire(s, now)
	if sh.dropIfEmpty(ih, s) {
		return bittorrent.Counts{}
	}
	return s.counts()
}

// Totals implements swarm.Store. It reads counters each shard keeps up to
// date, so it costs one lock per shard. Entries that expired but have not
// yet been swept or touched are still included.
func (st *Store) Totals(_ context.Context) (swarm.Totals, error) {
	var swarms, seeders, entries int
	var byList [numLists]int
	var byClient [swarm.NumClients]int
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		swarms += len(sh.swarms)
		seeders += sh.seeders
		for l, n := range sh.entries {
			byList[l] += n
			entries += n
		}
		for c, n := range sh.clients {
			byClient[c] += n
		}
		sh.mu.Unlock()
	}
	clients := make(map[swarm.Client]int)
	for c, n := range byClient {
		if n > 0 {
			clients[swarm.Client(c)] = n
		}
	}
	return swarm.Totals{
		PeersByClient: clients,
		Swarms:        swarms,
		Seeders:       seeders,
		Leechers:      entries - seeders,
		PeersByKind: map[swarm.Kind]int{
			swarm.WebRTC: byList[listWebRTC],
			swarm.Native: byList[listIPv4] + byList[listIPv6],
		},
	}, nil
}
