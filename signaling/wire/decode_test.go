package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// tcCheck is a check on a decoded request.
type tcCheck func(t *testing.T, r *Request)

func tcAction(a bittorrent.Action) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		if r.Action != a {
			t.Errorf("Action = %v, want %v", r.Action, a)
		}
	}
}

func tcInfoHash(ih *[20]byte) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		switch {
		case ih == nil && r.HasInfoHash:
			t.Errorf("HasInfoHash with %x, want none", r.InfoHash)
		case ih != nil && !r.HasInfoHash:
			t.Errorf("no info hash, want %x", *ih)
		case ih != nil && r.InfoHash != *ih:
			t.Errorf("InfoHash = %x, want %x", r.InfoHash, *ih)
		}
	}
}

func tcPeerID(id *[20]byte) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		switch {
		case id == nil && r.HasPeerID:
			t.Errorf("HasPeerID with %x, want none", r.PeerID)
		case id != nil && (!r.HasPeerID || r.PeerID != *id):
			t.Errorf("PeerID = %v %x, want %x", r.HasPeerID, r.PeerID, *id)
		}
	}
}

func tcEvent(ev bittorrent.Event, name string, known bool) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		if r.Event != ev || string(r.EventName) != name || r.EventKnown != known {
			t.Errorf("event = %v %q %v, want %v %q %v", r.Event, r.EventName, r.EventKnown, ev, name, known)
		}
	}
}

func tcLeft(v int64) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		if r.Left != v {
			t.Errorf("Left = %d, want %d", r.Left, v)
		}
	}
}

func tcNumWant(v int) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		if r.NumWant != v {
			t.Errorf("NumWant = %d, want %d", r.NumWant, v)
		}
	}
}

// tcOffers checks the offer ids kept and the number seen.
func tcOffers(seen int, ids ...[20]byte) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		if r.OffersSeen != seen || len(r.Offers) != len(ids) {
			t.Fatalf("offers: %d kept of %d seen, want %d of %d", len(r.Offers), r.OffersSeen, len(ids), seen)
		}
		for i, id := range ids {
			if r.Offers[i].ID != id {
				t.Errorf("offer %d id %x, want %x", i, r.Offers[i].ID, id)
			}
		}
	}
}

func tcNoAnswer(t *testing.T, r *Request) {
	t.Helper()
	if r.HasAnswer || r.Answer.SDP != nil || r.Answer.Type != nil {
		t.Errorf("unexpected answer %+v", r.Answer)
	}
}

func tcAnswer(typ, sdp string) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		if !r.HasAnswer {
			t.Fatalf("no answer")
		}
		if (typ == "") != (r.Answer.Type == nil) || string(r.Answer.Type) != typ || string(r.Answer.SDP) != sdp {
			t.Errorf("answer = %s %s, want %s %s", r.Answer.Type, r.Answer.SDP, typ, sdp)
		}
	}
}

func tcScrape(all bool, hashes ...[20]byte) tcCheck {
	return func(t *testing.T, r *Request) {
		t.Helper()
		if r.ScrapeAll != all || len(r.ScrapeHashes) != len(hashes) {
			t.Fatalf("scrape all=%v %d hashes, want all=%v %d", r.ScrapeAll, len(r.ScrapeHashes), all, len(hashes))
		}
		for i, h := range hashes {
			if r.ScrapeHashes[i] != bittorrent.InfoHash(h) {
				t.Errorf("hash %d = %x, want %x", i, r.ScrapeHashes[i], h)
			}
		}
	}
}

// tcInvariants are properties every Decode result must have; the fuzz
// target checks them too.
func tcInvariants(t testing.TB, data []byte, r *Request, err error) {
	t.Helper()
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) || de.Reason == "" {
			t.Fatalf("error %v is not a *DecodeError", err)
		}
		return
	}
	if !json.Valid(data) {
		t.Fatalf("accepted what encoding/json rejects: %q", data)
	}
	if !utf8.Valid(data) {
		t.Fatalf("accepted invalid UTF-8: %q", data)
	}
	for _, tok := range [][]byte{r.Answer.Type, r.Answer.SDP} {
		if tok != nil {
			tcValidStringToken(t, tok)
		}
	}
	for _, o := range r.Offers {
		if o.SDP.Type != nil {
			tcValidStringToken(t, o.SDP.Type)
		}
		tcValidStringToken(t, o.SDP.SDP)
	}
	if len(r.Offers) > r.OffersSeen {
		t.Fatalf("%d offers kept of %d seen", len(r.Offers), r.OffersSeen)
	}
	if r.HasAnswer && len(r.Offers) > 0 {
		t.Fatalf("both answer and offers")
	}
	switch r.Action {
	case bittorrent.ActionAnnounce:
		if !r.HasInfoHash || !r.HasPeerID {
			t.Fatalf("announce accepted without info_hash or peer_id")
		}
	case bittorrent.ActionScrape:
		if r.ScrapeAll && len(r.ScrapeHashes) > 0 {
			t.Fatalf("full scrape with hashes")
		}
	default:
		t.Fatalf("accepted action %v", r.Action)
	}
	if r.Left < bittorrent.LeftUnknown || r.NumWant < -1 {
		t.Fatalf("Left %d NumWant %d", r.Left, r.NumWant)
	}
	// Every decoded id must survive a round trip through the encoder.
	ids := [][20]byte{r.InfoHash, r.PeerID, r.ToPeerID, r.OfferID}
	for _, o := range r.Offers {
		ids = append(ids, o.ID)
	}
	for _, h := range r.ScrapeHashes {
		ids = append(ids, h)
	}
	for _, id := range ids {
		enc := AppendBinaryString(nil, id[:])
		var back BinaryID
		if err := json.Unmarshal(enc, &back); err != nil || back != id || !utf8.Valid(enc) {
			t.Fatalf("id %x encodes to %q, decodes to %x (%v)", id, enc, back, err)
		}
	}
}

// tcValidStringToken checks that tok is one JSON string token in valid
// UTF-8, as relayed SDP must be.
func tcValidStringToken(t testing.TB, tok []byte) {
	t.Helper()
	var s string
	if len(tok) < 2 || tok[0] != '"' || !utf8.Valid(tok) || json.Unmarshal(tok, &s) != nil {
		t.Fatalf("not a valid JSON string token: %q", tok)
	}
}

type tcCase struct {
	name   string
	msg    string
	err    string // "" for success
	checks []tcCheck
}

