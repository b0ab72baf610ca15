package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// tcServerMsg is a server message as a client reads it with encoding/json.
type tcServerMsg struct {
	Action        string     `json:"action"`
	InfoHash      *BinaryID  `json:"info_hash"`
	PeerID        *BinaryID  `json:"peer_id"`
	OfferID       *BinaryID  `json:"offer_id"`
	Interval      *int       `json:"interval"`
	Complete      *int       `json:"complete"`
	Incomplete    *int       `json:"incomplete"`
	FailureReason *string    `json:"failure reason"`
	Offer         *tcSDPJSON `json:"offer"`
	Answer        *tcSDPJSON `json:"answer"`
	Files         map[BinaryID]struct {
		Complete, Incomplete, Downloaded int
	} `json:"files"`
	Flags *struct {
		MinRequestInterval int `json:"min_request_interval"`
	} `json:"flags"`
}

type tcSDPJSON struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// tcParseServer checks that out is valid JSON in valid UTF-8 (a text
// frame) with only known keys, and returns it parsed.
func tcParseServer(t *testing.T, out []byte) tcServerMsg {
	t.Helper()
	if !utf8.Valid(out) || !json.Valid(out) {
		t.Fatalf("not valid JSON/UTF-8: %q", out)
	}
	var m tcServerMsg
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return m
}

func TestAppendBinaryString(t *testing.T) {
	exact := map[byte]string{
		0x00: `\u0000`, 0x08: `\b`, 0x09: `\t`, 0x0a: `\n`, 0x0c: `\f`, 0x0d: `\r`, 0x1f: `\u001f`, 0x1c: `\u001c`,
		'"': `\"`, '\\': `\\`, '/': `/`, ' ': ` `, 'A': `A`, '~': `~`, 0x7f: `\u007f`,
		0x80: "\xc2\x80", 0xa9: "\xc2\xa9", 0xbf: "\xc2\xbf", 0xc0: "\xc3\x80", 0xff: "\xc3\xbf",
	}
	for c, want := range exact {
		if got := string(AppendBinaryString(nil, []byte{c})); got != `"`+want+`"` {
			t.Errorf("%#02x: %q, want %q", c, got, `"`+want+`"`)
		}
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	out := AppendBinaryString([]byte("prefix"), all)
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatal("dst not appended to")
	}
	out = out[len("prefix"):]
	if !utf8.Valid(out) || !json.Valid(out) {
		t.Fatalf("invalid: %q", out)
	}
	var s string
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	rs := []rune(s)
	if len(rs) != 256 {
		t.Fatalf("%d code points", len(rs))
	}
	for i, r := range rs {
		if r != rune(i) {
			t.Fatalf("code point %d is %U", i, r)
		}
	}
	if got := string(AppendBinaryString(nil, nil)); got != `""` {
		t.Errorf("empty: %s", got)
	}
}

