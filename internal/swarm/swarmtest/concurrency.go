package swarmtest

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// concurrencyChecks hammer a few swarms from many goroutines. Each worker
// owns its peers, so it can predict exactly what happens to them whatever
// the interleaving, and the final counts are the sum of the workers'
// predictions. Peers shared by all workers add contention (rebinding,
// stopping each other's entries) whose outcome is not predictable; they
// are removed at the end, and must leave no trace in the counts.
func concurrencyChecks() []check {
	return []check{
		{"AnnounceLeave", func(f *fixture) {
			const swarms, workers, ops = 4, 8, 400
			var hashes [swarms]bittorrent.InfoHash
			for i := range hashes {
				hashes[i] = newHash()
			}
			before := f.totals()
			// An anchor seeder per swarm keeps each swarm alive, so that
			// Downloaded, which dies with a swarm, is predictable too.
			for _, ih := range hashes {
				f.do(ih, f.webrtc(), bittorrent.EventStarted, 0)
			}
			shared := []swarm.Peer{f.webrtc(), f.webrtc(), f.native4()}
			ws := make([]*worker, workers)
			for i := range ws {
				ws[i] = newWorker(f, hashes[:], shared)
			}
			var wg sync.WaitGroup
			for _, w := range ws {
				wg.Go(func() { w.run(ops) })
			}
			wg.Wait()
			if f.t.Failed() {
				return
			}

			// Clear the shared peers: take each over, then stop it.
			for _, ih := range hashes {
				for _, p := range shared {
					if p.Kind == swarm.WebRTC {
						p.Owner = newOwner()
						f.do(ih, p, bittorrent.EventUpdate, bittorrent.LeftUnknown)
					}
					f.do(ih, p, bittorrent.EventStopped, bittorrent.LeftUnknown)
				}
			}

			want := delta{swarms: swarms}
			for i, ih := range hashes {
				c := bittorrent.Counts{Complete: 1} // the anchor
				for _, w := range ws {
					for j, m := range w.model[i] {
						if !m.present {
							continue
						}
						if m.seeder {
							c.Complete++
						} else {
							c.Incomplete++
						}
						if w.peers[j].Kind == swarm.WebRTC {
							want.webrtc++
						} else {
							want.native++
						}
					}
					c.Downloaded += w.downloaded[i]
				}
				want.seeders += c.Complete
				want.leechers += c.Incomplete
				want.webrtc++ // the anchor
				f.wantScrape(fmt.Sprintf("swarm %d", i), ih, c)
			}
			f.wantDelta("after the workers", before, want)
		}},
	}
}

// peerModel is what a worker expects the store to hold for one of its
// peers in one swarm.
type peerModel struct {
	present, seeder, counted bool
	owner                    swarm.Owner
}

// worker announces, stops and leaves its own peers at random and predicts
// the outcome.
type worker struct {
	f      *fixture
	hashes []bittorrent.InfoHash
	peers  []swarm.Peer
	// alt is a second owner for each WebRTC peer, to exercise rebinding.
	alt    []swarm.Owner
	shared []swarm.Peer
	// model[swarm][peer] and downloaded[swarm] are the predictions.
	model      [][]peerModel
	downloaded []int
	res        swarm.AnnounceResult
}

func newWorker(f *fixture, hashes []bittorrent.InfoHash, shared []swarm.Peer) *worker {
	w := &worker{f: f, hashes: hashes, shared: shared, downloaded: make([]int, len(hashes))}
	// Enough WebRTC peers per swarm to pass any small-swarm threshold a
	// store may have once all workers are in.
	for range 6 {
		w.peers = append(w.peers, f.webrtc())
	}
	for range 3 {
		w.peers = append(w.peers, f.native4(), f.native6())
	}
	for range w.peers {
		w.alt = append(w.alt, newOwner())
	}
	for range hashes {
		w.model = append(w.model, make([]peerModel, len(w.peers)))
	}
	return w
}

// run performs n random operations, stopping at the first failure so a
// broken store does not flood the log.
func (w *worker) run(n int) {
	for range n {
		var err error
		if rand.IntN(8) == 0 {
			err = w.sharedOp()
		} else {
			err = w.ownOp()
		}
		if err != nil {
			w.f.t.Error(err)
			return
		}
	}
}

// randomLeft returns a seeder's, a leecher's or an unknown Left.
func randomLeft() int64 {
	return [...]int64{0, 100, bittorrent.LeftUnknown}[rand.IntN(3)]
}

