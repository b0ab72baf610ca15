package server

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// maxStatsHashes bounds the info hashes one /stats request may ask about.
const maxStatsHashes = 50

// statsResponse is the JSON of /stats. Field names are part of the
// interface the demo page and dashboards read.
type statsResponse struct {
	UptimeSeconds int64 `json:"uptime_seconds"`
	Swarms        int   `json:"swarms"`
	Seeders       int   `json:"seeders"`
	Leechers      int   `json:"leechers"`
	Peers         int   `json:"peers"`
	// PeersByKind counts WebRTC (WebSocket) and native (HTTP/UDP) peers.
	PeersByKind map[string]int `json:"peers_by_kind"`
	// Connections counts open WebSocket connections (of every node, in a
	// cluster).
	Connections map[string]int `json:"connections"`
	// Nodes is how many tracker nodes share the swarms (only in a
	// cluster).
	Nodes int `json:"nodes,omitempty"`
	// Clients counts peers by client family (from the peer id prefix).
	Clients map[string]int `json:"clients"`
	// Busiest lists the swarms with the most peers, when the operator
	// turned it on (SWARMBRIDGE_STATS_TORRENTS).
	Busiest []busySwarm `json:"busiest,omitempty"`
	// Torrents holds the counts of the hashes asked for with
	// ?info_hash=<40 hex digits> (repeatable), keyed by lowercase hex.
	Torrents map[string]torrentStats `json:"torrents,omitempty"`
}

type busySwarm struct {
	InfoHash string `json:"info_hash"`
	torrentStats
}

type torrentStats struct {
	Complete   int `json:"complete"`
	Incomplete int `json:"incomplete"`
	Downloaded int `json:"downloaded"`
}

// serveStats answers GET /stats with tracker-wide totals and, for hashes
// given in the query, their swarm counts (what a scrape would say).
func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	var hashes []bittorrent.InfoHash
	for _, v := range r.URL.Query()["info_hash"] {
		var ih bittorrent.InfoHash
		if len(v) != 40 {
			http.Error(w, "info_hash must be 40 hex digits", http.StatusBadRequest)
			return
		}
		if _, err := hex.Decode(ih[:], []byte(v)); err != nil {
			http.Error(w, "info_hash must be 40 hex digits", http.StatusBadRequest)
			return
		}
		hashes = append(hashes, ih)
	}
	if len(hashes) > maxStatsHashes {
		http.Error(w, "too many info_hash values (at most 50)", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	tot, err := s.store.Totals(ctx)
	if err != nil {
		http.Error(w, "swarm store unavailable", http.StatusServiceUnavailable)
		return
	}
	resp := statsResponse{
		UptimeSeconds: int64(time.Since(s.started) / time.Second),
		Swarms:        tot.Swarms,
		Seeders:       tot.Seeders,
		Leechers:      tot.Leechers,
		Peers:         tot.Seeders + tot.Leechers,
		PeersByKind: map[string]int{
			"webrtc": tot.PeersByKind[swarm.WebRTC],
			"native": tot.PeersByKind[swarm.Native],
		},
		Connections: map[string]int{},
		Clients:     make(map[string]int, len(tot.PeersByClient)),
	}
	resp.Connections["websocket"], resp.Nodes = s.webSocketConns()
	for c, n := range tot.PeersByClient {
		resp.Clients[c.String()] = n
	}
	if s.conf.StatsTorrents {
		resp.Busiest = s.busiest.get(ctx, s.tracked)
	}
	if len(hashes) > 0 {
		counts, err := s.tracked.Scrape(ctx, hashes, nil)
		if err != nil {
			http.Error(w, "swarm store unavailable", http.StatusServiceUnavailable)
			return
		}
		resp.Torrents = make(map[string]torrentStats, len(hashes))
		for i, ih := range hashes {
			c := counts[i]
			resp.Torrents[ih.String()] = torrentStats{Complete: c.Complete, Incomplete: c.Incomplete, Downloaded: c.Downloaded}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	// Pages on other origins (apps using this tracker) may read the stats.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(resp)
}

// busiestCount is how many swarms /stats lists.
const busiestCount = 20

// busiestCache keeps the list of busiest swarms for a few seconds: finding
// them walks every swarm, which /stats pollers must not do on every call.
type busiestCache struct {
	mu     sync.Mutex
	at     time.Time
	swarms []busySwarm
}

func (b *busiestCache) get(ctx context.Context, store swarm.Store) []busySwarm {
	all, ok := store.(bittorrent.FullScraper)
	if !ok {
		return nil
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.swarms != nil && now.Sub(b.at) < 5*time.Second {
		return b.swarms
	}
	ranked, err := topSwarms(ctx, all, busiestCount)
	if err != nil {
		return b.swarms
	}
	top := make([]busySwarm, 0, len(ranked))
	for _, r := range ranked {
		top = append(top, busySwarm{InfoHash: r.ih.String(), torrentStats: torrentStats{r.c.Complete, r.c.Incomplete, r.c.Downloaded}})
	}
	b.swarms, b.at = top, now
	return top
}
