package trackerclient

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// The client messages of the WebTorrent protocol (docs/protocol.md §4), in the
// field order of the bittorrent-tracker JavaScript client. Each encoder
// returns a frame buffer: the JSON starts after wsproto.MaxClientHeader
// bytes of headroom, where the frame header goes. Ids are binary strings
// (wire.AppendBinaryString), exact for every byte value.

func newFrameBuf(n int) []byte {
	return make([]byte, wsproto.MaxClientHeader, wsproto.MaxClientHeader+n)
}

func appendWSAnnounce(req AnnounceRequest) []byte {
	n := 256
	for _, o := range req.Offers {
		n += len(o.SDP) + 128
	}
	b := newFrameBuf(n)
	numwant := req.NumWant
	switch {
	case numwant == NumWantNone:
		numwant = 0
	case numwant <= 0:
		numwant = len(req.Offers)
	}
	b = append(b, `{"numwant":`...)
	b = strconv.AppendInt(b, int64(numwant), 10)
	b = append(b, `,"uploaded":`...)
	b = strconv.AppendInt(b, max(req.Uploaded, 0), 10)
	b = append(b, `,"downloaded":`...)
	b = strconv.AppendInt(b, max(req.Downloaded, 0), 10)
	b = append(b, `,"left":`...)
	if req.Left < 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, req.Left, 10)
	}
	switch req.Event {
	case bittorrent.EventStarted, bittorrent.EventCompleted, bittorrent.EventStopped:
		b = append(b, `,"event":"`...)
		b = append(b, req.Event.String()...)
		b = append(b, '"')
	}
	b = append(b, `,"action":"announce","info_hash":`...)
	b = wire.AppendBinaryString(b, req.InfoHash[:])
	b = append(b, `,"peer_id":`...)
	b = wire.AppendBinaryString(b, req.PeerID[:])
	if len(req.Offers) > 0 {
		b = append(b, `,"offers":[`...)
		for i, o := range req.Offers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"offer":{"type":"offer","sdp":`...)
			b = appendJSONText(b, o.SDP)
			b = append(b, `},"offer_id":`...)
			b = wire.AppendBinaryString(b, o.ID[:])
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendWSAnswer(a Answer) []byte {
	b := newFrameBuf(len(a.SDP) + 256)
	b = append(b, `{"action":"announce","info_hash":`...)
	b = wire.AppendBinaryString(b, a.InfoHash[:])
	b = append(b, `,"peer_id":`...)
	b = wire.AppendBinaryString(b, a.PeerID[:])
	b = append(b, `,"to_peer_id":`...)
	b = wire.AppendBinaryString(b, a.ToPeerID[:])
	b = append(b, `,"answer":{"type":"answer","sdp":`...)
	b = appendJSONText(b, a.SDP)
	b = append(b, `},"offer_id":`...)
	b = wire.AppendBinaryString(b, a.OfferID[:])
	return append(b, '}')
}

// appendWSScrape asks for one torrent with a string, for several with an
// array, as the JavaScript client does, and for every torrent (a full
// scrape) without info_hash.
func appendWSScrape(hashes []bittorrent.InfoHash) []byte {
	b := newFrameBuf(64 + 50*len(hashes))
	b = append(b, `{"action":"scrape"`...)
	switch len(hashes) {
	case 0:
	case 1:
		b = append(b, `,"info_hash":`...)
		b = wire.AppendBinaryString(b, hashes[0][:])
	default:
		b = append(b, `,"info_hash":[`...)
		for i, h := range hashes {
			if i > 0 {
				b = append(b, ',')
			}
			b = wire.AppendBinaryString(b, h[:])
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONText appends s as a JSON string of text, like JSON.stringify
// (no HTML escaping); invalid UTF-8 becomes U+FFFD.
func appendJSONText(dst []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