func tcRun(t *testing.T, d *Decoder, cases []tcCase) {
	t.Helper()
	var r Request // shared on purpose: Decode must reset it fully
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := d.Decode([]byte(c.msg), &r)
			tcInvariants(t, []byte(c.msg), &r, err)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("Decode(%s): %v", c.msg, err)
			case c.err != "" && err == nil:
				t.Fatalf("Decode(%s) succeeded, want %q", c.msg, c.err)
			case c.err != "" && err.Error() != c.err:
				t.Fatalf("Decode(%s): %q, want %q", c.msg, err, c.err)
			}
			for _, check := range c.checks {
				check(t, &r)
			}
		})
	}
}

var (
	tcIHRaw  = tcRaw(tcIH[:])
	tcPRaw   = tcRaw(tcPeer[:])
	tcP2Raw  = tcRaw(tcPeer2[:])
	tcOID0   = tcOfferID(0)
	tcOID1   = tcOfferID(1)
	tcOIDRaw = tcRaw(tcOID0[:])
)

// tcMsg substitutes the placeholders IH, PEER, PEER2 and OID in a
// message template by binary strings.
func tcMsg(tmpl string) string {
	return strings.NewReplacer("<IH>", tcIHRaw, "<PEER>", tcPRaw, "<PEER2>", tcP2Raw, "<OID>", tcOIDRaw, "<OID1>", tcRaw(tcOID1[:])).Replace(tmpl)
}

