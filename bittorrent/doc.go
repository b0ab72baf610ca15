// Package bittorrent is the vocabulary every part of the tracker shares:
// the 20-byte ids, a swarm's counts, announce events, the transports a
// request comes over, and the codes that say why a request failed. It
// imports only the standard library, so that any package, public or
// internal, can use it without pulling anything else in.
//
// Transports (WebSocket signaling, HTTP, UDP) decode their own wire formats
// into these types; the swarm store and the metrics only ever see these.
package bittorrent
