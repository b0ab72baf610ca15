package trackerclient

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// The tracker messages of the WebTorrent protocol (docs/protocol.md §5), read
// strictly: one JSON object in valid UTF-8, no key twice, ids that are
// binary strings of exactly 20 characters up to U+00FF, counts that are
// non-negative integers. Keys the client does not use are skipped (their
// values must still be JSON). Replies are untrusted: nothing here
// allocates more than in proportion to the message.

// wsKind is what a tracker message is.
type wsKind uint8

const (
	// wsUnreadable: not a message the client can place at all.
	wsUnreadable wsKind = iota
	wsAnnounceReply
	wsScrapeReply
	wsFailure
	wsOffer
	wsAnswer
)

// wsIncoming is one decoded tracker message. When err is set the message
// was placed (kind, action, info hash) but its content is bad; the request
// it answers fails with err.
type wsIncoming struct {
	kind   wsKind
	action string // "announce", "scrape", or "" when absent
	hasIH  bool
	ih     bittorrent.InfoHash

	announce *AnnounceResponse
	files    map[bittorrent.InfoHash]bittorrent.Counts
	quirks   []Quirk // of a scrape reply
	relay    Message // offer or answer
	failure  *FailureError
	err      error
}

// maxWSInterval bounds an announce interval: a larger number is not one a
// tracker means (and would overflow a Duration).
const maxWSInterval = 1 << 31

func parseWSMessage(b []byte) wsIncoming {
	obj, err := jsonObject(b)
	if err != nil {
		return wsIncoming{kind: wsUnreadable, err: err}
	}
	in := wsIncoming{}
	if raw, ok := obj["action"]; ok {
		s, ok := jsonString(raw)
		if !ok || (s != "announce" && s != "scrape") {
			return wsIncoming{kind: wsUnreadable, err: malformed("tracker message with action %s", snippet(raw))}
		}
		in.action = s
	}
	if raw, ok := obj["info_hash"]; ok && in.action != "scrape" {
		id, err := binaryID(raw)
		if err != nil {
			// The message cannot be given to its torrent.
			return wsIncoming{kind: wsUnreadable, err: malformed("info_hash %s: %v", snippet(raw), err)}
		}
		in.ih, in.hasIH = bittorrent.InfoHash(id), true
	}
	if raw, ok := obj["failure reason"]; ok {
		return in.parseFailure(raw, obj)
	}
	switch {
	case in.action == "":
		return wsIncoming{kind: wsUnreadable, err: malformed(`tracker message without "action"`)}
	case in.action == "scrape":
		in.kind = wsScrapeReply
		in.files, in.quirks, in.err = scrapeFiles(obj)
		return in
	case !in.hasIH:
		return wsIncoming{kind: wsUnreadable, err: malformed(`announce message without "info_hash"`)}
	}
	for _, k := range []struct {
		key  string
		kind wsKind
		mk   MessageKind
	}{{"offer", wsOffer, MessageOffer}, {"answer", wsAnswer, MessageAnswer}} {
		if raw, ok := obj[k.key]; ok && !isNull(raw) {
			in.kind = k.kind
			in.relay, in.err = relayed(in.ih, k.mk, raw, obj)
			return in
		}
	}
	in.kind = wsAnnounceReply
	in.announce, in.err = announceReply(obj)
	return in
}

func (in wsIncoming) parseFailure(raw json.RawMessage, obj map[string]json.RawMessage) wsIncoming {
	reason, ok := jsonString(raw)
	if !ok {
		return wsIncoming{kind: wsUnreadable, err: malformed(`"failure reason" is %s, not a string`, snippet(raw))}
	}
	in.kind = wsFailure
	in.failure = &FailureError{Reason: reason, Action: in.action}
	if in.action == "scrape" {
		// Swarmbridge names the hash of a one-hash scrape that failed;
		// scrape failures are matched by action, so it is only kept.
		if raw, ok := obj["info_hash"]; ok {
			if id, err := binaryID(raw); err == nil {
				in.failure.InfoHash, in.failure.HasInfoHash = bittorrent.InfoHash(id), true
			}
		}
		return in
	}
	in.failure.InfoHash, in.failure.HasInfoHash = in.ih, in.hasIH
	return in
}

func announceReply(obj map[string]json.RawMessage) (*AnnounceResponse, error) {
	r := &AnnounceResponse{}
	iv, ok, err := optCount(obj, "interval")
	if err != nil {
		return nil, err
	}
	if !ok || iv == 0 {
		r.Quirks = addQuirk(r.Quirks, QuirkNoInterval)
	}
	miv, _, err := optCount(obj, "min interval")
	if err != nil {
		return nil, err
	}
	if iv > maxWSInterval || miv > maxWSInterval {
		return nil, malformed("an interval of more than %d seconds", maxWSInterval)
	}
	r.Interval, r.MinInterval = time.Duration(iv)*time.Second, time.Duration(miv)*time.Second
	if r.Counts, err = jsonCounts(obj); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"warning message", &r.Warning}, {"tracker id", &r.TrackerID}} {
		if raw, ok := obj[f.key]; ok && !isNull(raw) {
			s, ok := jsonString(raw)
			if !ok {
				return nil, malformed("%q is %s, not a string", f.key, snippet(raw))
			}
			*f.dst = s
		}
	}
	return r, nil
}

