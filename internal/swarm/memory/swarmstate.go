package memory

import (
	"encoding/binary"
	"math"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// A swarm gets an index from key to position only once it holds more than
// indexAbove entries, and loses it below indexBelow. Most swarms are small:
// for them scanning one short slice is as fast as a map lookup, and a map of
// a dozen keys would cost more memory than the entries themselves. The gap
// between the thresholds stops a swarm hovering at the limit from building
// and dropping its index on every announce.
const (
	indexAbove = 32
	indexBelow = 16
)

// swarmState is one swarm. It is only touched with its shard's lock held.
type swarmState struct {
	lists [numLists][]entry
	// index maps a key to the entry's position in list key.list; nil while
	// the swarm is small (see indexAbove).
	index map[key]int32
	// minExpires is at most the earliest expiry of any entry (it may lag
	// behind after refreshes and removals), so a swarm whose minExpires is
	// still in the future certainly holds no expired entry and needs no scan.
	minExpires int64
	seeders    int32
	// downloaded saturates rather than wrapping.
	downloaded uint32
}

func newSwarmState() *swarmState {
	return &swarmState{minExpires: math.MaxInt64}
}

// size is the number of entries of all kinds.
func (s *swarmState) size() int {
	return len(s.lists[listWebRTC]) + len(s.lists[listIPv4]) + len(s.lists[listIPv6])
}

// counts reports the swarm's numbers. Call it after expire so that expired
// entries are not counted.
func (s *swarmState) counts() bittorrent.Counts {
	seeders := int(s.seeders)
	return bittorrent.Counts{
		Complete:   seeders,
		Incomplete: s.size() - seeders,
		Downloaded: int(s.downloaded),
	}
}

// find returns the position of the entry with key k in list k.list, or -1.
func (s *swarmState) find(k *key) int {
	if s.index != nil {
		if pos, ok := s.index[*k]; ok {
			return int(pos)
		}
		return -1
	}
	l := s.lists[k.list]
	if k.list == listWebRTC {
		id := bittorrent.PeerID(k.b)
		for i := range l {
			if l[i].id == id {
				return i
			}
		}
		return -1
	}
	ep := [16]byte(k.b[:16])
	port := binary.BigEndian.Uint16(k.b[16:18])
	for i := range l {
		if l[i].port == port && l[i].ep == ep {
			return i
		}
	}
	return -1
}

func (s *swarmState) buildIndex() {
	s.index = make(map[key]int32, s.size())
	for list := range s.lists {
		for i := range s.lists[list] {
			s.index[s.lists[list][i].key(uint8(list))] = int32(i)
		}
	}
}

// earliest returns the list and position of the entry that expires first.
// The swarm must not be empty.
func (s *swarmState) earliest() (uint8, int) {
	var list uint8
	pos := -1
	best := int64(math.MaxInt64)
	for l := range s.lists {
		for i := range s.lists[l] {
			if pos < 0 || s.lists[l][i].expires < best {
				list, pos, best = uint8(l), i, s.lists[l][i].expires
			}
		}
	}
	return list, pos
}

// grow returns l with room for at least one more entry. It grows by a
// quarter instead of append's doubling: most swarms are small and stay
// small, and doubling would leave up to half of every slice unused.
func grow(l []entry) []entry {
	if len(l) < cap(l) {
		return l
	}
	n := make([]entry, len(l), cap(l)+cap(l)/4+2)
	copy(n, l)
	return n
}

// shrink releases the unused tail of a slice that has emptied out, so a
// swarm that was once large does not keep its peak memory forever.
func shrink(l []entry) []entry {
	if cap(l) <= 8 || len(l) > cap(l)/4 {
		return l
	}
	if len(l) == 0 {
		return nil
	}
	n := make([]entry, len(l), len(l)+len(l)/4+2)
	copy(n, l)
	return n
}
