package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// rng is a small, fast, non-cryptographic generator (xorshift64*), one per
// connection so nothing is shared on the hot path.
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng {
	r := &rng{s: splitmix(seed)}
	if r.s == 0 {
		r.s = 0x9E3779B97F4A7C15
	}
	return r
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func (r *rng) next() uint64 {
	x := r.s
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	r.s = x
	return x * 0x2545F4914F6CDD1D
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int((r.next() >> 33) % uint64(n)) }

// chance returns true with probability p.
func (r *rng) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return float64(r.next()>>11)/(1<<53) < p
}

func (r *rng) fill(b []byte) {
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, r.next())
		b = b[8:]
	}
	if len(b) > 0 {
		var t [8]byte
		binary.LittleEndian.PutUint64(t[:], r.next())
		copy(b, t[:])
	}
}

// infoHashPool returns n info hashes derived from seed only, so a script
// can whitelist exactly the hashes a run will use (-print-infohashes).
func infoHashPool(n int, seed uint64) []bittorrent.InfoHash {
	r := newRNG(seed ^ 0x5EED1E55)
	out := make([]bittorrent.InfoHash, n)
	for i := range out {
		r.fill(out[i][:])
	}
	return out
}

func printInfoHashes(w io.Writer, pool []bittorrent.InfoHash) {
	for _, h := range pool {
		fmt.Fprintln(w, h.String())
	}
}

// processSalt makes peer ids differ between runs and processes.
var processSalt = func() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}()

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// peerID returns a WebTorrent-style peer id: "-WW0300-" and 12 base64
// characters (which may include '+' and '/', as real ones do).
func peerID(prefix string, conn int) bittorrent.PeerID {
	var id bittorrent.PeerID
	copy(id[:], prefix)
	r := newRNG(processSalt ^ uint64(conn)*0x100000001B3)
	for i := len(prefix); i < 20; i++ {
		id[i] = b64[r.intn(64)]
	}
	return id
}

// percentEncode appends b percent-encoded for a query string: unreserved
// characters stay, everything else is %XX (so '+' is never ambiguous).
func percentEncode(dst, b []byte) []byte {
	const hexd = "0123456789ABCDEF"
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		default:
			dst = append(dst, '%', hexd[c>>4], hexd[c&15])
		}
	}
	return dst
}

// parseSourceIPs splits the -source-ips list.
func parseSourceIPs(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
