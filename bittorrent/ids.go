package bittorrent

import "encoding/hex"

// InfoHash is the 20-byte id of a swarm (BEP 3; BEP 52 hashes truncated).
type InfoHash [20]byte

// String returns the info hash as lowercase hex, the form used in logs.
func (h InfoHash) String() string { return hex.EncodeToString(h[:]) }

// PeerID is a client-chosen 20-byte peer id. It is binary: never treat it
// as text.
type PeerID [20]byte

// String returns the peer id as lowercase hex, the form used in logs.
func (p PeerID) String() string { return hex.EncodeToString(p[:]) }