// ownOp acts on one of the worker's own peers and checks the outcome
// against the model.
func (w *worker) ownOp() error {
	si, pi := rand.IntN(len(w.hashes)), rand.IntN(len(w.peers))
	ih, p, m := w.hashes[si], w.peers[pi], &w.model[si][pi]
	if p.Kind == swarm.WebRTC && rand.IntN(4) == 0 {
		p.Owner = w.alt[pi]
	}
	// Whether a stopped or Leave from p removes its entry.
	removes := m.present && (p.Kind == swarm.Native || m.owner == p.Owner)
	switch op := rand.IntN(10); {
	case op < 6:
		ev := [...]bittorrent.Event{bittorrent.EventStarted, bittorrent.EventUpdate, bittorrent.EventCompleted}[rand.IntN(3)]
		r := req(ih, p, ev, randomLeft())
		r.NumWant = rand.IntN(30)
		r.Families = [...]swarm.Family{0, swarm.IPv4, swarm.IPv6, swarm.AnyFamily}[rand.IntN(4)]
		if err := w.announce(r); err != nil {
			return err
		}
		var wantRebound swarm.Owner
		if m.present && p.Kind == swarm.WebRTC && m.owner != p.Owner {
			wantRebound = m.owner
		}
		if w.res.Rebound != wantRebound {
			return fmt.Errorf("%v %v: Rebound = %v, want %v", p.Kind, r.Event, w.res.Rebound, wantRebound)
		}
		w.apply(si, m, r)
	case op < 8:
		if err := w.announce(req(ih, p, bittorrent.EventStopped, 0)); err != nil {
			return err
		}
		if removes {
			m.present = false
		}
	default:
		ok, err := w.f.st.Leave(w.f.ctx, ih, p)
		if err != nil {
			return fmt.Errorf("Leave: %w", err)
		}
		if ok != removes {
			return fmt.Errorf("Leave of %v peer = %v, want %v", p.Kind, ok, removes)
		}
		if removes {
			m.present = false
		}
	}
	return nil
}

// apply updates the model for an accepted announce that is not a stopped.
func (w *worker) apply(si int, m *peerModel, r *swarm.AnnounceRequest) {
	completed := r.Event == bittorrent.EventCompleted
	if !m.present {
		*m = peerModel{present: true}
	}
	m.owner = r.Peer.Owner
	switch {
	case r.Left == 0:
		m.seeder = true
	case r.Left > 0:
		m.seeder = false
	case completed:
		m.seeder = true
	}
	if completed && m.seeder && !m.counted {
		m.counted = true
		w.downloaded[si]++
	}
}

// sharedOp acts on a peer every worker uses. Its outcome depends on the
// other workers, so only the answer's shape is checked.
func (w *worker) sharedOp() error {
	ih := w.hashes[rand.IntN(len(w.hashes))]
	p := w.shared[rand.IntN(len(w.shared))]
	if p.Kind == swarm.WebRTC {
		p.Owner = w.alt[rand.IntN(len(w.alt))]
	}
	switch rand.IntN(4) {
	case 0:
		return w.announce(req(ih, p, bittorrent.EventStopped, 0))
	case 1:
		_, err := w.f.st.Leave(w.f.ctx, ih, p)
		return err
	}
	// Never completed: downloads from shared peers would be unpredictable.
	r := req(ih, p, bittorrent.EventUpdate, randomLeft())
	r.NumWant = rand.IntN(30)
	return w.announce(r)
}

// announce sends r and checks that the peers it got are plausible: the
// requester's kind and families, distinct, never itself, none after a
// stopped.
func (w *worker) announce(r *swarm.AnnounceRequest) error {
	w.res.Peers = w.res.Peers[:0]
	if err := w.f.st.Announce(w.f.ctx, r, &w.res); err != nil {
		return fmt.Errorf("Announce %v %v: %w", r.Peer.Kind, r.Event, err)
	}
	c := w.res.Counts
	if c.Complete < 0 || c.Incomplete < 0 || c.Downloaded < 0 {
		return fmt.Errorf("negative counts %+v", c)
	}
	got := w.res.Peers
	if r.Event == bittorrent.EventStopped && len(got) != 0 {
		return fmt.Errorf("stopped returned %d peers", len(got))
	}
	if len(got) > r.NumWant {
		return fmt.Errorf("got %d peers, wanted at most %d", len(got), r.NumWant)
	}
	fam := r.Families
	if fam == 0 {
		fam = swarm.AnyFamily
	}
	for i, q := range got {
		switch {
		case q.Kind != r.Peer.Kind:
			return fmt.Errorf("%v requester got %v peer", r.Peer.Kind, q.Kind)
		case q.Kind == swarm.WebRTC && q.ID == r.Peer.ID:
			return fmt.Errorf("webrtc requester got itself")
		case q.Kind == swarm.Native && q.Addr == r.Peer.Addr:
			return fmt.Errorf("native requester got itself")
		case q.Kind == swarm.Native && swarm.FamilyOf(q.Addr.Addr())&fam == 0:
			return fmt.Errorf("requester wanting families %d got %v", fam, q.Addr)
		}
		for _, o := range got[:i] {
			if o == q {
				return fmt.Errorf("got %v twice", q)
			}
		}
	}
	return nil
}