// TestDecodeSpecExample decodes one info hash (tcIH) in two textual forms:
// with every byte outside printable ASCII escaped (\u00XX, or \b), and in
// the UTF-8 form a browser sends, which is also what AppendBinaryString
// writes. The rules are docs/protocol.md §3.2 and §3.3; §3.4 works through
// another hash.
func TestDecodeSpecExample(t *testing.T) {
	want := tcHex(t, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3")
	escaped := `"\u00a9J\u008f\u00e5\u00cc\u00b1\u009b\u00a6\u001cL\bs\u00d3\u0091\u00e9\u0087\u0098/\u00bb\u00d3"`
	wire, err := tcHexBytes("22 c2a9 4a c28f c3a5 c38c c2b1 c29b c2a6 5c7530303163 4c 5c62 73 c393 c291 c3a9 c287 c298 2f c2bb c393 22")
	if err != nil {
		t.Fatal(err)
	}
	// Our encoder produces exactly the browser's wire form.
	if got := AppendBinaryString(nil, want[:]); !bytes.Equal(got, wire) {
		t.Errorf("AppendBinaryString = %x\nwant               %x", got, wire)
	}
	for _, form := range []string{escaped, string(wire)} {
		for _, action := range []string{"announce", "scrape"} {
			msg := `{"action":"` + action + `","info_hash":` + form + `,"peer_id":` + tcPRaw + `}`
			var r Request
			if err := (&Decoder{}).Decode([]byte(msg), &r); err != nil {
				t.Fatalf("%s: %v", msg, err)
			}
			if !r.HasInfoHash || r.InfoHash != want {
				t.Errorf("%s: info hash %x, want %x", msg, r.InfoHash, want)
			}
		}
		var id BinaryID
		if err := json.Unmarshal([]byte(form), &id); err != nil || id != want {
			t.Errorf("BinaryID from %s = %x, %v", form, id, err)
		}
	}
}

func tcHexBytes(s string) ([]byte, error) {
	var out []byte
	for _, f := range strings.Fields(s) {
		for i := 0; i+1 < len(f); i += 2 {
			var b byte
			if _, err := fmt.Sscanf(f[i:i+2], "%02x", &b); err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

func TestDecodeAnnounce(t *testing.T) {
	o0, o1 := tcOfferID(0), tcOfferID(1)
	sdp0, sdp1 := tcJSONString(tcSDP(0, false)), tcJSONString(tcSDP(1, false))
	started := `{"numwant":2,"uploaded":0,"downloaded":0,"left":null,"event":"started","action":"announce",` +
		`"info_hash":<IH>,"peer_id":<PEER>,"offers":[` +
		`{"offer":{"type":"offer","sdp":` + sdp0 + `},"offer_id":<OID>},` +
		`{"offer":{"type":"offer","sdp":` + sdp1 + `},"offer_id":<OID1>}]}`
	sdpCheck := func(t *testing.T, r *Request) {
		t.Helper()
		if len(r.Offers) != 2 || string(r.Offers[0].SDP.SDP) != sdp0 || string(r.Offers[1].SDP.SDP) != sdp1 ||
			string(r.Offers[0].SDP.Type) != `"offer"` {
			t.Errorf("offers not kept verbatim: %+v", r.Offers)
		}
	}
	ann := tcAction(bittorrent.ActionAnnounce)
	ih, peer := tcInfoHash(&tcIH), tcPeerID(&tcPeer)
	cases := []tcCase{
		{"started with offers", tcMsg(started), "", []tcCheck{ann, ih, peer, tcEvent(bittorrent.EventStarted, "started", true),
			tcLeft(bittorrent.LeftUnknown), tcNumWant(2), tcOffers(2, o0, o1), sdpCheck, tcNoAnswer, tcScrape(false)}},
		{"browser announce, 5 offers", tcAnnounce(5, "started"), "", []tcCheck{ann, ih, peer, tcNumWant(5),
			tcOffers(5, tcOfferID(0), tcOfferID(1), tcOfferID(2), tcOfferID(3), tcOfferID(4))}},
		{"interval announce without event", tcAnnounce(5, ""), "", []tcCheck{ann, tcEvent(bittorrent.EventUpdate, "", true)}},
		{"stopped without offers", tcMsg(`{"numwant":50,"uploaded":0,"downloaded":1048576,"left":0,"event":"stopped","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`),
			"", []tcCheck{ann, ih, peer, tcEvent(bittorrent.EventStopped, "stopped", true), tcLeft(0), tcNumWant(50), tcOffers(0)}},
		{"completed without offers", tcMsg(`{"numwant":50,"uploaded":0,"downloaded":1048576,"left":0,"event":"completed","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`),
			"", []tcCheck{ann, tcEvent(bittorrent.EventCompleted, "completed", true), tcLeft(0), tcOffers(0)}},
		{"update event", tcMsg(`{"event":"update","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`), "",
			[]tcCheck{tcEvent(bittorrent.EventUpdate, "update", true)}},
		{"paused event (libtorrent)", tcMsg(`{"event":"paused","action":"announce","info_hash":<IH>,"peer_id":<PEER>,"key":"1A2B3C4D","corrupt":0}`), "",
			[]tcCheck{tcEvent(bittorrent.EventUpdate, "paused", true)}},
		{"unknown event (anacrolix)", tcMsg(`{"event":"<regular>","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`), "",
			[]tcCheck{ann, ih, tcEvent(bittorrent.EventUpdate, "<regular>", false)}},
		{"escaped event", tcMsg(`{"event":"\u0073tarted","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`), "",
			[]tcCheck{tcEvent(bittorrent.EventStarted, `\u0073tarted`, true)}},
		{"empty event", tcMsg(`{"event":"","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`), "",
			[]tcCheck{tcEvent(bittorrent.EventUpdate, "", false)}},
		{"null event", tcMsg(`{"event":null,"action":"announce","info_hash":<IH>,"peer_id":<PEER>}`), "",
			[]tcCheck{tcEvent(bittorrent.EventUpdate, "", true)}},
		{"numeric event", tcMsg(`{"event":2,"action":"announce","info_hash":<IH>,"peer_id":<PEER>}`), "",
			[]tcCheck{tcEvent(bittorrent.EventUpdate, "2", false)}},
		{"event case matters", tcMsg(`{"event":"Started","action":"announce","info_hash":<IH>,"peer_id":<PEER>}`), "",
			[]tcCheck{tcEvent(bittorrent.EventUpdate, "Started", false)}},
		{"trackerid, key and unknown nested fields", tcMsg(`{"action":"announce","trackerid":"abc","key":"DEADBEEF","x":{"y":[1,-2.5e-3,{"z":null,"w":[true,false,[]]}],"":{}},` +
			`"info_hash":<IH>,"peer_id":<PEER>,"uploaded":12345678901234567890,"downloaded":1.5E+3}`), "", []tcCheck{ann, ih, peer, tcOffers(0)}},
		{"whitespace everywhere", "\r\n\t " + tcMsg("{ \"action\" :\t\"announce\" ,\n\"info_hash\"\r:<IH> , \"peer_id\":<PEER>,\"offers\" : [ ] }") + " \n", "",
			[]tcCheck{ann, ih, peer, tcOffers(0)}},
		{"escaped keys", tcMsg(`{"\u0061ction":"announce","info\u005fhash":<IH>,"peer_id":<PEER>,"\u006Fffers":[{"offer_id":<OID>,"offer":{"sdp":""}}]}`), "",
			[]tcCheck{ann, ih, tcOffers(1, o0)}},
		{"escaped action", tcMsg(`{"action":"ann\u006funce","info_hash":<IH>,"peer_id":<PEER>}`), "", []tcCheck{ann}},
		{"trystero passive: offers []", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"numwant":10,"offers":[],"left":1}`), "",
			[]tcCheck{tcNumWant(10), tcOffers(0), tcLeft(1)}},
		{"offers null", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"offers":null}`), "", []tcCheck{tcOffers(0)}},
		{"offers not an array", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"offers":{"offer_id":<OID>}}`), "", []tcCheck{tcOffers(0)}},
		{"malformed offers skipped", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"offers":[null,5,"x",[],{},` +
			`{"offer_id":"short","offer":{"sdp":"a"}},{"offer_id":<OID>},{"offer_id":<OID>,"offer":"sdp"},{"offer_id":<OID>,"offer":{"type":"offer"}},` +
			`{"offer_id":<OID>,"offer":{"sdp":5}},{"offer_id":<OID>,"offer":{"type":5,"sdp":"x"}},{"offer_id":5,"offer":{"sdp":"x"}},` +
			`{"offer_id":<OID>,"offer":{"sdp":"ok","type":null}},{"offer":{"sdp":"ok2"},"offer_id":<OID1>,"extra":{"a":[1]}}]}`), "",
			[]tcCheck{tcOffers(14, o0, o1), func(t *testing.T, r *Request) {
				if r.Offers[0].SDP.Type != nil || string(r.Offers[0].SDP.SDP) != `"ok"` || string(r.Offers[1].SDP.SDP) != `"ok2"` {
					t.Errorf("offers %+v", r.Offers)
				}
			}}},
		{"duplicate keys: last wins", tcMsg(`{"action":"scrape","info_hash":"bad","peer_id":5,"left":7,"event":"started","offers":[{"offer_id":<OID>,"offer":{"sdp":"a"}}],` +
			`"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"left":"9","event":"stopped","offers":[{"offer_id":<OID1>,"offer":{"sdp":"b","sdp":"c"}}]}`), "",
			[]tcCheck{ann, ih, peer, tcLeft(9), tcEvent(bittorrent.EventStopped, "stopped", true), tcOffers(1, o1), func(t *testing.T, r *Request) {
				if string(r.Offers[0].SDP.SDP) != `"c"` {
					t.Errorf("sdp %s", r.Offers[0].SDP.SDP)
				}
			}}},
		{"duplicate info_hash: last (bad) wins", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"info_hash":"x"}`), "invalid info_hash",
			[]tcCheck{ann, tcInfoHash(nil)}},
		{"raw emoji and surrogates in SDP are fine", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"offers":[{"offer_id":<OID>,"offer":{"sdp":"é😀\ud83d\ude00\ud800 lone \udfff"}}]}`), "",
			[]tcCheck{tcOffers(1, o0)}},
		{"hex info_hash is not accepted", tcMsg(`{"action":"announce","info_hash":"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3","peer_id":<PEER>}`), "invalid info_hash",
			[]tcCheck{ann, tcInfoHash(nil), peer}},
		{"missing info_hash", tcMsg(`{"action":"announce","peer_id":<PEER>}`), "invalid info_hash", []tcCheck{ann, peer}},
		{"info_hash array in announce", tcMsg(`{"action":"announce","info_hash":[<IH>],"peer_id":<PEER>}`), "invalid info_hash",
			[]tcCheck{ann, tcInfoHash(nil), tcScrape(false)}},
		{"info_hash null in announce", tcMsg(`{"action":"announce","info_hash":null,"peer_id":<PEER>}`), "invalid info_hash", nil},
		{"missing peer_id", tcMsg(`{"action":"announce","info_hash":<IH>}`), "invalid peer_id", []tcCheck{ann, ih}},
		{"bad peer_id", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":"-WW0300-short"}`), "invalid peer_id", []tcCheck{ann, ih, tcPeerID(nil)}},
		{"to_peer_id without answer is ignored", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"to_peer_id":"x","offer_id":[]}`), "", nil},
	}
	tcRun(t, &Decoder{}, cases)
}

func TestDecodeLeftAndNumWant(t *testing.T) {
	base := tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,`)
	left := []struct {
		v    string
		want int64
	}{
		{`null`, bittorrent.LeftUnknown},
		{`0`, 0},
		{`1048576`, 1048576},
		{`-0`, 0},
		{`-0.0e7`, 0},
		{`-1`, bittorrent.LeftUnknown},
		{`-0.5`, bittorrent.LeftUnknown},
		{`-1e-9`, bittorrent.LeftUnknown},
		{`1.5`, 1},
		{`0.999`, 0},
		{`1.5e3`, 1500},
		{`12345e-2`, 123},
		{`1E-7`, 0},
		{`9007199254740993`, 9007199254740993}, // 2^53+1 stays exact
		{`9223372036854775807`, math.MaxInt64},
		{`9223372036854775808`, math.MaxInt64},
		{`18446744073709551615`, math.MaxInt64},
		{`1e30`, math.MaxInt64},
		{`1e999999999999999999999`, math.MaxInt64},
		{`0e999999999999999999999`, 0},
		{`123456789012345678901234567890e-25`, 12345},
		{`1e-999999999999999999999`, 0},
		{`"123"`, 123},
		{`" 42\t"`, bittorrent.LeftUnknown}, // escaped tab: escapes are not decoded
		{`" 42 "`, 42},
		{`"+7"`, 7},
		{`"007"`, 7},
		{`"1e3"`, 1000},
		{`"5."`, 5},
		{`".5"`, 0},
		{`"-5"`, bittorrent.LeftUnknown},
		{`"abc"`, bittorrent.LeftUnknown},
		{`""`, bittorrent.LeftUnknown},
		{`"."`, bittorrent.LeftUnknown},
		{`"1e"`, bittorrent.LeftUnknown},
		{`"0x10"`, bittorrent.LeftUnknown},
		{`"Infinity"`, bittorrent.LeftUnknown},
		{`"\u0031"`, bittorrent.LeftUnknown},
		{`true`, bittorrent.LeftUnknown},
		{`{}`, bittorrent.LeftUnknown},
		{`[1]`, bittorrent.LeftUnknown},
	}
	var cases []tcCase
	for _, c := range left {
		cases = append(cases, tcCase{"left " + c.v, base + `"left":` + c.v + `}`, "", []tcCheck{tcLeft(c.want), tcNumWant(-1)}})
	}
	numwant := []struct {
		v    string
		want int
	}{
		{`null`, -1}, {`5`, 5}, {`0`, 0}, {`-3`, -1}, {`"10"`, 10}, {`1e100`, math.MaxInt}, {`2.9`, 2}, {`"x"`, -1},
	}
	for _, c := range numwant {
		cases = append(cases, tcCase{"numwant " + c.v, base + `"numwant":` + c.v + `}`, "", []tcCheck{tcNumWant(c.want), tcLeft(bittorrent.LeftUnknown)}})
	}
	tcRun(t, &Decoder{}, cases)
}

