package wsproto

import (
	"crypto/sha1" //nolint:gosec // RFC 6455 §4.2.2 defines Sec-WebSocket-Accept with SHA-1
	"encoding/base64"
	"strings"
)

// guid is the fixed GUID of §1.3 that the accept key hashes in.
const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AppendAcceptKey appends the Sec-WebSocket-Accept value that answers the
// Sec-WebSocket-Key key (§4.2.2), without allocating.
func AppendAcceptKey(dst []byte, key string) []byte {
	h := sha1.New() //nolint:gosec // see the import
	h.Write([]byte(strings.TrimSpace(key)))
	h.Write([]byte(guid))
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(dst, h.Sum(sum[:0]))
}
