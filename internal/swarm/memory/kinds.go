package memory

import (
	"context"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// PeersByKind counts one swarm's live peers by kind (zeros for an unknown
// swarm). It costs what a one-hash scrape costs: the entries sit in one
// slice per kind already. The management API shows it per torrent.
func (st *Store) PeersByKind(_ context.Context, ih bittorrent.InfoHash) (map[swarm.Kind]int, error) {
	sh := st.shardOf(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	out := map[swarm.Kind]int{swarm.WebRTC: 0, swarm.Native: 0}
	s := sh.swarms[ih]
	if s == nil {
		return out, nil
	}
	sh.expire(s, st.now().UnixNano())
	if sh.dropIfEmpty(ih, s) {
		return out, nil
	}
	out[swarm.WebRTC] = len(s.lists[listWebRTC])
	out[swarm.Native] = len(s.lists[listIPv4]) + len(s.lists[listIPv6])
	return out, nil
}
