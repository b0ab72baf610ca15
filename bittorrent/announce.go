package bittorrent

import "context"

// Event is an announce event, already normalised by the transport that
// decoded it: a regular announce, "update", "paused" and events this
// tracker does not know are all EventUpdate.
type Event uint8

const (
	EventUpdate Event = iota
	EventStarted
	EventCompleted
	EventStopped
)

// String names the event for logs and metric labels.
func (e Event) String() string {
	switch e {
	case EventUpdate:
		return "update"
	case EventStarted:
		return "started"
	case EventCompleted:
		return "completed"
	case EventStopped:
		return "stopped"
	}
	return "unknown"
}

// LeftUnknown is the bytes left of a peer that did not say how much it
// has left (WebSocket "left": null, a missing HTTP parameter, UDP's
// all-ones value).
const LeftUnknown int64 = -1

// Counts are the numbers a tracker reports for one swarm, over every kind
// of peer and every transport.
type Counts struct {
	// Complete is the number of seeders (last known left == 0).
	Complete int
	// Incomplete is the number of leechers.
	Incomplete int
	// Downloaded is the number of times a peer of this swarm sent a
	// "completed" event and became a seeder, counted once per entry, for
	// as long as the swarm exists.
	Downloaded int
}

// FullScraper is implemented by swarm stores that can list every swarm,
// for a scrape without info hashes (a full scrape). ScrapeAll calls fn with
// each swarm's counts until fn returns false or ctx ends; the order is
// unspecified.
type FullScraper interface {
	ScrapeAll(ctx context.Context, fn func(InfoHash, Counts) bool) error
}
