// Package trackerclient is a BitTorrent tracker client for HTTP(S) and
// UDP trackers, meant both for programs that announce and for tools that
// check trackers. It speaks the announce and scrape of BEP 3 with compact
// peers (BEP 23), IPv6 peers (BEP 7), the scrape convention (BEP 48),
// external ip (BEP 24), retry in (BEP 31), and the UDP tracker protocol
// (BEP 15) with the URLData option (BEP 41), so private trackers that keep
// a key in the URL path work over UDP too.
//
// Use [New] with an announce URL to get a [Client] for its scheme, or
// [NewHTTP] and [NewUDP] for the transport-specific extras ([HTTPClient.ScrapeURL],
// [UDPClient.Connect]). A tracker's refusal (a bencoded "failure reason",
// a UDP error packet) is a [*FailureError]; a reply that cannot be read
// wraps [ErrMalformed]; a UDP request that got no reply wraps [ErrTimeout];
// everything else wraps its cause. Where a tracker answers in a way that
// works but departs from the BEPs, the client copes and lists a [Quirk] in
// the response, so a checker can name it.
//
// Tracker replies are untrusted: bodies are read up to
// [Options.MaxResponseSize], bencode is decoded by a strict decoder of its
// own with bounded nesting, and what a reply makes the client allocate is
// in proportion to its size, never to a length it claims.
//
// Every method that blocks takes a context first and returns when it ends.
// Clients are safe for concurrent use, and no goroutine a client started
// outlives its Close.
//
// The package imports only the standard library and the bittorrent
// vocabulary package, so it can be used outside Swarmbridge.
package trackerclient
