package signaling

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// pendingOffer is an offer relayed to a connection and not answered yet.
// Remembering it lets the answer go straight back to the offering
// connection, and refuses answers to offers this tracker never relayed, so
// no peer can push answers at arbitrary peer ids.
type pendingOffer struct {
	id       wire.OfferID
	ih       bittorrent.InfoHash
	from     bittorrent.PeerID // the offerer
	to       bittorrent.PeerID // the peer the offer was for, on this connection
	fromConn ConnID
	expires  int64 // unix nanoseconds
}

// pendingOffers is a ring of the most recent offers sent to one connection.
// It is allocated on first use and never grows past its limit: the oldest
// offer is forgotten first (clients forget theirs after 50 s anyway).
type pendingOffers struct {
	ring []pendingOffer
	next int // where the next offer goes once the ring is full
}

func (p *pendingOffers) add(o pendingOffer, limit int) {
	if limit <= 0 {
		return
	}
	if len(p.ring) < limit {
		p.ring = append(p.ring, o)
		return
	}
	p.ring[p.next] = o
	p.next = (p.next + 1) % len(p.ring)
}

// take finds the live offer id sent to peer `to` by `from` in swarm ih,
// forgets it and returns it. It looks from the newest offer back, since
// answers come soon after their offers: with a large ring (an operator
// raised WS_PENDING_OFFERS) an answer still costs a few comparisons.
func (p *pendingOffers) take(id wire.OfferID, ih bittorrent.InfoHash, from, to bittorrent.PeerID, now int64) (pendingOffer, bool) {
	n := len(p.ring)
	newest := n - 1 // until the ring is full, offers are in arrival order
	if n > 0 && p.next > 0 {
		newest = p.next - 1
	}
	for k := range n {
		o := &p.ring[(newest-k+n)%n]
		// Expired and consumed slots stay in place and are overwritten as
		// the ring turns.
		if o.expires > now && o.id == id && o.from == from && o.to == to && o.ih == ih {
			found := *o
			o.expires = 0
			return found, true
		}
	}
	return pendingOffer{}, false
}

// remember keeps an offer relayed to s, so that its answer can be routed
// back; the oldest are forgotten past Config.MaxPendingOffers.
func (s *session) remember(o pendingOffer) {
	s.pmu.Lock()
	s.pending.add(o, s.h.cfg.MaxPendingOffers)
	s.pmu.Unlock()
}

// takeOffer finds and forgets the live offer an answer on s answers.
func (s *session) takeOffer(id wire.OfferID, ih bittorrent.InfoHash, from, to bittorrent.PeerID, now int64) (pendingOffer, bool) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return s.pending.take(id, ih, from, to, now)
}
