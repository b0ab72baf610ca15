package bittorrent

import "net/netip"

// Action is what a request asks of a swarm.
type Action uint8

const (
	// ActionUnknown is a request whose action is missing or not one a
	// tracker serves.
	ActionUnknown Action = iota
	// ActionAnnounce joins, refreshes or leaves a swarm. A WebSocket answer
	// to a relayed offer is an announce too: it carries the swarm's info
	// hash and is authorized as one.
	ActionAnnounce
	// ActionScrape reads a swarm's counts.
	ActionScrape
)

// String returns the action as WebTorrent clients write it ("announce",
// "scrape"), or "unknown".
func (a Action) String() string {
	switch a {
	case ActionAnnounce:
		return "announce"
	case ActionScrape:
		return "scrape"
	}
	return "unknown"
}

// ReasonRateLimited is the failure reason every transport sends for a
// request over a rate limit.
const ReasonRateLimited = "rate limited: too many announces, slow down"

// Policy is how an operator decides who may use the tracker: which pages
// and keys may connect, how often an address may ask, which torrents may
// be tracked. The transports ask it and know nothing of origins, keys,
// lists or limits. A nil Policy allows everything.
//
// Its methods are called from every connection and packet concurrently, on
// the hot path: they must be cheap, safe for concurrent use and must not
// block.
type Policy interface {
	// Admit is asked when a client arrives with a request that names where
	// it comes from: a WebSocket upgrade (origin is its Origin header) and
	// every HTTP announce and scrape (origin ""). path is the request's
	// URL path, where a private tracker's key lives. An error refuses the
	// request; its text is what the client is told. UDP packets carry no
	// such thing and are not admitted, only allowed.
	Admit(t Transport, addr netip.Addr, origin, path string) error
	// Allow spends one request of addr's budget on transport t: a
	// WebSocket announce or scrape, an HTTP request, a UDP packet. false
	// refuses it as rate limited (ReasonRateLimited; UDP stays silent).
	Allow(t Transport, addr netip.Addr) bool
	// Authorize is asked before an action on one info hash touches its
	// swarm. path carries the client's key: the URL path the WebSocket was
	// opened on or the HTTP request was sent to, or a UDP announce's BEP 41
	// URL data ("" when a UDP scrape, which carries none). An error refuses
	// an announce with the error's text; a refused scrape reports zeros,
	// like an unknown torrent, and a full scrape leaves it out.
	Authorize(t Transport, a Action, ih InfoHash, path string) error
}
