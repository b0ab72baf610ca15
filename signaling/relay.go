package signaling

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// Several Handlers (nodes) can share one set of swarms: Swarms is shared
// (a store in Redis), each Handler has its own Config.NodeID, which every
// ConnID it allocates carries, and a Router carries the offers and answers
// whose target connection another node holds. The receiving node hands
// them to its Handler's Deliver, which queues them exactly as a local
// relay would. Answer routing keeps its guarantee across nodes: the
// pending offer is remembered by the connection that received the offer,
// on its own node, and names the offering connection, wherever that is.

// RelayKind says what a Relay carries.
type RelayKind uint8

const (
	// RelayOffer is an offer for a peer of the target connection.
	RelayOffer RelayKind = iota + 1
	// RelayAnswer is an answer to an offer the target connection made.
	RelayAnswer
)

// String names the kind for logs ("offer", "answer").
func (k RelayKind) String() string {
	switch k {
	case RelayOffer:
		return "offer"
	case RelayAnswer:
		return "answer"
	}
	return "unknown"
}

// Relay is an offer or an answer for a connection of another node.
type Relay struct {
	Kind RelayKind
	// To is the connection the message is for; To.Node() is where it goes.
	To ConnID
	// Message is the text message the target gets, encoded by the sending
	// relay. Route must copy what it keeps: Message is valid only during
	// the call.
	Message []byte

	// An offer also carries what its target remembers, so that the answer
	// finds its way back (and only answers to relayed offers are
	// accepted): the offering connection, the swarm, the offering and the
	// target peers, and the offer's id.
	From     ConnID
	InfoHash bittorrent.InfoHash
	PeerID   bittorrent.PeerID
	ToPeerID bittorrent.PeerID
	OfferID  wire.OfferID
}

// Router carries Relays to the nodes that hold their targets. It is
// called on the goroutines that handle messages, so it must not block: it
// copies the relay into a queue and returns. Zero means the relay was
// queued; otherwise the DropReason says why it will not be delivered (the
// Handler counts it, as it counts local drops). A relay that was queued
// and is lost later is reported with Handler.RelayDropped.
type Router interface {
	Route(r *Relay) DropReason
}

// route hands a relay for another node to the Router, and counts it as a
// drop when the Router refuses it.
func (s *session) route(r *Relay) {
	rt := s.h.cfg.Router
	if rt == nil {
		s.recordDrop(DropTargetGone, r.Kind.String(), r.To)
		return
	}
	if reason := rt.Route(r); reason != 0 {
		s.recordDrop(reason, r.Kind.String(), r.To)
	}
}

// maxRelayMessage bounds the message of a Relay from another node: what
// this relay would send for the largest message it accepts, with room for
// the escapes another node's encoder may add.
func (h *Handler) maxRelayMessage() int { return 2*int(h.cfg.MaxMessageSize) + 1024 }

// Deliver queues a relay that another node routed here for its target
// connection, as a local relay would: the target remembers an offer
// before it is queued, so that the answer finds it, and what is not
// delivered is counted with its reason (target_gone when the connection
// is not here any more, queue_full for a slow consumer). It never blocks,
// so a Router may call it from the goroutine that receives from the
// network.
func (h *Handler) Deliver(r *Relay) {
	what := r.Kind.String()
	if r.Kind != RelayOffer && r.Kind != RelayAnswer {
		return
	}
	to := h.lookup(r.To)
	if to == nil || len(r.Message) > h.maxRelayMessage() {
		h.recordDrop(0, DropTargetGone, what, r.To)
		return
	}
	if r.Kind == RelayOffer {
		to.remember(pendingOffer{
			id:       r.OfferID,
			ih:       r.InfoHash,
			from:     r.PeerID,
			to:       r.ToPeerID,
			fromConn: r.From,
			expires:  h.cfg.Now().Add(h.cfg.OfferTTL).UnixNano(),
		})
	}
	f := engine.NewFrame()
	*f = append(*f, r.Message...)
	out := to.c.Enqueue(f)
	if out == engine.QueuedIdle {
		to.c.Flush()
	}
	switch {
	case !queued(out):
		h.recordDrop(0, dropReason(out), what, r.To)
	case r.Kind == RelayOffer:
		h.obs.OfferRelayed()
	default:
		h.obs.AnswerRelayed()
	}
}

// RelayDropped counts a relay that a Router had queued and then could not
// deliver (its node is gone, or the network failed), with why.
func (h *Handler) RelayDropped(kind RelayKind, to ConnID, reason DropReason) {
	h.recordDrop(0, reason, kind.String(), to)
}
