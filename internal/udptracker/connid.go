package udptracker

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"hash"
	"net/netip"
	"time"
)

// Connection-id validity (docs/protocol.md §10.6). BEP 15 lets clients use an
// id for one minute and asks trackers to accept it for two.
const (
	connIDLifetime = 120 // seconds
	// connIDGrace covers a client that sends at the end of its minute and
	// then retransmits (15 s schedule), and the up-to-one-second loss from
	// storing T in whole seconds.
	connIDGrace = 15 // seconds
	// connIDSkew tolerates ids stamped slightly in the future: a wall clock
	// stepped back, or several tracker processes sharing one Secret whose
	// clocks differ a little.
	connIDSkew = 5 // seconds
)

// connIDs issues and checks stateless connection ids:
//
//	id = T (u32 seconds) ‖ MAC (first 4 bytes of HMAC-SHA256(secret, T ‖ IP))
//
// where IP is 4 bytes for IPv4 (mapped addresses unmapped) and 16 for
// IPv6, without zone or port, so a client keeps its id when its NAT
// changes the port. No state is kept per client, so a flood of connects
// costs no memory.
//
// A connIDs is not safe for concurrent use: it reuses one HMAC state and
// scratch buffers so that a packet costs no allocation. Each worker owns
// one.
type connIDs struct {
	mac hash.Hash
	in  [4 + 16]byte
	sum [sha256.Size]byte
}

func newConnIDs(secret []byte) *connIDs {
	return &connIDs{mac: hmac.New(sha256.New, secret)}
}

// issue returns a connection id for ip valid from now.
func (c *connIDs) issue(now time.Time, ip netip.Addr) uint64 {
	t := uint32(now.Unix())
	id := uint64(t)<<32 | uint64(c.tag(t, ip))
	if id == protocolID {
		// Only possible with a clock near 1970 (T = 1047), but a client
		// must never get the magic back as its id (docs/protocol.md §10.6):
		// stamp it one second older, which is still valid.
		t--
		id = uint64(t)<<32 | uint64(c.tag(t, ip))
	}
	return id
}

// valid reports whether id was issued to ip no more than the lifetime
// plus grace ago and not too far in the future.
func (c *connIDs) valid(id uint64, now time.Time, ip netip.Addr) bool {
	if id == protocolID {
		return false
	}
	t := uint32(id >> 32)
	// The difference is taken in 32 bits so it stays right when the u32
	// seconds counter wraps (in 2106).
	age := int64(int32(uint32(now.Unix()) - t))
	if age > connIDLifetime+connIDGrace || age < -connIDSkew {
		return false
	}
	return subtle.ConstantTimeEq(int32(c.tag(t, ip)), int32(uint32(id))) == 1
}

// tag is the MAC of T ‖ canonical IP, truncated to 32 bits.
func (c *connIDs) tag(t uint32, ip netip.Addr) uint32 {
	binary.BigEndian.PutUint32(c.in[:4], t)
	n := 4
	ip = ip.Unmap()
	if ip.Is4() {
		a := ip.As4()
		n += copy(c.in[4:], a[:])
	} else {
		a := ip.As16()
		n += copy(c.in[4:], a[:])
	}
	c.mac.Reset()
	c.mac.Write(c.in[:n])
	sum := c.mac.Sum(c.sum[:0])
	return binary.BigEndian.Uint32(sum[:4])
}