func TestAppendAnnounceResponse(t *testing.T) {
	ih := [20]byte([]byte("abcdefghij0123456789"))
	out := AppendAnnounceResponse(nil, ih, 120, bittorrent.Counts{Complete: 3, Incomplete: 7, Downloaded: 12})
	want := `{"action":"announce","info_hash":"abcdefghij0123456789","interval":120,"complete":3,"incomplete":7}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	out = AppendAnnounceResponse(out[:0], tcIH, 120, bittorrent.Counts{Complete: 1, Incomplete: 2})
	m := tcParseServer(t, out)
	if m.Action != "announce" || *m.InfoHash != tcIH || *m.Interval != 120 || *m.Complete != 1 || *m.Incomplete != 2 {
		t.Errorf("%+v", m)
	}
}

// TestAppendOfferRoundTrip relays the offers of a browser announce and
// checks that the receiving client gets each SDP byte for byte.
func TestAppendOfferRoundTrip(t *testing.T) {
	msg := []byte(tcAnnounce(5, "started"))
	var r Request
	if err := (&Decoder{}).Decode(msg, &r); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for i, o := range r.Offers {
		out = AppendOffer(out[:0], r.InfoHash, r.PeerID, o.ID, o.SDP)
		m := tcParseServer(t, out)
		if m.Action != "announce" || *m.InfoHash != tcIH || *m.PeerID != tcPeer || *m.OfferID != tcOfferID(i) || m.Offer == nil || m.Answer != nil {
			t.Fatalf("offer %d: %+v", i, m)
		}
		if m.Offer.Type != "offer" || m.Offer.SDP != tcSDP(i, false) {
			t.Errorf("offer %d: sdp changed: %+v", i, m.Offer)
		}
		if !bytes.Contains(out, o.SDP.SDP) {
			t.Errorf("offer %d: raw SDP token not copied verbatim", i)
		}
		// Our own decoder reads the relay too (it is announce-shaped).
		var back Request
		if err := (&Decoder{}).Decode(out, &back); err != nil || back.InfoHash != tcIH || back.PeerID != tcPeer || !back.HasOfferID || back.OfferID != tcOfferID(i) {
			t.Errorf("offer %d: own decoder: %v %+v", i, err, back)
		}
	}
	// Default type, and odd but valid escaping kept as sent.
	odd := SDP{SDP: []byte(`"v=0\r\n\u0061\/\ud800 é😀"`)}
	out = AppendOffer(out[:0], tcIH, tcPeer, tcOfferID(0), odd)
	if !bytes.Contains(out, []byte(`"offer":{"type":"offer","sdp":"v=0\r\n\u0061\/\ud800 é😀"}`)) {
		t.Errorf("%s", out)
	}
	tcParseServer(t, out)
	// A missing SDP still gives valid JSON.
	out = AppendOffer(out[:0], tcIH, tcPeer, tcOfferID(0), SDP{})
	if m := tcParseServer(t, out); m.Offer.SDP != "" || m.Offer.Type != "offer" {
		t.Errorf("%+v", m.Offer)
	}
}

func TestAppendAnswerRoundTrip(t *testing.T) {
	msg := []byte(tcAnswerMsg())
	var r Request
	if err := (&Decoder{}).Decode(msg, &r); err != nil {
		t.Fatal(err)
	}
	out := AppendAnswer(nil, r.InfoHash, r.PeerID, r.OfferID, r.Answer)
	m := tcParseServer(t, out)
	if m.Action != "announce" || *m.InfoHash != tcIH || *m.PeerID != tcPeer2 || *m.OfferID != tcOfferID(3) || m.Answer == nil || m.Offer != nil {
		t.Fatalf("%+v", m)
	}
	if m.Answer.Type != "answer" || m.Answer.SDP != tcSDP(7, true) {
		t.Errorf("answer changed: %+v", m.Answer)
	}
	// Our decoder sees an answer without to_peer_id, but still reads it.
	var back Request
	err := (&Decoder{}).Decode(out, &back)
	if err == nil || !back.HasAnswer || !bytes.Equal(back.Answer.SDP, r.Answer.SDP) || !bytes.Equal(back.Answer.Type, []byte(`"answer"`)) {
		t.Errorf("own decoder: %v %s", err, back.Answer.SDP)
	}
	out = AppendAnswer(out[:0], tcIH, tcPeer, tcOfferID(0), SDP{SDP: []byte(`"x"`)})
	if m := tcParseServer(t, out); m.Answer.Type != "answer" || m.Answer.SDP != "x" {
		t.Errorf("default type: %+v", m.Answer)
	}
}

func TestAppendScrapeResponse(t *testing.T) {
	a := [20]byte([]byte("aaaaaaaaaaaaaaaaaaaa"))
	b := [20]byte([]byte("bbbbbbbbbbbbbbbbbbbb"))
	out := AppendScrapeResponse(nil, []bittorrent.InfoHash{a, b, a}, []bittorrent.Counts{{Complete: 1, Incomplete: 2, Downloaded: 3}, {Complete: 4, Incomplete: 5, Downloaded: 6}, {Complete: 7, Incomplete: 8, Downloaded: 9}}, 600)
	want := `{"action":"scrape","files":{"aaaaaaaaaaaaaaaaaaaa":{"complete":1,"incomplete":2,"downloaded":3},` +
		`"bbbbbbbbbbbbbbbbbbbb":{"complete":4,"incomplete":5,"downloaded":6}},"flags":{"min_request_interval":600}}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	out = AppendScrapeResponse(out[:0], nil, nil, 0)
	if string(out) != `{"action":"scrape","files":{}}` {
		t.Errorf("empty: %s", out)
	}
	// Binary keys, counts shorter than hashes.
	out = AppendScrapeResponse(out[:0], []bittorrent.InfoHash{tcIH, b, tcIH}, []bittorrent.Counts{{Complete: 3}}, -1)
	m := tcParseServer(t, out)
	if m.Action != "scrape" || len(m.Files) != 2 || m.Files[tcIH].Complete != 3 || m.Files[BinaryID(b)].Complete != 0 || m.Flags != nil {
		t.Errorf("%+v", m)
	}
	if strings.Count(string(out), `"complete"`) != 2 {
		t.Errorf("duplicate key emitted: %s", out)
	}
}