func TestDecodeAnswer(t *testing.T) {
	o0 := tcOfferID(0)
	sdp := tcJSONString(tcSDP(7, true))
	good := `{"action":"announce","info_hash":<IH>,"peer_id":<PEER2>,"to_peer_id":<PEER>,"offer_id":<OID>,"answer":{"type":"answer","sdp":` + sdp + `},"trackerid":"t"}`
	answer := func(ans string) string {
		return tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER2>,"to_peer_id":<PEER>,"offer_id":<OID>,"answer":` + ans + `}`)
	}
	ann, ih := tcAction(bittorrent.ActionAnnounce), tcInfoHash(&tcIH)
	ids := func(t *testing.T, r *Request) {
		t.Helper()
		if !r.HasToPeerID || r.ToPeerID != tcPeer || !r.HasOfferID || r.OfferID != o0 || r.PeerID != tcPeer2 {
			t.Errorf("ids: to %v %x offer %v %x peer %x", r.HasToPeerID, r.ToPeerID, r.HasOfferID, r.OfferID, r.PeerID)
		}
	}
	cases := []tcCase{
		{"answer", tcMsg(good), "", []tcCheck{ann, ih, ids, tcAnswer(`"answer"`, sdp), tcOffers(0), tcLeft(bittorrent.LeftUnknown), tcEvent(bittorrent.EventUpdate, "", true)}},
		{"browser answer", tcAnswerMsg(), "", []tcCheck{ann, ih, tcAnswer(`"answer"`, tcJSONString(tcSDP(7, true)))}},
		{"answer without type", answer(`{"sdp":"v=0"}`), "", []tcCheck{tcAnswer("", `"v=0"`)}},
		{"answer with null type", answer(`{"type":null,"sdp":"v=0"}`), "", []tcCheck{tcAnswer("", `"v=0"`)}},
		{"answer with extra keys", answer(`{"x":[{}],"sdp":"v=0","type":"pranswer"}`), "", []tcCheck{tcAnswer(`"pranswer"`, `"v=0"`)}},
		{"answer null is no answer", answer(`null`), "", []tcCheck{ann, tcNoAnswer}},
		{"answer and offers: answer wins", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER2>,"to_peer_id":<PEER>,"offer_id":<OID>,` +
			`"offers":[{"offer_id":<OID>,"offer":{"sdp":"o"}}],"answer":{"sdp":"a"}}`), "", []tcCheck{tcAnswer("", `"a"`), tcOffers(1)}},
		{"answer without to_peer_id", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER2>,"offer_id":<OID>,"answer":{"sdp":"a"}}`),
			"invalid `to_peer_id` (required with `answer`)", []tcCheck{ann, ih}},
		{"answer with bad to_peer_id", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER2>,"to_peer_id":"abc","offer_id":<OID>,"answer":{"sdp":"a"}}`),
			"invalid `to_peer_id` (required with `answer`)", []tcCheck{ann, ih}},
		{"answer without offer_id", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER2>,"to_peer_id":<PEER>,"answer":{"sdp":"a"}}`),
			"invalid offer_id", []tcCheck{ann, ih}},
		{"answer with bad offer_id", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER2>,"to_peer_id":<PEER>,"offer_id":null,"answer":{"sdp":"a"}}`),
			"invalid offer_id", []tcCheck{ann, ih}},
		{"answer string", answer(`"v=0"`), "invalid answer", []tcCheck{ann, ih, tcNoAnswer}},
		{"answer false", answer(`false`), "invalid answer", nil},
		{"answer empty", answer(`{}`), "invalid answer", nil},
		{"answer without sdp", answer(`{"type":"answer"}`), "invalid answer", nil},
		{"answer with numeric sdp", answer(`{"type":"answer","sdp":5}`), "invalid answer", nil},
		{"answer with numeric type", answer(`{"type":1,"sdp":"v=0"}`), "invalid answer", nil},
		{"answer sdp null after string", answer(`{"sdp":"v=0","sdp":null}`), "invalid answer", nil},
		{"answer with invalid UTF-8 in sdp", answer("{\"sdp\":\"v=0\xff\"}"), "invalid UTF-8 in message", []tcCheck{ann, ih}},
	}
	tcRun(t, &Decoder{}, cases)
}

