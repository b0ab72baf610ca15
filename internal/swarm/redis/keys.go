package redis

import (
	"strconv"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Buckets is the number of buckets the swarms are spread over. A swarm's
// keys carry its bucket as their Redis Cluster hash tag, so a bucket's
// swarms and its registry and totals share one slot, and one script can
// keep them all in step. It is fixed: nodes sharing a Redis must agree on
// it, and changing it would strand every key (change KeyPrefix with it).
const Buckets = 1024

// bucketOf returns the bucket of ih. Info hashes are SHA-1 or SHA-256
// output, so their first bits are uniform.
func bucketOf(ih bittorrent.InfoHash) int {
	return (int(ih[0])<<8 | int(ih[1])) & (Buckets - 1)
}

// base returns the part every key of bucket b starts with: the prefix and
// the hash tag. The tag is the bucket in hex: the prefix holds no braces
// (Options checks), so this is the first "{...}" of every key.
func (st *Store) base(b int) string {
	return st.bases[b]
}

func makeBases(prefix string) []string {
	bases := make([]string, Buckets)
	for b := range bases {
		bases[b] = prefix + "{" + strconv.FormatInt(int64(b), 16) + "}"
	}
	return bases
}

// swarmKeys returns the keys the script takes for a swarm: its hash and
// three lists, then its bucket's registry and totals. The info hash is
// appended as 20 raw bytes: key names are binary-safe, and nothing after
// the tag takes part in slot hashing.
func (st *Store) swarmKeys(ih bittorrent.InfoHash) []string {
	b := st.base(bucketOf(ih))
	h := string(ih[:])
	return []string{b + "h" + h, b + "w" + h, b + "4" + h, b + "6" + h, b + "r", b + "t"}
}

// bucketKeys returns the registry and totals keys of bucket b.
func (st *Store) bucketKeys(b int) []string {
	base := st.base(b)
	return []string{base + "r", base + "t"}
}
