package server

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

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
	// Connections counts open WebSocket connections.
	Connections map[string]int `json:"connections"`
	// Torrents holds the counts of the hashes asked for with
	// ?info_hash=<40 hex digits> (repeatable), keyed by lowercase hex.
	Torrents map[string]torrentStats `json:"torrents,omitempty"`
}

type torrentStats struct {
	Complete   int `json:"complete"`
	Incomplete int `json:"incomplete"`
	Downloaded int `json:"downloaded"`
}

// serveStats answers GET /stats with tracker-wide totals and, for hashes
// given in the query, their swarm counts (what a scrape would say).
func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	var hashes []swarm.InfoHash
	for _, v := range r.URL.Query()["info_hash"] {
		var ih swarm.InfoHash
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
		Connections: map[string]int{"websocket": s.ws.Conns()},
	}
	if len(hashes) > 0 {
		counts, err := s.store.Scrape(ctx, hashes, nil)
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
