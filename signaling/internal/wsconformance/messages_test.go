package wsconformance

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Messages whose arrival is visible. An echo server sends a message back;
// the tracker is no echo server, but it answers a WebTorrent scrape with
// the counts of every info_hash it names. So a test message is a scrape
// whose hashes are spread over its whole length, padded with JSON
// whitespace to an exact size: a reply that names every hash shows that
// the message arrived whole, unmasked right and in one piece.
//
// Each hash is 20 code points in U+00A1..U+00FE, a WebTorrent binary
// string (docs/protocol.md §3.1) of two-byte UTF-8 sequences, so that
// messages split at every byte also split code points.

// message is a data message a case sends.
type message struct {
	op      byte // opText or opBinary
	payload []byte
	// hashes are the info hashes of a scrape, as the reply names them;
	// nil when the payload is not a scrape, and the tracker answers it
	// with a failure.
	hashes []string
}

// seq numbers the hashes of a test run, so no two messages share one and a
// reply to the wrong message is caught.
var seq atomic.Uint64

// hashRunes is how many code points the hashes use: U+00A1..U+00FE.
const hashRunes = 0xFE - 0xA1 + 1

// newHash returns a fresh 20-code-point binary string.
func newHash() string {
	n := seq.Add(1)
	var b strings.Builder
	for j := range 20 {
		var d uint64
		if j < 5 {
			d = n % hashRunes // the sequence number, in base 94
			n /= hashRunes
		} else {
			d = uint64(j*31) % hashRunes
		}
		b.WriteRune(rune(0xA1 + d))
	}
	return b.String()
}

const (
	scrapeHead = `{"action":"scrape","info_hash":[`
	scrapeTail = `]}`
	hashBytes  = 2 + 20*2 // a quoted hash
	// minScrape is the shortest scrape message: one hash.
	minScrape = len(scrapeHead) + hashBytes + len(scrapeTail)
	// bytesPerHash is how densely hashes fill a long message.
	bytesPerHash = 96
)

// whitespace pads messages; all four are JSON whitespace.
const whitespace = " \n\t\r"

// scrapeOf returns a text scrape of exactly size bytes (at least
// minScrape) with a hash about every bytesPerHash bytes, at most maxHashes
// of them.
func scrapeOf(size, maxHashes int) message {
	if size < minScrape {
		panic(fmt.Sprintf("a scrape needs at least %d bytes, not %d", minScrape, size))
	}
	k := max(1, min(maxHashes, (size-len(scrapeHead)-len(scrapeTail))/bytesPerHash))
	fixed := len(scrapeHead) + len(scrapeTail) + k*hashBytes + (k - 1)
	pad := size - fixed
	hashes := make([]string, k)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(scrapeHead)
	w := 0
	for i := range hashes {
		if i > 0 {
			b.WriteByte(',')
		}
		// Spread the padding in front of the elements; the rest goes
		// before the closing bracket.
		for range pad / (k + 1) {
			b.WriteByte(whitespace[w%len(whitespace)])
			w++
		}
		hashes[i] = newHash()
		b.WriteString(`"` + hashes[i] + `"`)
	}
	for b.Len() < size-len(scrapeTail) {
		b.WriteByte(whitespace[w%len(whitespace)])
		w++
	}
	b.WriteString(scrapeTail)
	if b.Len() != size {
		panic(fmt.Sprintf("built a scrape of %d bytes, want %d", b.Len(), size))
	}
	return message{op: opText, payload: []byte(b.String()), hashes: hashes}
}

// scrape is a short scrape of one hash.
func scrape() message { return scrapeOf(minScrape+10, 1) }

// binary returns m as a binary message. The tracker serves binary
// messages like text ones; an echo server sends them back as binary.
func (m message) binary() message {
	m.op = opBinary
	return m
}

// notScrape is a message the tracker answers with a failure (it is no
// scrape, or no JSON at all) and an echo server sends back.
func notScrape(op byte, payload []byte) message { return message{op: op, payload: payload} }

// frame is m in one frame.
func (m message) frame() frame { return frame{fin: true, op: m.op, payload: m.payload} }

// fragments is m in frames of at most size bytes.
func (m message) fragments(size int) []frame { return fragments(m.op, m.payload, size) }
