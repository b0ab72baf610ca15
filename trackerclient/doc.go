// Package trackerclient is a BitTorrent tracker client for HTTP(S), UDP
// and WebSocket (WebTorrent) trackers, meant both for programs that
// announce and for tools that check trackers. It speaks the announce and
// scrape of BEP 3 with compact peers (BEP 23), IPv6 peers (BEP 7), the
// scrape convention (BEP 48), external ip (BEP 24), retry in (BEP 31), the
// UDP tracker protocol (BEP 15) with the URLData option (BEP 41), so
// private trackers that keep a key in the URL path work over UDP too, and
// the WebTorrent signaling protocol over ws:// and wss:// (WebRTC offers
// and answers relayed by the tracker; see Swarmbridge's docs/protocol.md).
//
// Use [New] with an announce URL to get a [Client] for its scheme, or
// [NewHTTP], [NewUDP] and [NewWS] for the transport-specific extras
// ([HTTPClient.ScrapeURL], [UDPClient.Connect], [WSClient.Messages] and
// [WSClient.Answer]). A tracker's refusal (a bencoded or JSON "failure
// reason", a UDP error packet) is a [*FailureError]; a WebSocket the
// tracker closed is a [*CloseError] with its code and reason; a reply that
// cannot be read wraps [ErrMalformed]; a UDP or WebSocket request that got
// no reply wraps [ErrTimeout]; everything else wraps its cause. Where a
// tracker answers in a way that works but departs from the BEPs, the
// client copes and lists a [Quirk] in the response, so a checker can name
// it.
//
// Tracker replies are untrusted: HTTP bodies and WebSocket messages are
// read up to [Options.MaxResponseSize], bencode is decoded by a strict
// decoder of its own with bounded nesting, WebSocket JSON strictly (one
// object, valid UTF-8, no key twice, ids exactly 20 bytes), and what a
// reply makes the client allocate is in proportion to its size, never to
// a length it claims.
//
// Every method that blocks takes a context first and returns when it ends.
// Clients are safe for concurrent use, and no goroutine a client started
// outlives its Close.
//
// The package imports only the standard library and Swarmbridge's public
// packages bittorrent (the vocabulary), signaling/wire (binary strings)
// and signaling/wsproto (the WebSocket connection), so it can be used outside
// Swarmbridge.
package trackerclient
