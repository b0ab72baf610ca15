package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Differential testing of the decoder's JSON grammar against encoding/json.
//
// The rule: for input in valid UTF-8, Decode rejects it with a syntax
// error ("invalid JSON", "message is not a JSON object", "message nested
// too deeply") exactly when json.Valid rejects it, or it is not an object,
// or it nests deeper than MaxDepth. Content errors (unknown action, bad
// ids…) are not syntax errors: the JSON was fine.
//
// The one deliberate difference: json.Valid accepts invalid UTF-8 inside
// strings (encoding/json replaces it with U+FFFD when decoding), Decode
// rejects it (SDP is relayed verbatim into text frames, and a browser
// closes a WebSocket on invalid UTF-8). So for input that is not valid
// UTF-8, the rule is only that Decode fails.

// tcJSONDepth returns the nesting depth of valid JSON text.
func tcJSONDepth(data []byte) int {
	depth, most := 0, 0
	in := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case in && c == '\\':
			i++
		case in && c == '"':
			in = false
		case in:
		case c == '"':
			in = true
		case c == '{' || c == '[':
			depth++
			most = max(most, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}

func tcIsSyntax(err error) bool {
	if err == nil {
		return false
	}
	switch err.Error() {
	case "invalid JSON", "message is not a JSON object", "message nested too deeply":
		return true
	}
	return false
}

// tcDiffCheck decodes data and checks it against encoding/json and the
// invariants of accepted messages.
func tcDiffCheck(t testing.TB, d *Decoder, maxDepth int, data []byte) {
	t.Helper()
	var r Request
	err := d.Decode(data, &r)
	tcInvariants(t, data, &r, err)
	if !utf8.Valid(data) {
		if err == nil {
			t.Fatalf("accepted invalid UTF-8: %q", data)
		}
		return
	}
	if err != nil && err.Error() == "invalid UTF-8 in message" {
		t.Fatalf("UTF-8 error for valid UTF-8: %q", data)
	}
	trimmed := strings.TrimLeft(string(data), " \t\r\n")
	want := json.Valid(data) && strings.HasPrefix(trimmed, "{") && tcJSONDepth(data) <= maxDepth
	if got := !tcIsSyntax(err); got != want {
		t.Fatalf("Decode(%q) = %v; encoding/json says valid object within depth: %v", data, err, want)
	}
	// Decoding the same input again into a used Request gives the same.
	var r2 Request
	r2.Offers = append(r2.Offers, Offer{SDP: SDP{SDP: []byte("stale")}})
	r2.ScrapeHashes = append(r2.ScrapeHashes, bittorrent.InfoHash{1})
	err2 := d.Decode(data, &r2)
	if err != err2 || !tcSameRequest(&r, &r2) {
		t.Fatalf("Decode depends on the previous request: %+v\n%+v", r, r2)
	}
}

// tcSameRequest compares two decoded requests field by field.
func tcSameRequest(a, b *Request) bool {
	if a.Action != b.Action || a.HasInfoHash != b.HasInfoHash || a.InfoHash != b.InfoHash || a.HasPeerID != b.HasPeerID ||
		a.PeerID != b.PeerID || a.HasToPeerID != b.HasToPeerID || a.ToPeerID != b.ToPeerID || a.HasOfferID != b.HasOfferID ||
		a.OfferID != b.OfferID || a.Event != b.Event || !bytes.Equal(a.EventName, b.EventName) || a.EventKnown != b.EventKnown ||
		a.Left != b.Left || a.NumWant != b.NumWant || a.OffersSeen != b.OffersSeen || len(a.Offers) != len(b.Offers) ||
		a.HasAnswer != b.HasAnswer || !bytes.Equal(a.Answer.Type, b.Answer.Type) || !bytes.Equal(a.Answer.SDP, b.Answer.SDP) ||
		a.ScrapeAll != b.ScrapeAll || !slices.Equal(a.ScrapeHashes, b.ScrapeHashes) {
		return false
	}
	for i := range a.Offers {
		x, y := a.Offers[i], b.Offers[i]
		if x.ID != y.ID || !bytes.Equal(x.SDP.Type, y.SDP.Type) || !bytes.Equal(x.SDP.SDP, y.SDP.SDP) {
			return false
		}
	}
	return true
}

// tcGen generates random valid JSON objects shaped like signaling messages,
// with every kind of token the grammar allows.
type tcGen struct {
	rng *rand.Rand
	sb  strings.Builder
}

var tcGenKeys = []string{"action", "info_hash", "peer_id", "to_peer_id", "offer_id", "event", "left", "numwant",
	"offers", "offer", "answer", "type", "sdp", "uploaded", "trackerid", "", "x", "\\u0061ction", "sdp\\u0000"}

func (g *tcGen) ws() {
	if g.rng.IntN(4) == 0 {
		g.sb.WriteString([]string{" ", "\t", "\n", "\r", "  \r\n"}[g.rng.IntN(5)])
	}
}

func (g *tcGen) str() {
	g.sb.WriteByte('"')
	n := g.rng.IntN(24)
	if g.rng.IntN(3) == 0 {
		n = 20 // id-sized
	}
	for range n {
		switch g.rng.IntN(12) {
		case 0:
			g.sb.WriteString([]string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`}[g.rng.IntN(8)])
		case 1:
			fmt.Fprintf(&g.sb, `\u%04x`, g.rng.IntN(0x100))
		case 2:
			fmt.Fprintf(&g.sb, `\u%04X`, g.rng.IntN(0x10000)) // includes lone surrogates
		case 3:
			g.sb.WriteString(`\ud83d\ude00`)
		case 4:
			g.sb.WriteRune(rune(0x80 + g.rng.IntN(0x80)))
		case 5:
			g.sb.WriteRune([]rune{'Ā', '€', '\uFFFD', '😀', '\u2028', '\U0010FFFF', '\uFEFF'}[g.rng.IntN(7)])
		default:
			c := byte(0x20 + g.rng.IntN(0x5f))
			if c == '"' || c == '\\' {
				c = 'a' // escaped forms come from case 0
			}
			g.sb.WriteByte(c)
		}
	}
	g.sb.WriteByte('"')
}

func (g *tcGen) num() {
	if g.rng.IntN(2) == 0 {
		g.sb.WriteByte('-')
	}
	if g.rng.IntN(3) == 0 {
		g.sb.WriteByte('0')
	} else {
		fmt.Fprint(&g.sb, 1+g.rng.Uint64N(1<<63))
	}
	if g.rng.IntN(3) == 0 {
		fmt.Fprintf(&g.sb, ".%d", g.rng.IntN(100000))
	}
	if g.rng.IntN(3) == 0 {
		g.sb.WriteString([]string{"e", "E", "e+", "e-", "E-"}[g.rng.IntN(5)])
		fmt.Fprint(&g.sb, g.rng.IntN(400))
	}
}

func (g *tcGen) value(depth int) {
	k := g.rng.IntN(10)
	if depth > 6 {
		k = g.rng.IntN(6)
	}
	switch k {
	case 0, 1:
		g.str()
	case 2, 3:
		g.num()
	case 4:
		g.sb.WriteString([]string{"true", "false", "null"}[g.rng.IntN(3)])
	case 5:
		g.str()
	case 6, 7:
		g.object(depth + 1)
	default:
		g.sb.WriteByte('[')
		n := g.rng.IntN(4)
		for i := range n {
			if i > 0 {
				g.sb.WriteByte(',')
			}
			g.ws()
			g.value(depth + 1)
			g.ws()
		}
		g.sb.WriteByte(']')
	}
}

func (g *tcGen) object(depth int) {
	g.sb.WriteByte('{')
	n := g.rng.IntN(6)
	for i := range n {
		if i > 0 {
			g.sb.WriteByte(',')
		}
		g.ws()
		if g.rng.IntN(4) == 0 {
			g.str()
		} else {
			fmt.Fprintf(&g.sb, `"%s"`, tcGenKeys[g.rng.IntN(len(tcGenKeys))])
		}
		g.ws()
		g.sb.WriteByte(':')
		g.ws()
		switch g.rng.IntN(5) {
		case 0:
			g.sb.WriteString([]string{`"announce"`, `"scrape"`, tcIHRaw, tcPRaw, tcEscaped(tcIH[:], true), `"started"`}[g.rng.IntN(6)])
		default:
			g.value(depth)
		}
		g.ws()
	}
	g.sb.WriteByte('}')
}

func (g *tcGen) message() []byte {
	g.sb.Reset()
	g.ws()
	if g.rng.IntN(3) == 0 {
		// Mostly well-formed signaling messages.
		fmt.Fprintf(&g.sb, `{"action":"announce","info_hash":%s,"peer_id":%s,"offers":[{"offer_id":%s,"offer":{"type":"offer","sdp":`,
			tcIHRaw, tcPRaw, tcOIDRaw)
		g.str()
		g.sb.WriteString(`}}],"x":`)
		g.value(2)
		g.sb.WriteByte('}')
	} else {
		g.object(1)
	}
	g.ws()
	return []byte(g.sb.String())
}

// tcInteresting are bytes mutations insert: JSON structure, escapes,
// number characters, whitespace and non-whitespace, UTF-8 lead and
// continuation bytes, and invalid ones.
var tcInteresting = []byte("{}[]\":,\\/ \t\r\n\v\f0123456789-+.eEtrufalsn\x00\x1f\x7f\x80\xbf\xc0\xc2\xc3\xe2\xed\xef\xf0\xf4\xf5\xffux")

func tcMutate(rng *rand.Rand, in []byte) []byte {
	b := append([]byte(nil), in...)
	for range 1 + rng.IntN(3) {
		if len(b) == 0 {
			return append(b, tcInteresting[rng.IntN(len(tcInteresting))])
		}
		i := rng.IntN(len(b))
		switch rng.IntN(7) {
		case 0, 1:
			b[i] = tcInteresting[rng.IntN(len(tcInteresting))]
		case 2:
			b = append(b[:i], append([]byte{tcInteresting[rng.IntN(len(tcInteresting))]}, b[i:]...)...)
		case 3:
			b = append(b[:i], b[i+1:]...)
		case 4:
			j := i + rng.IntN(min(len(b)-i, 8)+1)
			b = append(b[:i], b[j:]...)
		case 5:
			j := i + rng.IntN(min(len(b)-i, 16)+1)
			b = append(b[:j], append(append([]byte(nil), b[i:j]...), b[j:]...)...)
		default:
			b = b[:i]
		}
	}
	return b
}

// TestDecodeDifferential compares Decode with encoding/json over generated
// messages, their mutations, and the fixed corpus.
func TestDecodeDifferential(t *testing.T) {
	n := 200000
	if testing.Short() || tcRace {
		n = 20000
	}
	d, small := &Decoder{}, &Decoder{MaxOffers: 1, MaxScrapeHashes: 2, MaxDepth: 4}
	var corpus [][]byte
	for _, s := range tcMalformed {
		corpus = append(corpus, []byte(s))
	}
	corpus = append(corpus, []byte(tcAnnounce(2, "started")), []byte(tcAnswerMsg()), []byte(tcMsg(`{"action":"scrape","info_hash":[<IH>,<PEER>]}`)))
	for _, c := range corpus {
		tcDiffCheck(t, d, codecDefaultMaxDepth, c)
		tcDiffCheck(t, small, 4, c)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	g := &tcGen{rng: rng}
	accepted, syntaxOK := 0, 0
	for i := range n {
		var msg []byte
		switch {
		case i%4 == 0:
			msg = g.message()
		case i%4 == 1:
			msg = tcMutate(rng, corpus[rng.IntN(len(corpus))])
		default:
			msg = tcMutate(rng, g.message())
		}
		var r Request
		err := d.Decode(msg, &r)
		if err == nil {
			accepted++
		}
		if !tcIsSyntax(err) {
			syntaxOK++
		}
		tcDiffCheck(t, d, codecDefaultMaxDepth, msg)
		if i%8 == 0 {
			tcDiffCheck(t, small, 4, msg)
		}
	}
	t.Logf("%d inputs: %d syntactically valid, %d accepted", n, syntaxOK, accepted)
	if accepted == 0 || syntaxOK == n || syntaxOK < n/10 {
		t.Errorf("generator is not exercising both sides: %d/%d valid", syntaxOK, n)
	}
}