func TestDecodeScrape(t *testing.T) {
	a, b := tcIH, tcHex(t, "0000000000000000000000000000000000000000")
	scr := tcAction(bittorrent.ActionScrape)
	many := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = tcIHRaw
		}
		return `{"action":"scrape","info_hash":[` + strings.Join(parts, ",") + `]}`
	}
	hundred := make([][20]byte, 100)
	for i := range hundred {
		hundred[i] = tcIH
	}
	cases := []tcCase{
		{"single", tcMsg(`{"action":"scrape","info_hash":<IH>}`), "", []tcCheck{scr, tcInfoHash(&a), tcScrape(false, a)}},
		{"array", `{"action":"scrape","info_hash":[` + tcIHRaw + `,` + tcEscaped(b[:], false) + `,` + tcIHRaw + `]}`, "",
			[]tcCheck{scr, tcInfoHash(nil), tcScrape(false, a, b, a)}},
		{"empty array (keepalive)", `{"action":"scrape","info_hash":[]}`, "", []tcCheck{scr, tcScrape(false)}},
		{"absent: full scrape", `{"action":"scrape"}`, "", []tcCheck{scr, tcScrape(true)}},
		{"with peer_id", tcMsg(`{"action":"scrape","peer_id":<PEER>,"info_hash":[<IH>]}`), "", []tcCheck{scr, tcScrape(false, a)}},
		{"100 hashes", many(100), "", []tcCheck{scr, tcScrape(false, hundred...)}},
		{"101 hashes", many(101), "too many info_hash values in scrape", []tcCheck{scr}},
		{"null", `{"action":"scrape","info_hash":null}`, "invalid info_hash", []tcCheck{scr}},
		{"number", `{"action":"scrape","info_hash":1}`, "invalid info_hash", []tcCheck{scr}},
		{"bad string", `{"action":"scrape","info_hash":"short"}`, "invalid info_hash", []tcCheck{scr, tcInfoHash(nil)}},
		{"bad element", tcMsg(`{"action":"scrape","info_hash":[<IH>,"short"]}`), "invalid info_hash", []tcCheck{scr}},
		{"non-string element", tcMsg(`{"action":"scrape","info_hash":[<IH>,null]}`), "invalid info_hash", []tcCheck{scr}},
		{"nested array element", tcMsg(`{"action":"scrape","info_hash":[[<IH>]]}`), "invalid info_hash", []tcCheck{scr}},
	}
	tcRun(t, &Decoder{}, cases)
	tcRun(t, &Decoder{MaxScrapeHashes: 2}, []tcCase{
		{"limit 2 ok", tcMsg(`{"action":"scrape","info_hash":[<IH>,<IH>]}`), "", []tcCheck{tcScrape(false, a, a)}},
		{"limit 2 exceeded", tcMsg(`{"action":"scrape","info_hash":[<IH>,<IH>,"bad"]}`), "too many info_hash values in scrape", nil},
	})
}

func TestDecodeUnknownAction(t *testing.T) {
	unk, ih := tcAction(bittorrent.ActionUnknown), tcInfoHash(&tcIH)
	tcRun(t, &Decoder{}, []tcCase{
		{"other action", tcMsg(`{"action":"foo","info_hash":<IH>,"peer_id":<PEER>}`), "unknown action", []tcCheck{unk, ih, tcScrape(false)}},
		{"missing action", tcMsg(`{"info_hash":<IH>,"peer_id":<PEER>}`), "unknown action", []tcCheck{unk, ih}},
		{"action after info_hash", tcMsg(`{"info_hash":<IH>,"action":"Announce"}`), "unknown action", []tcCheck{unk, ih}},
		{"numeric action", tcMsg(`{"action":1,"info_hash":<IH>}`), "unknown action", []tcCheck{unk, ih}},
		{"null action", `{"action":null}`, "unknown action", []tcCheck{unk, tcInfoHash(nil)}},
		{"empty object", `{}`, "unknown action", []tcCheck{unk}},
		{"unknown action and bad UTF-8", "{\"action\":\"x\xff\"}", "unknown action", nil},
	})
}

