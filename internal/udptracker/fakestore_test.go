package udptracker

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// fakeStore is a minimal native-only swarm.Store for tests that need one
// before (or without) the real in-memory store. It honours the parts of
// the Store contract this package relies on.
type fakeStore struct {
	mu     sync.Mutex
	now    func() time.Time
	swarms map[bittorrent.InfoHash]*fakeSwarm
	// fail makes every call return errFake.
	fail bool
}

type fakeSwarm struct {
	peers      map[netip.AddrPort]*fakeEntry
	downloaded int
}

type fakeEntry struct {
	id         bittorrent.PeerID
	seeder     bool
	downloaded bool
	exp        time.Time
}

var errFake = errors.New("fake store down")

func newFakeStore(now func() time.Time) *fakeStore {
	if now == nil {
		now = time.Now
	}
	return &fakeStore{now: now, swarms: map[bittorrent.InfoHash]*fakeSwarm{}}
}

func (f *fakeStore) Announce(_ context.Context, req *swarm.AnnounceRequest, res *swarm.AnnounceResult) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errFake
	}
	if req.TTL <= 0 || req.Peer.Kind != swarm.Native {
		return swarm.ErrInvalid
	}
	now := f.now()
	s := f.swarms[req.InfoHash]
	if s == nil {
		s = &fakeSwarm{peers: map[netip.AddrPort]*fakeEntry{}}
		f.swarms[req.InfoHash] = s
	}
	for k, e := range s.peers {
		if !e.exp.After(now) {
			delete(s.peers, k)
		}
	}
	key := req.Peer.Addr
	e := s.peers[key]
	if req.Event == bittorrent.EventStopped {
		delete(s.peers, key)
	} else {
		if e == nil {
			e = &fakeEntry{}
			s.peers[key] = e
		}
		e.id = req.Peer.ID
		if req.Left != bittorrent.LeftUnknown {
			e.seeder = req.Left == 0
		}
		if req.Event == bittorrent.EventCompleted && req.Left == bittorrent.LeftUnknown {
			e.seeder = true
		}
		if req.Event == bittorrent.EventCompleted && e.seeder && !e.downloaded {
			e.downloaded = true
			s.downloaded++
		}
		e.exp = now.Add(req.TTL)
	}
	res.Counts = s.counts()
	fams := req.Families
	if fams == 0 {
		fams = swarm.AnyFamily
	}
	if req.Event != bittorrent.EventStopped {
		for k, p := range s.peers {
			if len(res.Peers) >= req.NumWant {
				break
			}
			if k == key || swarm.FamilyOf(k.Addr())&fams == 0 {
				continue
			}
			res.Peers = append(res.Peers, swarm.Peer{ID: p.id, Kind: swarm.Native, Addr: k})
		}
	}
	if len(s.peers) == 0 {
		delete(f.swarms, req.InfoHash)
	}
	return nil
}

func (s *fakeSwarm) counts() bittorrent.Counts {
	c := bittorrent.Counts{Downloaded: s.downloaded}
	for _, e := range s.peers {
		if e.seeder {
			c.Complete++
		} else {
			c.Incomplete++
		}
	}
	return c
}

func (f *fakeStore) Leave(_ context.Context, ih bittorrent.InfoHash, p swarm.Peer) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.swarms[ih]; s != nil {
		if _, ok := s.peers[p.Addr]; ok {
			delete(s.peers, p.Addr)
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeStore) Scrape(_ context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return dst, errFake
	}
	for _, ih := range hashes {
		var c bittorrent.Counts
		if s := f.swarms[ih]; s != nil {
			c = s.counts()
		}
		dst = append(dst, c)
	}
	return dst, nil
}

func (f *fakeStore) Totals(context.Context) (swarm.Totals, error) {
	return swarm.Totals{}, nil
}

func (f *fakeStore) setFail(v bool) {
	f.mu.Lock()
	f.fail = v
	f.mu.Unlock()
}
