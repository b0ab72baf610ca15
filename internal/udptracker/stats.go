package udptracker

import "sync/atomic"

// counter indexes one statistic in a shard.
type counter int

const (
	// Answered requests.
	cConnects counter = iota
	cAnnounces
	cScrapes
	// Requests dropped without a reply.
	cMalformed
	cBadProtocolID
	cBadConnectionID
	cUnknownAction
	cSourcePortZero
	cRateLimited
	// Requests answered with an error packet.
	cPortZero
	cDenied
	cStoreFailures
	// Accepted, but worth knowing about.
	cUnknownEvents
	cTruncatedOptions
	// Socket trouble.
	cReadErrors
	cWriteErrors
	numCounters
)

// counterNames label the counters in debug logs.
var counterNames = [numCounters]string{
	cConnects:         "connect",
	cAnnounces:        "announce",
	cScrapes:          "scrape",
	cMalformed:        "malformed",
	cBadProtocolID:    "bad_protocol_id",
	cBadConnectionID:  "bad_connection_id",
	cUnknownAction:    "unknown_action",
	cSourcePortZero:   "source_port_zero",
	cRateLimited:      "rate_limited",
	cPortZero:         "port_zero",
	cDenied:           "denied",
	cStoreFailures:    "store_failure",
	cUnknownEvents:    "unknown_event",
	cTruncatedOptions: "truncated_options",
	cReadErrors:       "read_error",
	cWriteErrors:      "write_error",
}

// shard holds one worker's counters. Workers count into their own shard so
// that counting every packet does not bounce one cache line between cores;
// the padding keeps neighbouring shards off each other's lines.
type shard struct {
	c [numCounters]atomic.Uint64
	_ [128]byte
}

func (s *shard) inc(c counter) { s.c[c].Add(1) }

// Stats are cumulative counts since the Server was created.
type Stats struct {
	// Requests answered normally.
	Connects  uint64
	Announces uint64
	Scrapes   uint64

	// Requests dropped without a reply (docs/protocol.md §10.6).
	//
	// Malformed: too short, a scrape whose length is not 16 + 20·n, or
	// with 0 or more than MaxScrapeHashes hashes.
	Malformed uint64
	// BadProtocolID: a connect without the protocol magic.
	BadProtocolID uint64
	// BadConnectionID: a forged, expired or other-address connection id.
	BadConnectionID uint64
	// UnknownAction: an action other than connect, announce, scrape.
	UnknownAction uint64
	// SourcePortZero: datagrams from port 0, which cannot be answered
	// and are typical of spoofed traffic.
	SourcePortZero uint64
	// RateLimited: packets Config.AllowPacket refused.
	RateLimited uint64

	// Requests answered with an error packet.
	//
	// PortZero: an announce with port 0.
	PortZero uint64
	// Denied: Config.Authorize refused the announce.
	Denied uint64
	// StoreFailures: the swarm store returned an error.
	StoreFailures uint64

	// Announces accepted with an event above 4, treated as update.
	UnknownEvents uint64
	// Announces whose BEP 41 options ran past the packet and were ignored.
	TruncatedOptions uint64

	// Socket errors other than shutdown.
	ReadErrors  uint64
	WriteErrors uint64
}

// Stats returns the counters summed over all workers. It is safe to call
// at any time, concurrently with Serve.
func (s *Server) Stats() Stats {
	var sum [numCounters]uint64
	for i := range s.shards {
		for c := range sum {
			sum[c] += s.shards[i].c[c].Load()
		}
	}
	return Stats{
		Connects:         sum[cConnects],
		Announces:        sum[cAnnounces],
		Scrapes:          sum[cScrapes],
		Malformed:        sum[cMalformed],
		BadProtocolID:    sum[cBadProtocolID],
		BadConnectionID:  sum[cBadConnectionID],
		UnknownAction:    sum[cUnknownAction],
		SourcePortZero:   sum[cSourcePortZero],
		RateLimited:      sum[cRateLimited],
		PortZero:         sum[cPortZero],
		Denied:           sum[cDenied],
		StoreFailures:    sum[cStoreFailures],
		UnknownEvents:    sum[cUnknownEvents],
		TruncatedOptions: sum[cTruncatedOptions],
		ReadErrors:       sum[cReadErrors],
		WriteErrors:      sum[cWriteErrors],
	}
}
