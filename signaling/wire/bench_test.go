package wire

import (
	"encoding/json"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Run with: go test -run x -bench Codec -benchmem ./signaling/

func tcBenchDecode(b *testing.B, msg []byte) {
	var r Request
	d := &Decoder{}
	if err := d.Decode(msg, &r); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(msg, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecDecodeAnnounce5(b *testing.B) { tcBenchDecode(b, []byte(tcAnnounce(5, "started"))) }
func BenchmarkCodecDecodeAnnounce10(b *testing.B) {
	tcBenchDecode(b, []byte(tcAnnounce(10, "started")))
}
func BenchmarkCodecDecodeAnswer(b *testing.B) { tcBenchDecode(b, []byte(tcAnswerMsg())) }
func BenchmarkCodecDecodeStopped(b *testing.B) {
	tcBenchDecode(b, []byte(tcMsg(`{"numwant":50,"uploaded":0,"downloaded":1048576,"left":0,"event":"stopped","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`)))
}
func BenchmarkCodecDecodeScrape(b *testing.B) {
	tcBenchDecode(b, []byte(tcMsg(`{"action":"scrape","info_hash":[<IH>,<PEER>,<PEER2>]}`)))
}

// BenchmarkCodecDecodeAnnounce5EncodingJSON is the reference point: the
// same message through encoding/json into a struct.
func BenchmarkCodecDecodeAnnounce5EncodingJSON(b *testing.B) {
	msg := []byte(tcAnnounce(5, "started"))
	type offer struct {
		OfferID BinaryID        `json:"offer_id"`
		Offer   json.RawMessage `json:"offer"`
	}
	var v struct {
		Action   string   `json:"action"`
		InfoHash BinaryID `json:"info_hash"`
		PeerID   BinaryID `json:"peer_id"`
		Event    string   `json:"event"`
		Left     *float64 `json:"left"`
		NumWant  int      `json:"numwant"`
		Offers   []offer  `json:"offers"`
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		v.Offers = v.Offers[:0]
		if err := json.Unmarshal(msg, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecEncodeOffer(b *testing.B) {
	var r Request
	if err := (&Decoder{}).Decode([]byte(tcAnnounce(1, "started")), &r); err != nil {
		b.Fatal(err)
	}
	o := r.Offers[0]
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(AppendOffer(nil, r.InfoHash, r.PeerID, o.ID, o.SDP))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendOffer(buf[:0], r.InfoHash, r.PeerID, o.ID, o.SDP)
	}
}

func BenchmarkCodecEncodeAnnounceResponse(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAnnounceResponse(buf[:0], tcIH, 120, bittorrent.Counts{Complete: 3, Incomplete: 7})
	}
}

func BenchmarkCodecEncodeScrapeResponse(b *testing.B) {
	hashes := []bittorrent.InfoHash{tcIH, tcPeer, tcPeer2}
	counts := []bittorrent.Counts{{Complete: 1, Incomplete: 2, Downloaded: 3}, {Complete: 4, Incomplete: 5, Downloaded: 6}, {Complete: 7, Incomplete: 8, Downloaded: 9}}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendScrapeResponse(buf[:0], hashes, counts, 600)
	}
}

func BenchmarkCodecEncodeFailure(b *testing.B) {
	buf := make([]byte, 0, 256)
	ih := bittorrent.InfoHash(tcIH)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFailure(buf[:0], bittorrent.ActionAnnounce, &ih, "invalid peer_id")
	}
}
