package redis

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// maxMS caps expiry times: far beyond any real TTL, and small enough that
// Lua's doubles hold every millisecond exactly.
const maxMS = 1 << 50

func fmtInt(v int64) string { return strconv.FormatInt(v, 10) }

func scriptSHA(src string) string {
	sum := sha1.Sum([]byte(src))
	return hex.EncodeToString(sum[:])
}

// entryOf returns how a validated peer is stored: its list ("w", "4" or
// "6"), its key within the list (the peer id of a WebRTC peer; the
// address and big-endian port of a native one), and the rest of its
// record (the owner, big-endian, or the peer id).
func entryOf(p *swarm.Peer) (list, key, data string) {
	if p.Kind == swarm.WebRTC {
		var o [8]byte
		binary.BigEndian.PutUint64(o[:], uint64(p.Owner))
		return "w", string(p.ID[:]), string(o[:])
	}
	a := p.Addr.Addr()
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], p.Addr.Port())
	if a.Is4() {
		b := a.As4()
		return "4", string(b[:]) + string(port[:]), string(p.ID[:])
	}
	b := a.As16()
	return "6", string(b[:]) + string(port[:]), string(p.ID[:])
}

// leftArg tells the script what Left says about the peer's status.
func leftArg(left int64) string {
	switch {
	case left == 0:
		return "0" // a seeder
	case left > 0:
		return "1" // a leecher
	}
	return "2" // unknown: keep the stored status
}

// familiesArg is the family mask the script reads: bit 0 IPv4, bit 1 IPv6.
func familiesArg(f swarm.Family) string {
	f &= swarm.AnyFamily
	if f == 0 {
		f = swarm.AnyFamily
	}
	return strconv.Itoa(int(f))
}

// appendPicks decodes the script's packed picks (see pick in swarm.lua)
// and appends them to dst. It reports false if the string is malformed.
func appendPicks(dst []swarm.Peer, s string) ([]swarm.Peer, bool) {
	for len(s) > 0 {
		var p swarm.Peer
		switch s[0] {
		case 'w':
			if len(s) < 1+20+8 {
				return dst, false
			}
			p.Kind = swarm.WebRTC
			copy(p.ID[:], s[1:21])
			p.Owner = swarm.Owner(binary.BigEndian.Uint64([]byte(s[21:29])))
			s = s[29:]
		case '4':
			if len(s) < 1+6+20 {
				return dst, false
			}
			p.Kind = swarm.Native
			p.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte([]byte(s[1:5]))), binary.BigEndian.Uint16([]byte(s[5:7])))
			copy(p.ID[:], s[7:27])
			s = s[27:]
		case '6':
			if len(s) < 1+18+20 {
				return dst, false
			}
			p.Kind = swarm.Native
			p.Addr = netip.AddrPortFrom(netip.AddrFrom16([16]byte([]byte(s[1:17]))), binary.BigEndian.Uint16([]byte(s[17:19])))
			copy(p.ID[:], s[19:39])
			s = s[39:]
		default:
			return dst, false
		}
		dst = append(dst, p)
	}
	return dst, true
}
