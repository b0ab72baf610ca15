// Package wsproto is the part of RFC 6455 (WebSocket) that more than one
// program of this module needs: opcodes and close codes, frame headers for
// both directions, masking, an incremental frame reader, close payloads,
// the Sec-WebSocket-Accept key, and a minimal blocking client connection.
//
// It is deliberately small and allocation-free on its hot paths: frames are
// encoded behind headroom the caller reserves in front of the payload
// (MaxServerHeader, MaxClientHeader), so a message is built once, in place,
// and written with one system call. It negotiates nothing: no subprotocol
// and no extensions (so never permessage-deflate).
//
// The tracker's WebSocket engine (package signaling) uses the server side;
// the tracker client (package trackerclient), the load generator and test
// clients use Conn.
package wsproto
