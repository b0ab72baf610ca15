package wire

import (
	"bytes"
	"math"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Decoder decodes client messages (docs/protocol.md §4). The zero value uses
// the defaults. A Decoder holds only limits, so one can be shared by every
// connection.
type Decoder struct {
	// MaxOffers is how many well-formed offers Request.Offers keeps; the
	// rest are counted in OffersSeen and dropped, which is not an error
	// (docs/protocol.md §4.2). <= 0 means 10.
	MaxOffers int
	// MaxScrapeHashes is how many info hashes a scrape may carry; more is
	// a DecodeError. <= 0 means 100.
	MaxScrapeHashes int
	// MaxDepth limits the nesting of arrays and objects anywhere in a
	// message, the message object itself counting as 1; deeper messages
	// are rejected. Well-formed messages need 4 (offers → element → offer).
	// <= 0 means 32.
	MaxDepth int
}

// The defaults of Decoder's limits.
const (
	codecDefaultMaxOffers       = 10
	codecDefaultMaxScrapeHashes = 100
	codecDefaultMaxDepth        = 32
)

// State of info_hash while the message is scanned.
const (
	codecIHAbsent = iota
	codecIHString // one valid binary string: Request.InfoHash
	codecIHArray  // an array of valid binary strings: Request.ScrapeHashes
	codecIHInvalid
)

// State of answer while the message is scanned.
const (
	codecAnswerAbsent = iota // absent or null
	codecAnswerValid
	codecAnswerInvalid
)

// Decode decodes one client message into r, which it resets first (keeping
// the capacity of its slices).
//
// data must be exactly one JSON object, optionally surrounded by JSON
// whitespace, in valid UTF-8. Every value, including those of unknown keys,
// must be valid JSON; when a key appears twice the last one wins.
//
// On failure the error is a *DecodeError whose Reason is meant for the
// client. The whole object is scanned even when a field is bad, so that
// r.Action and r.HasInfoHash/InfoHash still say what the message was about
// and the failure can carry them (docs/protocol.md §5.6); after a syntax
// error they hold what was decoded before it.
//
// The checks, in the order their failures are reported:
//   - syntax: "invalid JSON", "message is not a JSON object", "message
//     nested too deeply";
//   - action missing or not "announce"/"scrape": "unknown action";
//   - announce: info_hash and peer_id must be binary strings
//     (docs/protocol.md §3.3); when "answer" is present and not null,
//     to_peer_id and offer_id must be too and answer must be an object
//     with a string sdp;
//   - scrape: info_hash absent (ScrapeAll), a binary string, or an array of
//     binary strings; null or anything else is "invalid info_hash", more
//     than MaxScrapeHashes elements "too many info_hash values in scrape";
//   - invalid UTF-8 anywhere else: "invalid UTF-8 in message". SDP is
//     relayed verbatim into text frames, and a browser drops a WebSocket
//     that receives invalid UTF-8.
//
// Fields that do not make a message fail: a bad event (EventKnown false), a
// bad left or numwant (unknown), offers that is not an array (no offers),
// malformed offer elements (skipped), to_peer_id/offer_id in a message
// without an answer (Has* false), and uploaded, downloaded, trackerid, key
// and any other key (only checked to be valid JSON).
//
// Decode allocates nothing once r's slices have grown to the largest
// message seen.
func (d *Decoder) Decode(data []byte, r *Request) error {
	maxOffers, maxHashes, maxDepth := codecDefaultMaxOffers, codecDefaultMaxScrapeHashes, codecDefaultMaxDepth
	if d != nil {
		if d.MaxOffers > 0 {
			maxOffers = d.MaxOffers
		}
		if d.MaxScrapeHashes > 0 {
			maxHashes = d.MaxScrapeHashes
		}
		if d.MaxDepth > 0 {
			maxDepth = d.MaxDepth
		}
	}
	r.reset()
	m := codecMessage{
		codecScanner: codecScanner{data: data, maxDepth: maxDepth},
		r:            r,
		maxOffers:    maxOffers,
		maxHashes:    maxHashes,
	}
	if err := m.scan(); err != nil {
		return err
	}
	return m.finish()
}

// reset empties r, keeping its slices' capacity. The old offers are cleared
// so they do not keep the previous message's buffer alive.
func (r *Request) reset() {
	clear(r.Offers)
	*r = Request{
		Offers:       r.Offers[:0],
		ScrapeHashes: r.ScrapeHashes[:0],
		Left:         bittorrent.LeftUnknown,
		NumWant:      -1,
		Event:        bittorrent.EventUpdate,
		EventKnown:   true,
	}
}

// codecMessage is the state of one Decode call; it lives on the stack.
type codecMessage struct {
	codecScanner
	r         *Request
	maxOffers int
	maxHashes int

	ih            int  // codecIH*
	tooManyHashes bool // the info_hash array had more than maxHashes elements
	answer        int  // codecAnswer*
}

// scan walks the message object, filling r. It returns only syntax errors.
func (m *codecMessage) scan() *DecodeError {
	data := m.data
	i := codecSkipWS(data, 0)
	if i >= len(data) {
		return codecErrInvalidJSON
	}
	if data[i] != '{' {
		return codecErrNotObject
	}
	i, done := m.objectStart(i)
	for !done {
		var k codecKey
		if i, k = m.memberKey(i); i < 0 {
			break
		}
		i, done = m.next(m.member(i, k), '}')
	}
	switch {
	case i == codecPosTooDeep:
		return codecErrTooDeep
	case i < 0:
		return codecErrInvalidJSON
	}
	if codecSkipWS(data, i) != len(data) {
		return codecErrInvalidJSON // trailing garbage or a second value
	}
	return nil
}

// member decodes the value at data[i] of the top-level key k.
func (m *codecMessage) member(i int, k codecKey) int {
	const depth = 2 // values of the message object's members
	r := m.r
	data := m.data
	if i >= len(data) {
		return codecPosInvalid
	}
	c := data[i]
	switch k {
	case codecKeyAction:
		r.Action = bittorrent.ActionUnknown
		if c != '"' {
			return m.skipValue(i, depth)
		}
		end := m.skipString(i)
		if end < 0 {
			return end
		}
		var buf [16]byte
		if v, ok := codecUnescapeASCII(data[i+1:end-1], &buf); ok {
			switch string(v) {
			case "announce":
				r.Action = bittorrent.ActionAnnounce
			case "scrape":
				r.Action = bittorrent.ActionScrape
			}
		}
		return end

	case codecKeyInfoHash:
		r.HasInfoHash = false
		r.ScrapeHashes = r.ScrapeHashes[:0]
		m.tooManyHashes = false
		switch c {
		case '"':
			end, ok := m.id(i, depth, (*[20]byte)(&r.InfoHash))
			r.HasInfoHash = ok
			m.ih = codecIHInvalid
			if ok {
				m.ih = codecIHString
			}
			return end
		case '[':
			return m.infoHashArray(i, depth)
		}
		m.ih = codecIHInvalid
		return m.skipValue(i, depth)

	case codecKeyPeerID:
		end, ok := m.id(i, depth, (*[20]byte)(&r.PeerID))
		r.HasPeerID = ok
		return end
	case codecKeyToPeerID:
		end, ok := m.id(i, depth, (*[20]byte)(&r.ToPeerID))
		r.HasToPeerID = ok
		return end
	case codecKeyOfferID:
		end, ok := m.id(i, depth, (*[20]byte)(&r.OfferID))
		r.HasOfferID = ok
		return end

	case codecKeyEvent:
		r.Event, r.EventKnown, r.EventName = bittorrent.EventUpdate, true, nil
		switch c {
		case '"':
			end := m.skipString(i)
			if end < 0 {
				return end
			}
			r.EventName = data[i+1 : end-1]
			r.Event, r.EventKnown = codecEvent(r.EventName)
			return end
		case 'n':
			return m.skipValue(i, depth) // null: as if absent
		}
		end := m.skipValue(i, depth)
		if end >= 0 {
			r.EventName = data[i:end]
			r.EventKnown = false
		}
		return end

	case codecKeyLeft:
		end, v := m.count(i, depth)
		r.Left = v
		return end
	case codecKeyNumWant:
		end, v := m.count(i, depth)
		r.NumWant = int(min(v, math.MaxInt))
		return end

	case codecKeyOffers:
		clear(r.Offers)
		r.Offers = r.Offers[:0]
		r.OffersSeen = 0
		if c == '[' {
			return m.offers(i, depth)
		}
		return m.skipValue(i, depth) // null or junk: no offers

	case codecKeyAnswer:
		r.HasAnswer, r.Answer = false, SDP{}
		switch c {
		case '{':
			end, sdp, ok := m.sdpObject(i, depth)
			m.answer = codecAnswerInvalid
			if ok {
				m.answer = codecAnswerValid
				r.HasAnswer, r.Answer = true, sdp
			}
			return end
		case 'n':
			// null is no answer (docs/protocol.md §4.3), as in
			// bittorrent-tracker's `if (params.answer)`.
			m.answer = codecAnswerAbsent
			return m.skipValue(i, depth)
		}
		m.answer = codecAnswerInvalid
		return m.skipValue(i, depth)
	}
	return m.skipValue(i, depth)
}

// id decodes a binary-string id value at data[i] into dst; a value that is
// not a string is skipped and reported as not an id. dst is zeroed when the
// value is not an id, so a stale id from a duplicate key never lingers.
func (m *codecMessage) id(i, depth int, dst *[20]byte) (int, bool) {
	if i < len(m.data) && m.data[i] == '"' {
		end, ok := m.binaryID(i, dst)
		if !ok {
			*dst = [20]byte{}
		}
		return end, ok
	}
	*dst = [20]byte{}
	return m.skipValue(i, depth), false
}

// infoHashArray decodes the array form of info_hash (scrape) into
// r.ScrapeHashes, keeping at most maxHashes of them.
func (m *codecMessage) infoHashArray(i, depth int) int {
	if depth > m.maxDepth {
		return codecPosTooDeep
	}
	r := m.r
	m.ih = codecIHArray
	n := 0
	i, done := m.arrayStart(i)
	for !done {
		n++
		switch {
		case n > m.maxHashes:
			m.tooManyHashes = true
			i = m.skipValue(i, depth+1)
		case i < len(m.data) && m.data[i] == '"':
			var h bittorrent.InfoHash
			var ok bool
			if i, ok = m.binaryID(i, (*[20]byte)(&h)); ok {
				r.ScrapeHashes = append(r.ScrapeHashes, h)
			} else {
				m.ih = codecIHInvalid
			}
		default:
			m.ih = codecIHInvalid
			i = m.skipValue(i, depth+1)
		}
		i, done = m.next(i, ']')
	}
	return i
}

// offers decodes the offers array, keeping the first maxOffers well-formed
// elements and skipping the others (docs/protocol.md §4.2: a malformed
// element does not fail the announce).
func (m *codecMessage) offers(i, depth int) int {
	if depth > m.maxDepth {
		return codecPosTooDeep
	}
	r := m.r
	i, done := m.arrayStart(i)
	for !done {
		r.OffersSeen++
		if i < len(m.data) && m.data[i] == '{' {
			var o Offer
			var ok bool
			i, o, ok = m.offer(i, depth+1)
			if ok && i >= 0 && len(r.Offers) < m.maxOffers {
				r.Offers = append(r.Offers, o)
			}
		} else {
			i = m.skipValue(i, depth+1)
		}
		i, done = m.next(i, ']')
	}
	return i
}

// offer decodes one {"offer_id":…,"offer":{…}} element at data[i].
func (m *codecMessage) offer(i, depth int) (int, Offer, bool) {
	var o Offer
	if depth > m.maxDepth {
		return codecPosTooDeep, o, false
	}
	idOK, sdpOK := false, false
	i, done := m.objectStart(i)
	for !done {
		var k codecKey
		if i, k = m.memberKey(i); i < 0 {
			return i, o, false
		}
		switch {
		case k == codecKeyOfferID:
			i, idOK = m.id(i, depth+1, (*[20]byte)(&o.ID))
		case k == codecKeyOffer && i < len(m.data) && m.data[i] == '{':
			i, o.SDP, sdpOK = m.sdpObject(i, depth+1)
		case k == codecKeyOffer:
			o.SDP, sdpOK = SDP{}, false
			i = m.skipValue(i, depth+1)
		default:
			i = m.skipValue(i, depth+1)
		}
		i, done = m.next(i, '}')
	}
	return i, o, i >= 0 && idOK && sdpOK
}

// sdpObject decodes a {"type":…,"sdp":…} object at data[i], keeping the
// raw string tokens. It is well-formed when sdp is a string and type, if
// present and not null, is a string too: both are copied verbatim into the
// relayed message, so they must be string tokens.
func (m *codecMessage) sdpObject(i, depth int) (int, SDP, bool) {
	var sdp SDP
	if depth > m.maxDepth {
		return codecPosTooDeep, sdp, false
	}
	data := m.data
	typeOK := true
	i, done := m.objectStart(i)
	for !done {
		var k codecKey
		if i, k = m.memberKey(i); i < 0 {
			return i, sdp, false
		}
		if i >= len(data) {
			return codecPosInvalid, sdp, false
		}
		switch {
		case (k == codecKeyType || k == codecKeySDP) && data[i] == '"':
			end := m.skipString(i)
			if end < 0 {
				return end, sdp, false
			}
			if k == codecKeyType {
				sdp.Type, typeOK = data[i:end], true
			} else {
				sdp.SDP = data[i:end]
			}
			i = end
		case k == codecKeyType:
			sdp.Type, typeOK = nil, data[i] == 'n' // null: as if absent
			i = m.skipValue(i, depth+1)
		case k == codecKeySDP:
			sdp.SDP = nil
			i = m.skipValue(i, depth+1)
		default:
			i = m.skipValue(i, depth+1)
		}
		i, done = m.next(i, '}')
	}
	return i, sdp, i >= 0 && typeOK && sdp.SDP != nil
}

// count decodes a left or numwant value: a number, or leniently a string
// holding one; anything else is unknown (-1).
func (m *codecMessage) count(i, depth int) (int, int64) {
	data := m.data
	if i >= len(data) {
		return codecPosInvalid, bittorrent.LeftUnknown
	}
	switch c := data[i]; {
	case c == '-' || (c >= '0' && c <= '9'):
		end := codecSkipNumber(data, i)
		if end < 0 {
			return end, bittorrent.LeftUnknown
		}
		return end, codecParseCount(data[i:end])
	case c == '"':
		end := m.skipString(i)
		if end < 0 {
			return end, bittorrent.LeftUnknown
		}
		raw := data[i+1 : end-1]
		if bytes.IndexByte(raw, '\\') >= 0 {
			// Nobody escapes digits; not worth decoding.
			return end, bittorrent.LeftUnknown
		}
		return end, codecParseCount(bytes.Trim(raw, " \t\n\r"))
	}
	return m.skipValue(i, depth), bittorrent.LeftUnknown
}

// codecParseCount converts the text of a decimal number to a count. The
// exact decimal value is floored and clamped into [0, MaxInt64]; a negative
// value, or text that is not a number, gives -1 (LeftUnknown). Working on
// the digits rather than through float64 keeps counts above 2^53 exact.
//
// Besides JSON numbers it accepts what JS's Number() accepts in the strings
// some clients send: a leading '+', leading zeros, "5." and ".5".
func codecParseCount(b []byte) int64 {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	intStart := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(b) && b[i] == '.' {
		i++
		fracStart = i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		fracEnd = i
	}
	nInt, nFrac := intEnd-intStart, fracEnd-fracStart
	if nInt+nFrac == 0 {
		return bittorrent.LeftUnknown
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		expNeg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			expNeg = b[i] == '-'
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if exp < 1<<30 { // saturate: beyond this the result is 0 or MaxInt64 anyway
				exp = exp*10 + int(b[i]-'0')
			}
			i++
		}
		if i == start {
			return bittorrent.LeftUnknown
		}
		if expNeg {
			exp = -exp
		}
	}
	if i != len(b) {
		return bittorrent.LeftUnknown
	}

	// The digits are d = int digits ++ frac digits; the value is d with
	// its decimal point after `point` digits.
	digit := func(k int) int64 {
		if k < nInt {
			return int64(b[intStart+k] - '0')
		}
		return int64(b[fracStart+k-nInt] - '0')
	}
	nonzero := false
	for k := range nInt + nFrac {
		if digit(k) != 0 {
			nonzero = true
			break
		}
	}
	if neg && nonzero {
		return bittorrent.LeftUnknown
	}
	point := nInt + exp
	var v int64
	for k := 0; k < point && k < nInt+nFrac; k++ {
		d := digit(k)
		if v > (math.MaxInt64-d)/10 {
			return math.MaxInt64
		}
		v = v*10 + d
	}
	for k := nInt + nFrac; k < point && v != 0; k++ {
		if v > math.MaxInt64/10 {
			return math.MaxInt64
		}
		v *= 10
	}
	return v
}

