package memory

import (
	"math"
	"sync"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// shard is one independently locked part of the store. Every change to an
// entry goes through its methods, which keep the swarm's and the shard's
// counters in step, so Totals never has to walk the swarms and counts can
// not drift. All methods require mu to be held.
type shard struct {
	mu     sync.Mutex
	swarms map[bittorrent.InfoHash]*swarmState
	// seeders and entries cover every swarm of the shard, expired but not
	// yet removed entries included.
	seeders int
	entries [numLists]int
	clients [swarm.NumClients]int
	// Padding keeps neighbouring shards' mutexes on different cache lines,
	// so contention on one shard does not slow down the next.
	_ [64]byte
}

// create adds the requester's missing entry and returns its position and
// whether it counted a download. At the per-swarm cap it first evicts the
// entry that expires first.
func (sh *shard) create(s *swarmState, k *key, req *swarm.AnnounceRequest, exp int64, maxPeers int) (int, bool) {
	for maxPeers > 0 && s.size() >= maxPeers {
		list, pos := s.earliest()
		sh.remove(s, list, pos)
	}
	e := newEntry(&req.Peer, k)
	e.expires = exp
	// A new entry with unknown left is a leecher unless it announced that
	// it completed.
	e.seeder = req.Left == 0 || (req.Left < 0 && req.Event == bittorrent.EventCompleted)
	if req.Event == bittorrent.EventCompleted && e.seeder {
		e.counted = true
		s.addDownload()
	}
	return sh.insert(s, k, e), e.counted
}

// update applies an announce to the existing entry at pos of list and
// returns the owner it was bound to if the announce rebound it, and
// whether it counted a download.
func (sh *shard) update(s *swarmState, list uint8, pos int, req *swarm.AnnounceRequest, exp int64) (swarm.Owner, bool) {
	e := &s.lists[list][pos]
	var rebound swarm.Owner
	if list == listWebRTC {
		if old := e.owner(); old != req.Peer.Owner {
			rebound = old
			e.setOwner(req.Peer.Owner)
		}
	} else if e.id != req.Peer.ID {
		// A native entry is keyed by its endpoint; the peer id is just the
		// latest one it sent.
		sh.clients[swarm.ClientOf(e.id)]--
		sh.clients[swarm.ClientOf(req.Peer.ID)]++
		e.id = req.Peer.ID
	}
	seeder := e.seeder
	switch {
	case req.Left == 0:
		seeder = true
	case req.Left > 0:
		seeder = false
	case req.Event == bittorrent.EventCompleted:
		seeder = true
	}
	sh.setSeeder(s, e, seeder)
	counted := false
	if req.Event == bittorrent.EventCompleted && e.seeder && !e.counted {
		e.counted = true
		counted = true
		s.addDownload()
	}
	e.expires = exp
	s.minExpires = min(s.minExpires, exp)
	return rebound, counted
}

// stop removes the entry with key k if it exists and, for a WebRTC entry,
// is bound to owner. It reports whether it removed one.
func (sh *shard) stop(s *swarmState, k *key, owner swarm.Owner) bool {
	pos := s.find(k)
	if pos < 0 {
		return false
	}
	if k.list == listWebRTC && s.lists[listWebRTC][pos].owner() != owner {
		return false
	}
	sh.remove(s, k.list, pos)
	return true
}

// insert appends e, whose key is k, and returns its position.
func (sh *shard) insert(s *swarmState, k *key, e entry) int {
	l := append(grow(s.lists[k.list]), e)
	s.lists[k.list] = l
	pos := len(l) - 1
	if e.seeder {
		s.seeders++
		sh.seeders++
	}
	sh.entries[k.list]++
	sh.clients[swarm.ClientOf(e.id)]++
	s.minExpires = min(s.minExpires, e.expires)
	if s.index != nil {
		s.index[*k] = int32(pos)
	} else if s.size() > indexAbove {
		s.buildIndex()
	}
	return pos
}

// remove deletes the entry at pos of list by moving the last entry of the
// list into its place, so removal is O(1) and the slice stays dense.
func (sh *shard) remove(s *swarmState, list uint8, pos int) {
	l := s.lists[list]
	last := len(l) - 1
	if l[pos].seeder {
		s.seeders--
		sh.seeders--
	}
	sh.entries[list]--
	sh.clients[swarm.ClientOf(l[pos].id)]--
	if s.index != nil {
		delete(s.index, l[pos].key(list))
	}
	if pos != last {
		l[pos] = l[last]
		if s.index != nil {
			s.index[l[pos].key(list)] = int32(pos)
		}
	}
	s.lists[list] = l[:last]
	if s.index != nil && s.size() < indexBelow {
		s.index = nil
	}
}

func (sh *shard) setSeeder(s *swarmState, e *entry, seeder bool) {
	if e.seeder == seeder {
		return
	}
	e.seeder = seeder
	if seeder {
		s.seeders++
		sh.seeders++
		return
	}
	s.seeders--
	sh.seeders--
}

// expire removes the swarm's entries whose expiry is at or before now. It
// is cheap when nothing can have expired yet (see minExpires).
func (sh *shard) expire(s *swarmState, now int64) {
	if now < s.minExpires {
		return
	}
	earliest := int64(math.MaxInt64)
	for list := range s.lists {
		for i := 0; i < len(s.lists[list]); {
			exp := s.lists[list][i].expires
			if exp <= now {
				// The last entry moves to i: look at i again.
				sh.remove(s, uint8(list), i)
				continue
			}
			earliest = min(earliest, exp)
			i++
		}
	}
	s.minExpires = earliest
}

// dropIfEmpty deletes the swarm ih if it has no entries left and reports
// whether it did.
func (sh *shard) dropIfEmpty(ih bittorrent.InfoHash, s *swarmState) bool {
	if s.size() != 0 {
		return false
	}
	delete(sh.swarms, ih)
	return true
}

func (s *swarmState) addDownload() {
	if s.downloaded < math.MaxUint32 {
		s.downloaded++
	}
}