// TestDecodeFailuresKeepContext checks that failures still report action
// and info_hash (docs/protocol.md §5.6), whichever field is bad and wherever
// it is.
func TestDecodeFailuresKeepContext(t *testing.T) {
	ann, scr, ih := tcAction(bittorrent.ActionAnnounce), tcAction(bittorrent.ActionScrape), tcInfoHash(&tcIH)
	tcRun(t, &Decoder{}, []tcCase{
		{"bad peer_id first", tcMsg(`{"peer_id":"x","action":"announce","info_hash":<IH>}`), "invalid peer_id", []tcCheck{ann, ih}},
		{"invalid UTF-8 in an offer", tcMsg("{\"action\":\"announce\",\"offers\":[{\"offer_id\":<OID>,\"offer\":{\"sdp\":\"\xc3\x28\"}}],\"info_hash\":<IH>,\"peer_id\":<PEER>}"),
			"invalid UTF-8 in message", []tcCheck{ann, ih}},
		{"invalid UTF-8 in an unknown key", tcMsg("{\"action\":\"scrape\",\"\xed\xa0\x80\":1,\"info_hash\":<IH>}"), "invalid UTF-8 in message", []tcCheck{scr, ih}},
		{"invalid UTF-8 in an overwritten id", tcMsg("{\"action\":\"announce\",\"info_hash\":\"\xff\",\"info_hash\":<IH>,\"peer_id\":<PEER>}"),
			"invalid UTF-8 in message", []tcCheck{ann, ih}},
		{"syntax error after action and info_hash", tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"offers":[{]}`), "invalid JSON", []tcCheck{ann, ih}},
		{"trailing garbage", tcMsg(`{"action":"scrape","info_hash":<IH>} x`), "invalid JSON", []tcCheck{scr, ih}},
		{"bad scrape hash", tcMsg(`{"action":"scrape","info_hash":<PEER2>,"info_hash":"\u0100"}`), "invalid info_hash", []tcCheck{scr}},
		{"bad announce hash keeps action", tcMsg(`{"info_hash":"x","action":"announce","peer_id":<PEER>}`), "invalid info_hash", []tcCheck{ann, tcInfoHash(nil), tcPeerID(&tcPeer)}},
	})
}

// TestDecodeAllBytes puts every byte value 0x00–0xFF into ids, in every
// textual form a client may use, and in every id field.
func TestDecodeAllBytes(t *testing.T) {
	var all []byte
	for i := range 260 { // 13 ids of 20 bytes: every value at least once
		all = append(all, byte(i*7)) // 7 is coprime with 256: a permutation, then a wrap
	}
	forms := map[string]func([]byte) string{
		"raw UTF-8":       tcRaw,
		"escaped":         func(b []byte) string { return tcEscaped(b, false) },
		"escaped upper":   func(b []byte) string { return tcEscaped(b, true) },
		"all escaped":     tcAllEscaped,
		"encoding/json":   func(b []byte) string { s, _ := json.Marshal(BinaryString(b)); return string(s) },
		"latin1 via json": tcLatin1ViaJSON,
	}
	var r Request
	for k := 0; k+20 <= len(all); k += 20 {
		id := [20]byte(all[k : k+20])
		for name, form := range forms {
			s := form(id[:])
			msg := `{"action":"announce","info_hash":` + s + `,"peer_id":` + s + `,"to_peer_id":` + s + `,"offer_id":` + s +
				`,"answer":{"sdp":""},"offers":[{"offer_id":` + s + `,"offer":{"sdp":""}}]}`
			if err := (&Decoder{}).Decode([]byte(msg), &r); err != nil {
				t.Fatalf("%s %x: %v\n%s", name, id, err, msg)
			}
			tcInvariants(t, []byte(msg), &r, nil)
			if r.InfoHash != id || r.PeerID != id || r.ToPeerID != id || r.OfferID != id {
				t.Errorf("%s: decoded %x %x %x %x, want %x", name, r.InfoHash, r.PeerID, r.ToPeerID, r.OfferID, id)
			}
			// Offers are dropped because of the answer; decode them alone.
			msg = `{"action":"announce","info_hash":` + s + `,"peer_id":` + s + `,"offers":[{"offer_id":` + s + `,"offer":{"sdp":""}}]}`
			if err := (&Decoder{}).Decode([]byte(msg), &r); err != nil || len(r.Offers) != 1 || r.Offers[0].ID != id {
				t.Errorf("%s: offer id %+v, %v", name, r.Offers, err)
			}
			msg = `{"action":"scrape","info_hash":[` + s + `,` + s + `]}`
			if err := (&Decoder{}).Decode([]byte(msg), &r); err != nil || len(r.ScrapeHashes) != 2 || r.ScrapeHashes[1] != id {
				t.Errorf("%s: scrape %x, %v", name, r.ScrapeHashes, err)
			}
		}
	}
}

// tcLatin1ViaJSON is how a careful Go client would do it: convert bytes to
// runes, then let encoding/json quote the UTF-8 string.
func tcLatin1ViaJSON(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	s, _ := json.Marshal(string(rs))
	return string(s)
}

// TestDecodeBadIDs checks ids that are not 20 single-byte code points, in
// every id field.
func TestDecodeBadIDs(t *testing.T) {
	p19 := strings.Repeat("a", 19)
	bad := map[string]string{
		"empty":                  `""`,
		"19 chars":               `"` + p19 + `"`,
		"21 chars":               `"` + p19 + `bc"`,
		"19 + U+0100":            `"` + p19 + `Ā"`,
		"19 + \\u0100":           `"` + p19 + `\u0100"`,
		"19 + U+FFFD raw":        `"` + p19 + "\xef\xbf\xbd\"",
		"19 + \\ufffd":           `"` + p19 + `\ufffd"`,
		"19 + emoji":             `"` + p19 + `😀"`,
		"18 + surrogate pair":    `"` + p19[1:] + `\ud83d\ude00"`,
		"19 + lone surrogate":    `"` + p19 + `\ud800"`,
		"19 + invalid byte":      `"` + p19 + "\xff\"",
		"19 + truncated C3":      `"` + p19 + "\xc3\"",
		"19 + overlong C0 80":    `"` + p19 + "\xc0\x80\"",
		"19 + C1 BF (overlong)":  `"` + p19 + "\xc1\xbf\"",
		"19 + lone continuation": `"` + p19 + "\x80\"",
		"19 + E2 82 (truncated)": `"` + p19 + "\xe2\x82\"",
		"20 + invalid byte":      `"` + p19 + "a\xfe\"",
		"hex":                    `"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"`,
		"40 raw latin1":          tcRaw(append(tcIH[:], tcIH[:]...)),
		"number":                 `12345678901234567890`,
		"array of bytes":         `[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]`,
		"object":                 `{}`,
		"true":                   `true`,
	}
	var r Request
	for name, s := range bad {
		msgs := map[string]string{
			"invalid info_hash": `{"action":"announce","info_hash":` + s + `,"peer_id":` + tcPRaw + `}`,
			"invalid peer_id":   `{"action":"announce","info_hash":` + tcIHRaw + `,"peer_id":` + s + `}`,
			"invalid `to_peer_id` (required with `answer`)": `{"action":"announce","info_hash":` + tcIHRaw + `,"peer_id":` + tcPRaw +
				`,"offer_id":` + tcOIDRaw + `,"to_peer_id":` + s + `,"answer":{"sdp":""}}`,
			"invalid offer_id": `{"action":"announce","info_hash":` + tcIHRaw + `,"peer_id":` + tcPRaw +
				`,"to_peer_id":` + tcPRaw + `,"offer_id":` + s + `,"answer":{"sdp":""}}`,
			"invalid info_hash ": `{"action":"scrape","info_hash":[` + tcIHRaw + `,` + s + `]}`,
		}
		for want, msg := range msgs {
			want = strings.TrimSpace(want)
			err := (&Decoder{}).Decode([]byte(msg), &r)
			if err == nil || err.Error() != want {
				t.Errorf("%s: %v, want %q\n%q", name, err, want, msg)
			}
			if r.Action == bittorrent.ActionUnknown {
				t.Errorf("%s: action lost", name)
			}
		}
		// In an offer, a bad id only drops that offer.
		msg := `{"action":"announce","info_hash":` + tcIHRaw + `,"peer_id":` + tcPRaw + `,"offers":[{"offer_id":` + s + `,"offer":{"sdp":""}}]}`
		err := (&Decoder{}).Decode([]byte(msg), &r)
		if utf8.ValidString(s) && (err != nil || len(r.Offers) != 0 || r.OffersSeen != 1) {
			t.Errorf("%s in offer: %v %d/%d", name, err, len(r.Offers), r.OffersSeen)
		}
		if !utf8.ValidString(s) && (err == nil || err.Error() != "invalid UTF-8 in message" || !r.HasInfoHash) {
			t.Errorf("%s in offer: %v, want invalid UTF-8 with info_hash", name, err)
		}
	}
}

// tcMalformed are messages that are not one well-formed JSON object.
var tcMalformed = []string{
	"", " ", "\n\t\r ", "{", "}", "{]", "{\"", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,",
	"{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,\"a\":1}", "{\"a\":1 \"b\":2}", "{\"a\" 1}", "{\"a\"::1}",
	"{'a':1}", "{a:1}", "{\"a\":'b'}", "{1:2}", "{null:1}", "{\"a\":1}}", "{\"a\":1]}", "{}}", "{}{}", "{} {}", "{} x", "{}\x00",
	"\xef\xbb\xbf{}", "{}\xef\xbb\xbf", "\x00{}", "\v{}", "{}\f", "\u00a0{}", "{\"a\":1\u00a0}",
	"{\"a\":01}", "{\"a\":00}", "{\"a\":-01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":1e+}",
	"{\"a\":1E-}", "{\"a\":1.e5}", "{\"a\":0x10}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}", "{\"a\":1_000}",
	"{\"a\":--1}", "{\"a\":1.2.3}", "{\"a\":1e5e5}", "{\"a\":- 1}", "{\"a\":１}",
	"{\"a\":tru}", "{\"a\":True}", "{\"a\":nul}", "{\"a\":nulll}", "{\"a\":falsy}", "{\"a\":undefined}", "{\"a\":truefalse}",
	"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"\\U0041\"}", "{\"a\":\"\\\"}", "{\"a\":\"\\", "{\"a\":\"\\u\"}",
	"{\"a\":\"\\'\"}", "{\"a\":\"\\0\"}", "{\"a\":\"\\a\"}", "{\"a\":\"\\v\"}",
	"{\"a\":\"\t\"}", "{\"a\":\"\n\"}", "{\"a\":\"\r\"}", "{\"a\":\"\x00\"}", "{\"a\":\"\x1f\"}", "{\"a\":\"abc}", "{\"a\":\"abc",
	"{\"a\nb\":1}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}", "{\"a\":[1:2]}", "{\"a\":[}", "{\"a\":{\"b\"}}", "{\"a\":{]}",
	"{\"a\":[[[[]]]}", "{\"a\":{\"b\":{}}", "{/*c*/}", "{}//c", "{\"a\":1 /*c*/}", "{\"a\" : 1 , }",
	"[]", "[{}]", "null", "true", "\"str\"", "123", "-1", "{\"action\":\"announce\"", "{\"action\":\"announce\",}",
	"{\"action\"=\"announce\"}", "{\"action\":\"announce\";}", "{\"action\",\"announce\"}",
	"{\"offers\":[{\"offer_id\":\"x\",\"offer\":{\"sdp\":\"x\"}]}", "{\"offers\":[{\"offer_id\":\"x\",\"offer\":{\"sdp\":\"x\"}}}",
	"{\"answer\":{\"sdp\":\"x\",}}", "{\"info_hash\":[\"x\",]}", "{\"info_hash\":[\"x\"}", "{\"left\":1.}", "{\"left\":\"1}",
	"{\"numwant\":-}", "{\"event\":\"started}", "{\"event\":started}", "{\"peer_id\":\"\\u00\"}", "{\"info_hash\":\"\\uZZZZ\"}",
	"{\"info_hash\":\"\x01\"}", "{\"offers\":[{\"offer_id\":\"\x1f\"}]}", "{\"answer\":{\"type\":\"\x00\",\"sdp\":\"\"}}",
}

func TestDecodeMalformed(t *testing.T) {
	syntax := map[string]bool{"invalid JSON": true, "message is not a JSON object": true}
	var r Request
	for _, msg := range tcMalformed {
		if json.Valid([]byte(msg)) && strings.HasPrefix(strings.TrimSpace(msg), "{") {
			t.Errorf("test bug: %q is a valid JSON object", msg)
		}
		err := (&Decoder{}).Decode([]byte(msg), &r)
		if err == nil || !syntax[err.Error()] {
			t.Errorf("Decode(%q) = %v, want a syntax error", msg, err)
		}
	}
	// Not-an-object is reported as such when it is otherwise JSON.
	for _, msg := range []string{"[]", "null", " 1 ", `"x"`, "true"} {
		if err := (&Decoder{}).Decode([]byte(msg), &r); err == nil || err.Error() != "message is not a JSON object" {
			t.Errorf("Decode(%q) = %v", msg, err)
		}
	}
}

func TestDecodeDepth(t *testing.T) {
	nest := func(n int) string { // an unknown value n levels deep inside the message object
		return `{"action":"scrape","x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	var r Request
	d := &Decoder{}
	if err := d.Decode([]byte(nest(31)), &r); err != nil { // 32 levels with the message
		t.Errorf("depth 32: %v", err)
	}
	if err := d.Decode([]byte(nest(32)), &r); err == nil || err.Error() != "message nested too deeply" {
		t.Errorf("depth 33: %v", err)
	}
	if err := d.Decode([]byte(nest(100000)), &r); err == nil {
		t.Errorf("depth 100001 accepted")
	}
	deep := &Decoder{MaxDepth: 5}
	if err := deep.Decode([]byte(tcAnnounce(2, "started")), &r); err != nil {
		t.Errorf("MaxDepth 5, real announce: %v", err)
	}
	if err := deep.Decode([]byte(tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"offers":[{"offer":{"x":[[]]}}]}`)), &r); err == nil {
		t.Errorf("MaxDepth 5, depth 6 accepted")
	}
	if err := (&Decoder{MaxDepth: 3}).Decode([]byte(tcAnnounce(1, "started")), &r); err == nil {
		t.Errorf("MaxDepth 3 accepted an offer at depth 4")
	}
}