// TestAppendScrapeResponseDedup checks duplicate removal on both sides of
// the table size, with hashes that collide in the table.
func TestAppendScrapeResponseDedup(t *testing.T) {
	for _, n := range []int{1, 2, 50, 128, 129, 300} {
		hashes := make([]bittorrent.InfoHash, n)
		counts := make([]bittorrent.Counts, n)
		for i := range hashes {
			hashes[i][0] = byte(i % 7) // same first 8 bytes: collisions
			hashes[i][19] = byte(i % 40)
			counts[i] = bittorrent.Counts{Complete: i}
		}
		out := AppendScrapeResponse(nil, hashes, counts, 0)
		m := tcParseServer(t, out)
		want := map[BinaryID]int{}
		for i, h := range hashes {
			if _, ok := want[BinaryID(h)]; !ok {
				want[BinaryID(h)] = i
			}
		}
		if len(m.Files) != len(want) || strings.Count(string(out), `"complete"`) != len(want) {
			t.Fatalf("n=%d: %d files, want %d", n, len(m.Files), len(want))
		}
		for h, i := range want {
			if m.Files[h].Complete != i {
				t.Fatalf("n=%d: %x has counts of %d, want first (%d)", n, h[:], m.Files[h].Complete, i)
			}
		}
	}
}

func TestAppendFailure(t *testing.T) {
	ih := bittorrent.InfoHash(tcIH)
	cases := []struct {
		action     bittorrent.Action
		ih         *bittorrent.InfoHash
		reason     string
		wantAction string
		wantReason string
	}{
		{bittorrent.ActionAnnounce, &ih, "info_hash not allowed", "announce", "info_hash not allowed"},
		{bittorrent.ActionScrape, nil, "invalid info_hash", "scrape", "invalid info_hash"},
		{bittorrent.ActionUnknown, nil, "unknown action", "announce", "unknown action"},
		{bittorrent.ActionUnknown, &ih, "quote \" backslash \\ ctl \x00\x01\n\t del \x7f", "announce", "quote \" backslash \\ ctl \x00\x01\n\t del \x7f"},
		{bittorrent.ActionAnnounce, nil, "bad \xff utf8 \xc3", "announce", "bad \ufffd utf8 \ufffd"},
		{bittorrent.ActionAnnounce, nil, "line\u2028sep\u2029 é 😀", "announce", "line\u2028sep\u2029 é 😀"},
		{bittorrent.ActionAnnounce, nil, "invalid `to_peer_id` (required with `answer`)", "announce", "invalid `to_peer_id` (required with `answer`)"},
	}
	for _, c := range cases {
		out := AppendFailure(nil, c.action, c.ih, c.reason)
		m := tcParseServer(t, out)
		if m.Action != c.wantAction || m.FailureReason == nil || *m.FailureReason != c.wantReason {
			t.Errorf("%q: %s", c.reason, out)
		}
		if (c.ih == nil) != (m.InfoHash == nil) || (c.ih != nil && *m.InfoHash != BinaryID(*c.ih)) {
			t.Errorf("%q: info_hash %v", c.reason, m.InfoHash)
		}
	}
	want := `{"action":"announce","failure reason":"invalid peer_id","info_hash":"abcdefghij0123456789"}`
	ih = [20]byte([]byte("abcdefghij0123456789"))
	if got := AppendFailure(nil, bittorrent.ActionAnnounce, &ih, "invalid peer_id"); string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestCodecAllocs checks the steady state: reused buffers, no allocation.
func TestCodecAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	msgs := [][]byte{[]byte(tcAnnounce(10, "started")), []byte(tcAnswerMsg()), []byte(tcMsg(`{"action":"scrape","info_hash":[<IH>,<IH>]}`)),
		[]byte(`{"action":"nope","x":[1,{"y":"z"}]}`), []byte(`{`)}
	var r Request
	d := &Decoder{}
	for _, m := range msgs {
		_ = d.Decode(m, &r) // grow the slices once
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, m := range msgs {
			_ = d.Decode(m, &r)
		}
	}); n != 0 {
		t.Errorf("Decode: %v allocs", n)
	}
	if err := d.Decode(msgs[0], &r); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 8192)
	hashes := []bittorrent.InfoHash{tcIH, tcPeer, tcIH}
	counts := []bittorrent.Counts{{Complete: 1, Incomplete: 2, Downloaded: 3}, {Complete: 4, Incomplete: 5, Downloaded: 6}, {Complete: 7, Incomplete: 8, Downloaded: 9}}
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendOffer(buf[:0], r.InfoHash, r.PeerID, r.Offers[0].ID, r.Offers[0].SDP)
		buf = AppendAnswer(buf[:0], r.InfoHash, r.PeerID, r.Offers[0].ID, r.Offers[0].SDP)
		buf = AppendAnnounceResponse(buf[:0], r.InfoHash, 120, bittorrent.Counts{Complete: 1, Incomplete: 2, Downloaded: 3})
		buf = AppendScrapeResponse(buf[:0], hashes, counts, 600)
		buf = AppendFailure(buf[:0], bittorrent.ActionAnnounce, &r.InfoHash, "invalid info_hash")
	}); n != 0 {
		t.Errorf("encoders: %v allocs", n)
	}
}
