package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

func TestBinaryStringJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	inputs := [][]byte{{}, all, []byte("plain ascii"), {0x00}, {0xff, 0x80, '"', '\\'}}
	for range 200 {
		b := make([]byte, rng.IntN(64))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		enc := tcMarshalNoHTML(t, BinaryString(in))
		if !bytes.Equal(enc, AppendBinaryString(nil, in)) {
			t.Fatalf("MarshalJSON differs from AppendBinaryString")
		}
		var back BinaryString
		if err := json.Unmarshal(enc, &back); err != nil || !bytes.Equal(back, in) {
			t.Fatalf("%x → %s → %x (%v)", in, enc, back, err)
		}
		// Same through the ASCII-escaped form.
		back = nil
		if err := json.Unmarshal([]byte(tcEscaped(in, true)), &back); err != nil || !bytes.Equal(back, in) {
			t.Fatalf("escaped %x → %x (%v)", in, back, err)
		}
	}
}

// tcMarshalNoHTML is json.Marshal without its HTML escaping of <, > and &
// (valid either way, but it hides what MarshalJSON returned).
func tcMarshalNoHTML(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestBinaryStringErrors(t *testing.T) {
	bad := []string{`1`, `{}`, `"\u0100"`, `"Ā"`, `"😀"`, `"\ud800"`, "\"\xff\"", "\"\xc3\"", `"abc`, `"\x"`, `"a"b"`, `"\u00"`}
	for _, s := range bad {
		var b BinaryString
		if err := b.UnmarshalJSON([]byte(s)); err == nil {
			t.Errorf("%q accepted: %x", s, b)
		}
		var id BinaryID
		if err := id.UnmarshalJSON([]byte(s)); err == nil {
			t.Errorf("BinaryID %q accepted", s)
		}
	}
	// null leaves the value alone, as encoding/json does elsewhere.
	b := BinaryString("keep")
	if err := json.Unmarshal([]byte(`null`), &b); err != nil || string(b) != "keep" {
		t.Errorf("null: %q %v", b, err)
	}
	id := BinaryID(tcIH)
	if err := json.Unmarshal([]byte(` null `), &id); err != nil || id != tcIH {
		t.Errorf("null id: %v", err)
	}
}

func TestBinaryID(t *testing.T) {
	for k := range 13 {
		var id BinaryID
		for i := range id {
			id[i] = byte(k*20 + i)
		}
		enc := tcMarshalNoHTML(t, id)
		if !bytes.Equal(enc, AppendBinaryString(nil, id[:])) {
			t.Fatalf("%x: %s", id[:], enc)
		}
		var back BinaryID
		if err := json.Unmarshal(enc, &back); err != nil || back != id {
			t.Fatalf("%x → %x %v", id, back, err)
		}
		// As a map key, e.g. the "files" of a scrape response.
		m := map[BinaryID]int{id: k, BinaryID(tcIH): -1}
		menc, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var mback map[BinaryID]int
		if err := json.Unmarshal(menc, &mback); err != nil || len(mback) != 2 || mback[id] != k || mback[BinaryID(tcIH)] != -1 {
			t.Fatalf("map %s → %v %v", menc, mback, err)
		}
		// The scrape encoder's keys read the same way.
		out := AppendScrapeResponse(nil, []bittorrent.InfoHash{bittorrent.InfoHash(id)}, []bittorrent.Counts{{Complete: k}}, 0)
		var resp struct {
			Files map[BinaryID]struct{ Complete int }
		}
		if err := json.Unmarshal(out, &resp); err != nil || resp.Files[id].Complete != k {
			t.Fatalf("scrape key: %s %v", out, err)
		}
	}
	if got := BinaryID(tcIH).String(); got != "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3" {
		t.Errorf("String = %s", got)
	}
	for _, s := range []string{`""`, `"` + strings.Repeat("a", 19) + `"`, `"` + strings.Repeat("a", 21) + `"`, `"` + strings.Repeat("\u00e9", 21) + `"`} {
		var id BinaryID
		if err := json.Unmarshal([]byte(s), &id); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
	for _, s := range []string{strings.Repeat("a", 19), strings.Repeat("a", 19) + "Ā", strings.Repeat("a", 19) + "\xff", strings.Repeat("é", 21)} {
		var id BinaryID
		if err := id.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("text %q accepted", s)
		}
	}
}

// TestBinaryStringClient is how a Go client (e2e tests, load generator)
// builds requests with encoding/json: the tracker must decode them.
func TestBinaryStringClient(t *testing.T) {
	type offer struct {
		OfferID BinaryID  `json:"offer_id"`
		Offer   tcSDPJSON `json:"offer"`
	}
	req := struct {
		Action   string   `json:"action"`
		InfoHash BinaryID `json:"info_hash"`
		PeerID   BinaryID `json:"peer_id"`
		Event    string   `json:"event"`
		Left     *int64   `json:"left"`
		Offers   []offer  `json:"offers"`
	}{Action: "announce", InfoHash: tcIH, PeerID: BinaryID(tcOfferID(9)), Event: "started"}
	for i := range 3 {
		req.Offers = append(req.Offers, offer{BinaryID(tcOfferID(i)), tcSDPJSON{"offer", tcSDP(i, false)}})
	}
	msg, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var r Request
	if err := (&Decoder{}).Decode(msg, &r); err != nil {
		t.Fatal(err)
	}
	if r.InfoHash != tcIH || r.PeerID != tcOfferID(9) || len(r.Offers) != 3 || r.Offers[2].ID != tcOfferID(2) || r.Event != bittorrent.EventStarted || r.Left != bittorrent.LeftUnknown {
		t.Fatalf("%+v", r)
	}
	var sdp string
	if err := json.Unmarshal(r.Offers[1].SDP.SDP, &sdp); err != nil || sdp != tcSDP(1, false) {
		t.Errorf("sdp: %v", err)
	}
}
