package wire

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// The encoders of server messages (docs/protocol.md §5). They append to dst
// and allocate only when dst must grow, so a connection that reuses its
// buffers encodes without allocating. Their output is always valid JSON in
// valid UTF-8, safe for a WebSocket text frame.

const codecHexDigits = "0123456789abcdef"

// AppendBinaryString appends b as a JSON binary string, quotes included
// (docs/protocol.md §3.2): each byte becomes the code point of the same
// value. Printable ASCII stays as is (with '"' and '\' escaped), control
// bytes and DEL become \b \f \n \r \t or \u00XX, and bytes 0x80–0xFF
// become their two-byte UTF-8 form, which is what browsers send.
func AppendBinaryString(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	for _, c := range b {
		switch {
		case c >= 0x80:
			dst = append(dst, 0xC0|c>>6, 0x80|c&0x3F)
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c >= 0x20 && c < 0x7F:
			dst = append(dst, c)
		default:
			dst = codecAppendControl(dst, c)
		}
	}
	return append(dst, '"')
}

// codecAppendControl appends the escape of a byte < 0x20 or DEL.
func codecAppendControl(dst []byte, c byte) []byte {
	switch c {
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', codecHexDigits[c>>4], codecHexDigits[c&0xF])
}

// codecAppendText appends s as a JSON string of text. Invalid UTF-8 becomes
// U+FFFD (as encoding/json does), so the output is valid UTF-8 whatever s
// holds.
func codecAppendText(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = codecAppendControl(dst, c)
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid in older JavaScript string
			// literals; escaped as encoding/json does.
			dst = append(dst, '\\', 'u', '2', '0', '2', codecHexDigits[r&0xF])
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// codecAppendSDPToken appends a raw JSON string token taken from a decoded
// message, or def when it is missing. Tokens from Decoder are valid JSON
// strings; the check here only guards against an empty or obviously broken
// SDP value producing invalid JSON.
func codecAppendSDPToken(dst, tok []byte, def string) []byte {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return append(dst, def...)
	}
	return append(dst, tok...)
}

// AppendAnnounceResponse appends the response to an announce
// (docs/protocol.md §5.2):
// {"action":"announce","info_hash":…,"interval":…,"complete":…,"incomplete":…}
func AppendAnnounceResponse(dst []byte, ih bittorrent.InfoHash, interval int, c bittorrent.Counts) []byte {
	dst = append(dst, `{"action":"announce","info_hash":`...)
	dst = AppendBinaryString(dst, ih[:])
	dst = append(dst, `,"interval":`...)
	dst = strconv.AppendInt(dst, int64(interval), 10)
	dst = append(dst, `,"complete":`...)
	dst = strconv.AppendInt(dst, int64(c.Complete), 10)
	dst = append(dst, `,"incomplete":`...)
	dst = strconv.AppendInt(dst, int64(c.Incomplete), 10)
	return append(dst, '}')
}

// AppendOffer appends the relay of one offer to a chosen peer
// (docs/protocol.md §5.3):
// {"action":"announce","info_hash":…,"peer_id":from,"offer_id":id,
// "offer":{"type":…,"sdp":…}}. from is the offering peer. sdp must come
// from Decoder (its tokens are copied verbatim); a missing type is sent as
// "offer".
func AppendOffer(dst []byte, ih bittorrent.InfoHash, from bittorrent.PeerID, id OfferID, sdp SDP) []byte {
	return codecAppendRelay(dst, ih, from, id, sdp, `,"offer":{"type":`, `"offer"`)
}

// AppendAnswer appends the relay of an answer to the offering peer
// (docs/protocol.md §5.4): like AppendOffer with "answer" for "offer". from
// is the answering peer; a missing type is sent as "answer".
func AppendAnswer(dst []byte, ih bittorrent.InfoHash, from bittorrent.PeerID, id OfferID, sdp SDP) []byte {
	return codecAppendRelay(dst, ih, from, id, sdp, `,"answer":{"type":`, `"answer"`)
}

func codecAppendRelay(dst []byte, ih bittorrent.InfoHash, from bittorrent.PeerID, id OfferID, sdp SDP, key, defType string) []byte {
	dst = append(dst, `{"action":"announce","info_hash":`...)
	dst = AppendBinaryString(dst, ih[:])
	dst = append(dst, `,"peer_id":`...)
	dst = AppendBinaryString(dst, from[:])
	dst = append(dst, `,"offer_id":`...)
	dst = AppendBinaryString(dst, id[:])
	dst = append(dst, key...)
	dst = codecAppendSDPToken(dst, sdp.Type, defType)
	dst = append(dst, `,"sdp":`...)
	dst = codecAppendSDPToken(dst, sdp.SDP, `""`)
	return append(dst, '}', '}')
}

// AppendScrapeResponse appends a scrape response (docs/protocol.md §5.5):
// {"action":"scrape","files":{<ih>:{"complete":…,"incomplete":…,
// "downloaded":…},…},"flags":{"min_request_interval":N}}.
// counts[i] belongs to hashes[i] (zeros when counts is shorter). A hash
// requested twice is emitted once, with its first counts: JSON objects
// with duplicate keys are ambiguous. flags is omitted when
// minRequestInterval <= 0.
func AppendScrapeResponse(dst []byte, hashes []bittorrent.InfoHash, counts []bittorrent.Counts, minRequestInterval int) []byte {
	dst = append(dst, `{"action":"scrape","files":{`...)
	// Duplicates are found with a small open-addressing table on the
	// stack (no map, so no allocation); beyond its size, by comparing
	// with every earlier hash.
	var seen [256]uint16 // index+1 into hashes; 0 is empty
	useTable := len(hashes) <= len(seen)/2
	first := true
outer:
	for i := range hashes {
		if useTable {
			// Info hashes are SHA-1/SHA-256 output: their first bytes
			// are already well mixed.
			slot := binary.LittleEndian.Uint64(hashes[i][:8]) * 0x9E3779B97F4A7C15 >> 56
			for ; seen[slot] != 0; slot = (slot + 1) % uint64(len(seen)) {
				if hashes[seen[slot]-1] == hashes[i] {
					continue outer
				}
			}
			seen[slot] = uint16(i + 1)
		} else {
			for j := range i {
				if hashes[j] == hashes[i] {
					continue outer
				}
			}
		}
		var c bittorrent.Counts
		if i < len(counts) {
			c = counts[i]
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = AppendBinaryString(dst, hashes[i][:])
		dst = append(dst, `:{"complete":`...)
		dst = strconv.AppendInt(dst, int64(c.Complete), 10)
		dst = append(dst, `,"incomplete":`...)
		dst = strconv.AppendInt(dst, int64(c.Incomplete), 10)
		dst = append(dst, `,"downloaded":`...)
		dst = strconv.AppendInt(dst, int64(c.Downloaded), 10)
		dst = append(dst, '}')
	}
	dst = append(dst, '}')
	if minRequestInterval > 0 {
		dst = append(dst, `,"flags":{"min_request_interval":`...)
		dst = strconv.AppendInt(dst, int64(minRequestInterval), 10)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// AppendFailure appends a failure reply (docs/protocol.md §5.6):
// {"action":…,"failure reason":…,"info_hash":…}. It always carries an
// action, "announce" for bittorrent.ActionUnknown, because the reference client tears
// down the socket on a message without one; info_hash is included when ih
// is not nil, since clients ignore failures that lack it.
func AppendFailure(dst []byte, action bittorrent.Action, ih *bittorrent.InfoHash, reason string) []byte {
	if action == bittorrent.ActionScrape {
		dst = append(dst, `{"action":"scrape","failure reason":`...)
	} else {
		dst = append(dst, `{"action":"announce","failure reason":`...)
	}
	dst = codecAppendText(dst, reason)
	if ih != nil {
		dst = append(dst, `,"info_hash":`...)
		dst = AppendBinaryString(dst, ih[:])
	}
	return append(dst, '}')
}