// relayed reads an offer or answer: the sending peer, the offer id and a
// session description with a string "sdp".
func relayed(ih bittorrent.InfoHash, kind MessageKind, desc json.RawMessage, obj map[string]json.RawMessage) (Message, error) {
	m := Message{Kind: kind, InfoHash: ih}
	for _, f := range []struct {
		key string
		dst []byte
	}{{"peer_id", m.PeerID[:]}, {"offer_id", m.OfferID[:]}} {
		raw, ok := obj[f.key]
		if !ok {
			return Message{}, malformed("relayed %s without %q", kind, f.key)
		}
		id, err := binaryID(raw)
		if err != nil {
			return Message{}, malformed("relayed %s: %s %s: %v", kind, f.key, snippet(raw), err)
		}
		copy(f.dst, id[:])
	}
	d, err := jsonObject(desc)
	if err != nil {
		return Message{}, malformed("relayed %s: the session description: %v", kind, err)
	}
	sdp, ok := jsonString(d["sdp"])
	if !ok {
		return Message{}, malformed(`relayed %s without a string "sdp"`, kind)
	}
	m.SDP = sdp
	if raw, ok := d["type"]; ok && !isNull(raw) {
		if m.SDPType, ok = jsonString(raw); !ok {
			return Message{}, malformed(`relayed %s: "type" is %s, not a string`, kind, snippet(raw))
		}
	}
	return m, nil
}

// scrapeFiles reads "files". Keys are binary strings; 40 hex digits are
// taken too, as a quirk.
func scrapeFiles(obj map[string]json.RawMessage) (map[bittorrent.InfoHash]bittorrent.Counts, []Quirk, error) {
	raw, ok := obj["files"]
	if !ok {
		return nil, nil, malformed(`the scrape reply has no "files"`)
	}
	files, err := jsonObject(raw)
	if err != nil {
		return nil, nil, malformed(`"files": %v`, err)
	}
	var quirks []Quirk
	out := make(map[bittorrent.InfoHash]bittorrent.Counts, len(files))
	for k, v := range files {
		var id wire.BinaryID
		if err := id.UnmarshalText([]byte(k)); err != nil {
			h, herr := hex.DecodeString(k)
			if herr != nil || len(h) != len(id) {
				return nil, nil, malformed("a scrape entry's key %q is not an info hash: %v", printable(k, 60), err)
			}
			copy(id[:], h)
			quirks = addQuirk(quirks, QuirkScrapeKeysHex)
		}
		e, err := jsonObject(v)
		if err != nil {
			return nil, nil, malformed("the scrape entry of %s: %v", id, err)
		}
		c, err := jsonCounts(e)
		if err != nil {
			return nil, nil, err
		}
		out[bittorrent.InfoHash(id)] = c
	}
	return out, quirks, nil
}

// jsonCounts reads complete, incomplete and downloaded; absent ones are 0.
func jsonCounts(obj map[string]json.RawMessage) (bittorrent.Counts, error) {
	var c bittorrent.Counts
	for _, f := range []struct {
		key string
		dst *int
	}{{"complete", &c.Complete}, {"incomplete", &c.Incomplete}, {"downloaded", &c.Downloaded}} {
		n, _, err := optCount(obj, f.key)
		if err != nil {
			return bittorrent.Counts{}, err
		}
		*f.dst = int(n)
	}
	return c, nil
}

// optCount reads a non-negative integer that fits an int; absent and null
// are not an error.
func optCount(obj map[string]json.RawMessage, key string) (int64, bool, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize)
	if err != nil || n < 0 {
		return 0, false, malformed("%q is %s, not a count", key, snippet(raw))
	}
	return n, true, nil
}

var errDuplicateKey = errors.New("a key appears twice")

// jsonObject decodes one JSON object into its members, refusing invalid
// UTF-8, duplicate keys and anything after the object.
func jsonObject(b []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(b) {
		return nil, malformed("the message is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed("not JSON (%s): %v", snippet(b), err)
	}
	if tok != json.Delim('{') {
		return nil, malformed("not a JSON object: %s", snippet(b))
	}
	obj := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("not JSON (%s): %v", snippet(b), err)
		}
		key, _ := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, malformed("not JSON (%s): %v", snippet(b), err)
		}
		if _, dup := obj[key]; dup {
			return nil, malformed("%v: %q", errDuplicateKey, printable(key, 40))
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformed("not JSON (%s): %v", snippet(b), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("data after the JSON object: %s", snippet(b))
	}
	return obj, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// jsonString decodes a JSON string; any other value (null included) is
// not one.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func binaryID(raw json.RawMessage) (wire.BinaryID, error) {
	var id wire.BinaryID
	if len(raw) == 0 || raw[0] != '"' {
		return id, errors.New("not a string")
	}
	err := id.UnmarshalJSON(raw)
	return id, err
}

// snippet shows the start of untrusted JSON in an error.
func snippet(b []byte) string { return "`" + printable(string(b), 60) + "`" }