func TestDecodeMaxOffers(t *testing.T) {
	var r Request
	msg := []byte(tcAnnounce(12, "started"))
	if err := (&Decoder{}).Decode(msg, &r); err != nil || len(r.Offers) != 10 || r.OffersSeen != 12 {
		t.Fatalf("default: %v %d/%d", err, len(r.Offers), r.OffersSeen)
	}
	if err := (&Decoder{MaxOffers: 3}).Decode(msg, &r); err != nil || len(r.Offers) != 3 || r.OffersSeen != 12 || r.Offers[2].ID != tcOfferID(2) {
		t.Fatalf("MaxOffers 3: %v %d/%d", err, len(r.Offers), r.OffersSeen)
	}
	// Malformed elements do not take a slot.
	m2 := tcMsg(`{"action":"announce","info_hash":<IH>,"peer_id":<PEER>,"offers":[1,2,{"offer_id":<OID>,"offer":{"sdp":""}},{"offer_id":<OID1>,"offer":{"sdp":""}}]}`)
	if err := (&Decoder{MaxOffers: 1}).Decode([]byte(m2), &r); err != nil || len(r.Offers) != 1 || r.OffersSeen != 4 || r.Offers[0].ID != tcOfferID(0) {
		t.Fatalf("MaxOffers 1 with junk: %v %d/%d", err, len(r.Offers), r.OffersSeen)
	}
	// A nil *Decoder uses the defaults.
	var nd *Decoder
	if err := nd.Decode(msg, &r); err != nil || len(r.Offers) != 10 {
		t.Fatalf("nil decoder: %v %d", err, len(r.Offers))
	}
}

