package memory

import (
	"math/rand/v2"
	"slices"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// smallPick is the largest number of peers picked as independent random
// indices. Above it, checking each index against those already chosen costs
// more than it is worth, and a contiguous window from a random start is
// taken instead (as aquatic does): swap-removal keeps shuffling the slices,
// so a window is not the same neighbours for long.
const smallPick = 16

// candidates are the one or two lists a requester may get peers from, seen
// as one sequence with the requester's own entry skipped.
type candidates struct {
	lists [2][]entry
	ids   [2]uint8
	used  int
	// self is the requester's position in the combined sequence, or -1.
	self int
	// n is the number of candidates, the requester excluded.
	n int
}

func (c *candidates) add(list uint8, l []entry, selfList uint8, selfPos int) {
	if list == selfList && selfPos >= 0 {
		c.self = c.n + selfPos
	}
	c.lists[c.used], c.ids[c.used] = l, list
	c.used++
	c.n += len(l)
}

// at returns candidate j (0 <= j < c.n after finish) and its list.
func (c *candidates) at(j int) (*entry, uint8) {
	if c.self >= 0 && j >= c.self {
		j++
	}
	if j < len(c.lists[0]) {
		return &c.lists[0][j], c.ids[0]
	}
	return &c.lists[1][j-len(c.lists[0])], c.ids[1]
}

// finish drops the requester from the count once all lists are added.
func (c *candidates) finish() {
	if c.self >= 0 {
		c.n--
	}
}

// pick appends up to req.NumWant distinct random peers of the requester's
// kind (and wanted families) to dst, never the requester's own entry, which
// is at selfPos of selfList. Expired entries must already be removed.
func (s *swarmState) pick(dst []swarm.Peer, req *swarm.AnnounceRequest, selfList uint8, selfPos int) []swarm.Peer {
	want := req.NumWant
	if want <= 0 {
		return dst
	}
	c := candidates{self: -1}
	if selfList == listWebRTC {
		c.add(listWebRTC, s.lists[listWebRTC], selfList, selfPos)
	} else {
		fam := req.Families & swarm.AnyFamily
		if fam == 0 {
			fam = swarm.AnyFamily
		}
		if fam&swarm.IPv4 != 0 {
			c.add(listIPv4, s.lists[listIPv4], selfList, selfPos)
		}
		if fam&swarm.IPv6 != 0 {
			c.add(listIPv6, s.lists[listIPv6], selfList, selfPos)
		}
	}
	c.finish()
	n := min(want, c.n)
	if n == 0 {
		return dst
	}
	dst = slices.Grow(dst, n)
	switch {
	case n == c.n:
		for j := range n {
			e, list := c.at(j)
			dst = append(dst, e.peer(list))
		}
	case n <= smallPick:
		var chosen [smallPick]int
		floyd(chosen[:n], c.n)
		for _, j := range chosen[:n] {
			e, list := c.at(j)
			dst = append(dst, e.peer(list))
		}
	default:
		start := rand.IntN(c.n)
		for i := range n {
			j := start + i
			if j >= c.n {
				j -= c.n
			}
			e, list := c.at(j)
			dst = append(dst, e.peer(list))
		}
	}
	return dst
}

// floyd fills dst with len(dst) distinct random integers from [0, m),
// m >= len(dst), every subset equally likely (Floyd's algorithm), then
// shuffles them because Floyd's order favours large values late. The
// duplicate check is linear: dst is at most smallPick long.
func floyd(dst []int, m int) {
	k := len(dst)
	for i, j := 0, m-k; j < m; i, j = i+1, j+1 {
		t := rand.IntN(j + 1)
		if slices.Contains(dst[:i], t) {
			t = j
		}
		dst[i] = t
	}
	for i := k - 1; i > 0; i-- {
		r := rand.IntN(i + 1)
		dst[i], dst[r] = dst[r], dst[i]
	}
}
