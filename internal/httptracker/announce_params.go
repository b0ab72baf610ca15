package httptracker

import (
	"strings"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// maxKeyParamLen is the longest "key" accepted (aquatic's limit). The key
// is not stored, but an oversized one marks a broken or hostile client.
const maxKeyParamLen = 100

// announceParams is a decoded announce query. It lives in pooled scratch
// space, so parsing does not allocate.
type announceParams struct {
	infoHash bittorrent.InfoHash
	// infoHashPlus is the info_hash with every raw '+' read as a space;
	// valid only when hasPlus is set (see doc.go).
	infoHashPlus bittorrent.InfoHash
	hasPlus      bool
	peerID       bittorrent.PeerID
	port         uint16
	left         int64
	event        bittorrent.Event
	unknownEvent bool
	compact      bool
	noPeerID     bool
	numWant      int

	seenInfoHash, seenPeerID, seenPort, seenLeft, seenEvent bool
	seenCompact, seenNoPeerID, seenNumWant, seenKey         bool
}

// numWantLimits are the handler's configured numwant bounds.
type numWantLimits struct{ def, max int }

// parseAnnounce decodes q into p. It returns the first problem a client
// must be told about, or nil.
func parseAnnounce(q string, lim numWantLimits, p *announceParams) *Failure {
	*p = announceParams{left: bittorrent.LeftUnknown, compact: true, numWant: lim.def}
	for q != "" {
		var rawKey, rawVal string
		rawKey, rawVal, q = nextParam(q)
		var kb [maxKeyLen]byte
		key, f := decodeKey(&kb, rawKey)
		if f != nil {
			return f
		}
		if f := p.set(key, rawVal, lim); f != nil {
			return f
		}
	}
	switch {
	case !p.seenInfoHash:
		return failMissingInfoHash
	case !p.seenPeerID:
		return failMissingPeerID
	case !p.seenPort:
		return failMissingPort
	}
	return nil
}

// set applies one parameter. Repeats of a parameter are validated like the
// first but otherwise ignored, so the first occurrence wins.
func (p *announceParams) set(key []byte, raw string, lim numWantLimits) *Failure {
	var vb [maxNumberLen]byte
	switch string(key) {
	case "info_hash":
		if p.seenInfoHash {
			break
		}
		p.seenInfoHash = true
		if f := decodeID((*[20]byte)(&p.infoHash), raw, false, failInvalidInfoHash); f != nil {
			return f
		}
		if strings.IndexByte(raw, '+') >= 0 {
			p.hasPlus = true
			// Cannot fail: same escapes and same length as above.
			_ = decodeID((*[20]byte)(&p.infoHashPlus), raw, true, failInvalidInfoHash)
		}
		return nil
	case "peer_id":
		if p.seenPeerID {
			break
		}
		p.seenPeerID = true
		return decodeID((*[20]byte)(&p.peerID), raw, false, failInvalidPeerID)
	case "port":
		if p.seenPort {
			break
		}
		p.seenPort = true
		v, ok, f := decodeSmall(&vb, raw)
		if f != nil {
			return f
		}
		n, ok2 := parseUint(v, 1<<16)
		if !ok || !ok2 || n == 0 || n > 65535 {
			return failInvalidPort
		}
		p.port = uint16(n)
		return nil
	case "left":
		if p.seenLeft {
			break
		}
		p.seenLeft = true
		v, ok, f := decodeSmall(&vb, raw)
		if f != nil {
			return f
		}
		if left, ok2 := parseLeft(v); ok && ok2 {
			p.left = left
		}
		return nil
	case "event":
		if p.seenEvent {
			break
		}
		p.seenEvent = true
		v, ok, f := decodeSmall(&vb, raw)
		if f != nil {
			return f
		}
		p.event, p.unknownEvent = parseEvent(v, ok)
		return nil
	case "compact":
		if p.seenCompact {
			break
		}
		p.seenCompact = true
		v, ok, f := decodeSmall(&vb, raw)
		if f != nil {
			return f
		}
		// BEP 23 makes compact advisory; only an explicit 0 asks for the
		// dictionary model (docs/protocol.md §10.2).
		p.compact = !(ok && string(v) == "0")
		return nil
	case "no_peer_id":
		if p.seenNoPeerID {
			break
		}
		p.seenNoPeerID = true
		v, ok, f := decodeSmall(&vb, raw)
		if f != nil {
			return f
		}
		p.noPeerID = ok && string(v) == "1"
		return nil
	case "numwant":
		if p.seenNumWant {
			break
		}
		p.seenNumWant = true
		v, ok, f := decodeSmall(&vb, raw)
		if f != nil {
			return f
		}
		// Unparsable values (notably -1, "default" in UDP terms) keep the
		// default; an explicit 0 means no peers, unlike bittorrent-tracker
		// (docs/protocol.md §10.2).
		if n, ok2 := parseUint(v, uint64(lim.max)); ok && ok2 {
			p.numWant = int(n)
		}
		return nil
	case "key":
		if p.seenKey {
			break
		}
		p.seenKey = true
		n, f := decodeInto(nil, raw, false)
		if f != nil {
			return f
		}
		if n > maxKeyParamLen {
			return failInvalidKey
		}
		return nil
	}
	// Ignored parameters (ip, ipv4, ipv6, uploaded, trackerid, ...) and
	// repeats: only the escapes are checked.
	_, f := decodeInto(nil, raw, false)
	return f
}

// parseEvent maps the event value per docs/protocol.md §6.2: started,
// completed and stopped are themselves; absent, "", "empty", "paused" and
// anything unknown are regular updates, the last reported so it can be
// counted.
func parseEvent(v []byte, ok bool) (ev bittorrent.Event, unknown bool) {
	if !ok {
		return bittorrent.EventUpdate, true
	}
	switch string(v) {
	case "started":
		return bittorrent.EventStarted, false
	case "completed":
		return bittorrent.EventCompleted, false
	case "stopped":
		return bittorrent.EventStopped, false
	case "", "empty", "paused":
		return bittorrent.EventUpdate, false
	}
	return bittorrent.EventUpdate, true
}

// eventLabel names the announce's event for metrics.
func (p *announceParams) eventLabel() string {
	if p.unknownEvent {
		return "unknown"
	}
	return p.event.String()
}
