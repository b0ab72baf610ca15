package wire

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// FuzzDecode: Decode never panics; whatever it accepts is valid JSON in
// valid UTF-8 (json.Valid agrees), its ids re-encode to JSON that decodes
// to the same bytes, its SDP tokens are valid JSON strings in valid UTF-8;
// and its syntax verdict matches encoding/json's (see diff_test.go
// for the one deliberate difference, invalid UTF-8).
//
// The seed corpus is testdata/fuzz/FuzzDecode (realistic announces,
// answers and scrapes, and nasty inputs), plus the messages below.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(tcAnnounce(2, "started")))
	f.Add([]byte(tcAnswerMsg()))
	f.Add([]byte(tcMsg(`{"action":"scrape","info_hash":[<IH>,<PEER>]}`)))
	for _, s := range tcMalformed {
		f.Add([]byte(s))
	}
	small := &Decoder{MaxOffers: 1, MaxScrapeHashes: 2, MaxDepth: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		tcDiffCheck(t, &Decoder{}, codecDefaultMaxDepth, data)
		tcDiffCheck(t, small, 4, data)
	})
}

// FuzzBinaryString: any 20 bytes survive AppendBinaryString → Decode in
// every id field, as do the other textual forms clients use; any byte
// string survives BinaryString's JSON round trip.
func FuzzBinaryString(f *testing.F) {
	f.Add(tcIH[:])
	f.Add([]byte("-WW0300-Zk3Q9s1bX2aQ"))
	f.Add(bytes.Repeat([]byte{0}, 20))
	f.Add(bytes.Repeat([]byte{0xff}, 20))
	f.Add([]byte("\"\\\"\\/\b\f\n\r\t\x7f\x80\xc3\xbf\xed\xa0\x80\x00\x1f\"\\"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var id [20]byte
		copy(id[:], b)
		forms := []string{
			string(AppendBinaryString(nil, id[:])),
			tcEscaped(id[:], false),
			tcEscaped(id[:], true),
			tcAllEscaped(id[:]),
			tcLatin1ViaJSON(id[:]),
		}
		var r Request
		for _, s := range forms {
			msg := []byte(`{"action":"announce","info_hash":` + s + `,"peer_id":` + s + `,"offers":[{"offer_id":` + s + `,"offer":{"sdp":""}}]}`)
			if err := (&Decoder{}).Decode(msg, &r); err != nil {
				t.Fatalf("%q: %v", msg, err)
			}
			if r.InfoHash != id || r.PeerID != id || len(r.Offers) != 1 || r.Offers[0].ID != id {
				t.Fatalf("%q: decoded %x %x", msg, r.InfoHash, r.PeerID)
			}
			msg = []byte(`{"action":"announce","info_hash":` + s + `,"peer_id":` + s + `,"to_peer_id":` + s + `,"offer_id":` + s + `,"answer":{"sdp":""}}`)
			if err := (&Decoder{}).Decode(msg, &r); err != nil || r.ToPeerID != id || r.OfferID != id {
				t.Fatalf("%q: %v", msg, err)
			}
			msg = []byte(`{"action":"scrape","info_hash":[` + s + `]}`)
			if err := (&Decoder{}).Decode(msg, &r); err != nil || len(r.ScrapeHashes) != 1 || r.ScrapeHashes[0] != id {
				t.Fatalf("%q: %v", msg, err)
			}
		}
		// Failure replies carry it too.
		ih := bittorrent.InfoHash(id)
		var m tcServerMsg
		if out := AppendFailure(nil, bittorrent.ActionAnnounce, &ih, string(b)); json.Unmarshal(out, &m) != nil || *m.InfoHash != id {
			t.Fatalf("failure: %q", out)
		}
		// Any length through BinaryString.
		enc, err := json.Marshal(BinaryString(b))
		if err != nil {
			t.Fatal(err)
		}
		var back BinaryString
		if err := json.Unmarshal(enc, &back); err != nil || !bytes.Equal(back, b) {
			t.Fatalf("%x → %s → %x (%v)", b, enc, back, err)
		}
	})
}
