// Package wsconformance holds a conformance suite for the tracker's own
// RFC 6455 engine (package signaling), modelled on sections 1 to 7 of the
// Autobahn testsuite: framing and payload lengths, pings and pongs,
// reserved bits and opcodes, fragmentation, UTF-8, close handshakes and
// close codes, masking, and bytes that arrive slowly or pipelined.
//
// It has no code outside its tests. The tests are black-box: they serve
// signaling.New behind a plain listener (ws://) and behind
// signaling.NewTLSListener (wss://), both read by the epoll pollers on
// Linux, and behind tls.NewListener (wss://, read by reader goroutines, as
// on every platform without epoll), and speak to
// it over real sockets with a small frame writer and reader of their own
// that shares no code with the engine, so that the engine is never checked
// against itself.
//
// The tracker is not an echo server, so the cases make messages
// observable through the protocol: a message is a WebTorrent scrape of
// hashes spread over its whole length, and its scrape reply, naming every
// hash, shows that it arrived intact; pings get pongs; close handshakes
// and close codes are seen directly.
//
// Every case also runs against an independent implementation, the ws npm
// package's server (testdata/node), as an echo server: the suite keeps as
// expectations only what RFC 6455 and ws agree on. Where the tracker
// chooses to differ, the case says so and why; conformance_test.go lists
// these differences.
package wsconformance
