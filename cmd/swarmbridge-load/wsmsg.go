package main

import (
	"bytes"
	"strconv"

	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// WebTorrent signaling messages (docs/protocol.md §4, §5), encoded by
// appending to a reused buffer: ids are pre-encoded binary strings (§3)
// and SDPs pre-encoded JSON string tokens, so an announce costs a few
// copies and no encoding/json.

// binTok returns b as a JSON binary string token, quotes included.
func binTok(b []byte) []byte { return wire.AppendBinaryString(nil, b) }

// announceMsg is what one announce carries.
type announceMsg struct {
	infoHash []byte // binary string token
	peerID   []byte // binary string token
	left     int64  // < 0: null (unknown, a magnet link without metadata)
	event    string // "" for a regular announce
	offers   int
	sdps     [][]byte // JSON string tokens, used round-robin
	sdpNext  int
	rng      *rng
	conn     int   // the sending connection, written into offer ids
	sentAt   int64 // when the announce is sent, ns since epoch: into offer ids
}

// appendAnnounce appends a WebTorrent announce with m.offers offers, each
// with a fresh offer_id (see putOfferID), in the key order the
// bittorrent-tracker client uses.
func appendAnnounce(dst []byte, m *announceMsg) []byte {
	dst = append(dst, `{"numwant":`...)
	dst = strconv.AppendInt(dst, int64(m.offers), 10)
	dst = append(dst, `,"uploaded":0,"downloaded":0,"left":`...)
	if m.left < 0 {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendInt(dst, m.left, 10)
	}
	if m.event != "" {
		dst = append(dst, `,"event":"`...)
		dst = append(dst, m.event...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"action":"announce","info_hash":`...)
	dst = append(dst, m.infoHash...)
	dst = append(dst, `,"peer_id":`...)
	dst = append(dst, m.peerID...)
	dst = append(dst, `,"offers":[`...)
	var oid [offerIDLen]byte
	for i := range m.offers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"offer":{"type":"offer","sdp":`...)
		dst = append(dst, m.sdps[m.sdpNext]...)
		m.sdpNext++
		if m.sdpNext == len(m.sdps) {
			m.sdpNext = 0
		}
		dst = append(dst, `},"offer_id":`...)
		putOfferID(oid[:], m.conn, m.sentAt, m.rng)
		dst = wire.AppendBinaryString(dst, oid[:])
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// appendAnswer appends the answer to a relayed offer (docs/protocol.md §4.3).
// infoHash, toPeerID and offerID are the raw JSON string tokens of the offer
// as received (valid JSON, so they are copied verbatim); peerID and sdp are
// the answerer's tokens.
func appendAnswer(dst, infoHash, peerID, toPeerID, offerID, sdp []byte) []byte {
	dst = append(dst, `{"action":"announce","info_hash":`...)
	dst = append(dst, infoHash...)
	dst = append(dst, `,"peer_id":`...)
	dst = append(dst, peerID...)
	dst = append(dst, `,"to_peer_id":`...)
	dst = append(dst, toPeerID...)
	dst = append(dst, `,"offer_id":`...)
	dst = append(dst, offerID...)
	dst = append(dst, `,"answer":{"type":"answer","sdp":`...)
	dst = append(dst, sdp...)
	return append(dst, "}}"...)
}

// appendScrape appends a scrape of the given binary string tokens: a single
// string for one hash, an array for several (as the reference client).
func appendScrape(dst []byte, hashes [][]byte) []byte {
	dst = append(dst, `{"action":"scrape","info_hash":`...)
	if len(hashes) == 1 {
		dst = append(dst, hashes[0]...)
		return append(dst, '}')
	}
	dst = append(dst, '[')
	for i, h := range hashes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, h...)
	}
	return append(dst, "]}"...)
}

// Kinds of server messages.
const (
	msgUnknown = iota
	msgAnnounceResp
	msgScrapeResp
	msgOffer
	msgAnswer
	msgFailure
)

// wsMsg is a server message decoded just enough to classify it and to
// answer an offer. The token fields alias the message.
type wsMsg struct {
	kind     int
	infoHash []byte // raw JSON token of info_hash
	peerID   []byte // raw JSON token of peer_id
	offerID  []byte // raw JSON token of offer_id
	reason   []byte // failure reason, the string token without its quotes
}

// classify decodes the top-level keys of a server message. It does not
// validate nested values beyond skipping them; a message that is not a
// JSON object is msgUnknown.
func classify(msg []byte, m *wsMsg) {
	*m = wsMsg{}
	var action []byte
	var hasOffer, hasAnswer, hasFailure, hasInterval, hasComplete, hasFiles bool
	i := skipWS(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return
	}
	i++
	for {
		i = skipWS(msg, i)
		if i >= len(msg) {
			return
		}
		if msg[i] == '}' {
			break
		}
		if msg[i] != '"' {
			return
		}
		kEnd := stringEnd(msg, i)
		if kEnd < 0 {
			return
		}
		key := msg[i+1 : kEnd-1]
		i = skipWS(msg, kEnd)
		if i >= len(msg) || msg[i] != ':' {
			return
		}
		i = skipWS(msg, i+1)
		vEnd := valueEnd(msg, i)
		if vEnd < 0 {
			return
		}
		v := msg[i:vEnd]
		switch string(key) {
		case "action":
			action = v
		case "info_hash":
			m.infoHash = v
		case "peer_id":
			m.peerID = v
		case "offer_id":
			m.offerID = v
		case "offer":
			hasOffer = true
		case "answer":
			hasAnswer = true
		case "failure reason":
			hasFailure = true
			if len(v) >= 2 && v[0] == '"' {
				v = v[1 : len(v)-1]
			}
			m.reason = v
		case "interval":
			hasInterval = true
		case "complete":
			hasComplete = true
		case "files":
			hasFiles = true
		}
		i = skipWS(msg, vEnd)
		if i >= len(msg) {
			return
		}
		if msg[i] == ',' {
			i++
			continue
		}
		if msg[i] != '}' {
			return
		}
		break
	}
	switch {
	case hasFailure:
		m.kind = msgFailure
	case hasOffer:
		m.kind = msgOffer
	case hasAnswer:
		m.kind = msgAnswer
	case string(action) == `"scrape"` && hasFiles:
		m.kind = msgScrapeResp
	case string(action) == `"announce"` && (hasInterval || hasComplete):
		m.kind = msgAnnounceResp
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		}
		break
	}
	return i
}

// stringEnd returns the index after the closing quote of the JSON string
// starting at b[i] == '"', or -1.
func stringEnd(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// valueEnd returns the index after the JSON value starting at b[i], or -1.
// Objects and arrays are matched by brackets outside strings, not
// validated.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}
