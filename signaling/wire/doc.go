// Package wire is the WebTorrent signaling message format
// (docs/protocol.md §3-§5): the JSON that WebTorrent clients and trackers
// exchange over WebSocket, with its binary strings (§3), where each code
// point U+0000–U+00FF of a JSON string stands for one byte of an id.
//
// Decoder turns one client message into a Request without allocating and
// without encoding/json; the Append* functions encode server messages into
// a caller's buffer. SDP is never parsed: it is carried as the raw JSON
// string token the client sent. BinaryString and BinaryID let Go code that
// uses encoding/json (tests, tools, clients) read and write binary strings.
//
// The package only encodes and decodes; framing is package wsproto's and
// the relay is package signaling's.
package wire