// TestDecodeReset checks that nothing of one message leaks into the next.
func TestDecodeReset(t *testing.T) {
	var r Request
	d := &Decoder{}
	_ = d.Decode([]byte(tcAnswerMsg()), &r)
	_ = d.Decode([]byte(tcAnnounce(3, "stopped")), &r)
	if err := d.Decode([]byte(`{"action":"scrape"}`), &r); err != nil {
		t.Fatal(err)
	}
	want := Request{Action: bittorrent.ActionScrape, Left: bittorrent.LeftUnknown, NumWant: -1, EventKnown: true, ScrapeAll: true}
	got := r
	got.Offers, got.ScrapeHashes = nil, nil
	if fmt.Sprint(got) != fmt.Sprint(want) || len(r.Offers) != 0 || len(r.ScrapeHashes) != 0 {
		t.Errorf("after reset:\n%+v\nwant\n%+v", got, want)
	}
	if cap(r.Offers) < 3 {
		t.Errorf("offers capacity not kept")
	}
	for _, o := range r.Offers[:cap(r.Offers)] {
		if o.SDP.SDP != nil {
			t.Errorf("stale offer keeps the old buffer alive")
		}
	}
}

func TestDecodeErrorType(t *testing.T) {
	var r Request
	err := (&Decoder{}).Decode([]byte(`{`), &r)
	var de *DecodeError
	if !errors.As(err, &de) || de.Reason != "invalid JSON" || de.Error() != "invalid JSON" {
		t.Fatalf("%#v", err)
	}
	if bittorrent.ActionAnnounce.String() != "announce" || bittorrent.ActionScrape.String() != "scrape" || bittorrent.ActionUnknown.String() != "unknown" || bittorrent.Action(9).String() != "unknown" {
		t.Errorf("Action.String")
	}
}

// Every decoding failure carries the code that names its kind.
func TestDecodeErrorCodes(t *testing.T) {
	ih := tcRaw(tcIH[:])
	for _, tc := range []struct {
		msg  string
		want bittorrent.FailureCode
	}{
		{`{`, bittorrent.FailureMalformed},
		{`[]`, bittorrent.FailureMalformed},
		{"{\"action\":\"scrape\",\"x\":\"\xff\"}", bittorrent.FailureMalformed},
		{`{"action":"ping"}`, bittorrent.FailureUnknownAction},
		{`{"action":"announce","info_hash":"short","peer_id":` + ih + `}`, bittorrent.FailureInvalidInfoHash},
		{`{"action":"announce","info_hash":` + ih + `,"peer_id":"x"}`, bittorrent.FailureInvalidPeerID},
		{`{"action":"announce","info_hash":` + ih + `,"peer_id":` + ih + `,"answer":{"type":"answer","sdp":"x"}}`, bittorrent.FailureInvalidAnswer},
		{`{"action":"scrape","info_hash":[` + strings.Repeat(ih+`,`, 100) + ih + `]}`, bittorrent.FailureTooManyHashes},
	} {
		var r Request
		var de *DecodeError
		if err := (&Decoder{}).Decode([]byte(tc.msg), &r); !errors.As(err, &de) || de.Code != tc.want {
			t.Errorf("%.60s: %v, want code %v", tc.msg, err, tc.want)
		}
	}
}

func TestParseCount(t *testing.T) {
	// Against float parsing where float64 is exact.
	for _, s := range []string{"0", "1", "12", "1.9", "99.99e1", "5e0", "5e-0", "123e-1", "0.0001e4", "7E+2", "1e18", "9.9e17"} {
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil {
			t.Fatal(err)
		}
		if got := codecParseCount([]byte(s)); got != int64(math.Floor(f)) {
			t.Errorf("%s: %d, want %v", s, got, math.Floor(f))
		}
	}
}

// TestStrSpecial checks the 8-bytes-at-a-time string scan against the
// byte-by-byte rule, for every byte value at every position, behind and
// among other special bytes.
func TestStrSpecial(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	first := func(w [8]byte) int {
		for i, c := range w {
			if special(c) {
				return i
			}
		}
		return 8
	}
	got := func(w [8]byte) int {
		m := codecStrSpecial(binary.LittleEndian.Uint64(w[:]))
		if m == 0 {
			return 8
		}
		return bits.TrailingZeros64(m) >> 3
	}
	fills := []byte{'a', ' ', '!', '#', '[', ']', '~', 0x7f, 0x21, 0x5d, 0x5b, 0x23}
	for _, fill := range fills {
		for pos := range 8 {
			for v := range 256 {
				for _, after := range []byte{fill, 0x00, 0x1f, '"', '\\', 0x80, 0xff, 0x20, 0x21} {
					var w [8]byte
					for i := range w {
						w[i] = fill
					}
					w[pos] = byte(v)
					for i := pos + 1; i < 8; i++ {
						w[i] = after
					}
					if g, want := got(w), first(w); g != want {
						t.Fatalf("%q: first special at %d, want %d", w[:], g, want)
					}
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	n := 1000000
	if testing.Short() || tcRace {
		n = 100000
	}
	for range n {
		var w [8]byte
		for i := range w {
			w[i] = byte(rng.Uint32())
			if rng.IntN(2) == 0 {
				w[i] = 0x20 + byte(rng.IntN(0x60))
			}
		}
		if g, want := got(w), first(w); g != want {
			t.Fatalf("%q: first special at %d, want %d", w[:], g, want)
		}
	}
}
