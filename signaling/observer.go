package signaling

import (
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// DropReason says why a frame meant for a peer was not delivered.
type DropReason uint8

const (
	// DropTargetGone: the peer's connection closed before delivery.
	DropTargetGone DropReason = iota + 1
	// DropQueueFull: the peer's send queue was full; it is being dropped
	// as a slow consumer.
	DropQueueFull
	// DropNoOffer: an answer matched no offer this tracker relayed (unknown,
	// expired or already answered).
	DropNoOffer
	// DropNoTarget: an offer found no peer to go to (too few peers).
	DropNoTarget
	// DropUnavailable: the peer's connection is on another node, and the
	// relay could not reach it (Config.Router refused or lost it: the
	// shared store is unreachable, or too much waits for that node).
	DropUnavailable
)

var dropReasonNames = [...]string{
	DropTargetGone:  "target_gone",
	DropQueueFull:   "queue_full",
	DropNoOffer:     "no_offer",
	DropNoTarget:    "no_target",
	DropUnavailable: "unavailable",
}

// String returns the reason's label.
func (r DropReason) String() string {
	if int(r) < len(dropReasonNames) && r != 0 {
		return dropReasonNames[r]
	}
	return "unknown"
}

// DropReasons lists every reason, for pre-registering metric labels.
func DropReasons() []DropReason {
	return []DropReason{DropTargetGone, DropQueueFull, DropNoOffer, DropNoTarget, DropUnavailable}
}

// Limit names an abuse limit that refused something.
type Limit uint8

const (
	// LimitConns: an upgrade was refused, Config.MaxConns reached (503).
	LimitConns Limit = iota + 1
	// LimitConnsPerIP: an upgrade was refused, Config.MaxConnsPerIP
	// reached (429).
	LimitConnsPerIP
	// LimitConnAnnounces: a message was over Config.AnnouncesPerConn.
	LimitConnAnnounces
	// LimitIPAnnounces: a message was refused by Config.Policy.Allow.
	LimitIPAnnounces
)

var limitNames = [...]string{
	LimitConns:         "conns",
	LimitConnsPerIP:    "conns_per_ip",
	LimitConnAnnounces: "conn_announces",
	LimitIPAnnounces:   "ip_announces",
}

// String returns the limit's label.
func (l Limit) String() string {
	if int(l) < len(limitNames) && l != 0 {
		return limitNames[l]
	}
	return "unknown"
}

// Limits lists every limit, for pre-registering metric labels.
func Limits() []Limit {
	return []Limit{LimitConns, LimitConnsPerIP, LimitConnAnnounces, LimitIPAnnounces}
}

// Observer receives counts of what the relay does, for metrics. Its
// methods are called on hot paths from many goroutines: they must be cheap,
// safe for concurrent use and must not block.
type Observer interface {
	ConnOpened()
	ConnClosed(reason CloseReason)
	// Handled is called once per client message after it was processed,
	// before any frame it caused is written, with what the message was
	// and the time it took.
	Handled(m Message, d time.Duration)
	// Failure is called for each failure reply, with its kind.
	Failure(code bittorrent.FailureCode)
	// OfferRelayed and AnswerRelayed count frames enqueued for peers.
	OfferRelayed()
	AnswerRelayed()
	// Dropped is called for each offer and answer that was not relayed,
	// with why.
	Dropped(reason DropReason)
	// Limited is called each time an abuse limit refuses an upgrade or a
	// message.
	Limited(limit Limit)
}

// nopObserver is used when Config.Observer is nil.
type nopObserver struct{}

func (nopObserver) ConnOpened()                    {}
func (nopObserver) ConnClosed(CloseReason)         {}
func (nopObserver) Handled(Message, time.Duration) {}
func (nopObserver) Failure(bittorrent.FailureCode) {}
func (nopObserver) OfferRelayed()                  {}
func (nopObserver) AnswerRelayed()                 {}
func (nopObserver) Dropped(DropReason)             {}
func (nopObserver) Limited(Limit)                  {}