// codecEvent normalises the raw text of an event string
// (docs/protocol.md §6.2).
func codecEvent(raw []byte) (ev bittorrent.Event, known bool) {
	var buf [16]byte
	v, ok := codecUnescapeASCII(raw, &buf)
	if !ok {
		return bittorrent.EventUpdate, false
	}
	switch string(v) {
	case "started":
		return bittorrent.EventStarted, true
	case "completed":
		return bittorrent.EventCompleted, true
	case "stopped":
		return bittorrent.EventStopped, true
	case "update", "paused":
		return bittorrent.EventUpdate, true
	}
	return bittorrent.EventUpdate, false
}

// finish checks the fields against the action once the whole message is
// known (keys come in any order) and returns the first failure.
func (m *codecMessage) finish() error {
	r := m.r
	switch r.Action {
	case bittorrent.ActionUnknown:
		r.ScrapeHashes = r.ScrapeHashes[:0]
		return codecErrUnknownAction

	case bittorrent.ActionAnnounce:
		r.ScrapeHashes = r.ScrapeHashes[:0]
		if m.ih != codecIHString {
			return codecErrInfoHash
		}
		if !r.HasPeerID {
			return codecErrPeerID
		}
		if m.answer != codecAnswerAbsent {
			// An answer message. Offers alongside it are ignored:
			// clients never combine them (docs/protocol.md §4.3).
			clear(r.Offers)
			r.Offers = r.Offers[:0]
			if !r.HasToPeerID {
				return codecErrToPeerID
			}
			if !r.HasOfferID {
				return codecErrOfferID
			}
			if m.answer != codecAnswerValid {
				return codecErrAnswer
			}
		}

	case bittorrent.ActionScrape:
		switch m.ih {
		case codecIHAbsent:
			r.ScrapeAll = true
		case codecIHString:
			r.ScrapeHashes = append(r.ScrapeHashes, r.InfoHash)
		case codecIHInvalid:
			if !m.tooManyHashes {
				return codecErrInfoHash
			}
		}
		if m.tooManyHashes {
			return codecErrTooManyHashes
		}
	}
	if m.badUTF8 {
		return codecErrBadUTF8
	}
	return nil
}
