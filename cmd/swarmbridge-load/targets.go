package main

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// Several targets (-target a,b,…) are several tracker nodes behind what
// would be a load balancer: each connection uses one of them for its whole
// life, and for WebSocket the generator tells which relayed messages
// crossed from one node to another and how long offers took to arrive.

// splitTargets splits the -target list; an empty element is an error.
func splitTargets(s string) ([]string, error) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, errors.New("-target: empty element in the list")
		}
		out = append(out, f)
	}
	return out, nil
}

// targetOf returns the target connection i uses, of n. WebSocket
// connection i joins torrent s = i mod infohashes as its torrent's k-th
// peer (k = i / infohashes), and uses target (s+k) mod n: every torrent's
// peers are spread evenly over the targets, as a load balancer spreads
// them, where a plain i mod n would put all of a torrent's peers on one
// target whenever n and infohashes share a factor. With fewer connections
// than torrents it is plain round-robin.
func targetOf(i, n, infohashes int) int {
	if n <= 1 {
		return 0
	}
	return (i%infohashes + i/infohashes) % n
}

// epoch is the origin of the send times written into offer ids: the
// sender and the receiver are the same process, so the monotonic clock
// gives one-way times without clock sync.
var epoch = time.Now()

func sinceEpoch() int64 { return int64(time.Since(epoch)) }

// An offer id the generator sends is 20 bytes: the sending connection's
// index (4 bytes, big-endian), the time the announce was built (8 bytes,
// nanoseconds since epoch) and 8 random bytes, so every id stays unique
// and the peer an offer is relayed to can tell where and when it came
// from. Answers carry the offer's id back unchanged.
const offerIDLen = 20

func putOfferID(dst []byte, conn int, sentAt int64, r *rng) {
	binary.BigEndian.PutUint32(dst[0:4], uint32(conn))
	binary.BigEndian.PutUint64(dst[4:12], uint64(sentAt))
	r.fill(dst[12:offerIDLen])
}

// offerOrigin returns the sending connection and send time of an offer id
// built by putOfferID.
func offerOrigin(id *[offerIDLen]byte) (conn int, sentAt int64) {
	return int(binary.BigEndian.Uint32(id[0:4])), int64(binary.BigEndian.Uint64(id[4:12]))
}
