package admin

import "time"

// The JSON the management API speaks, shared by the handler and Client.
// openapi.json documents the same shapes; field names are the interface.

// Key is a private tracker key as the API shows it.
type Key struct {
	Key       string    `json:"key"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is null for a key that never expires.
	ExpiresAt *time.Time `json:"expires_at"`
	// Expired is true from the expiry on; expired keys are listed until
	// deleted.
	Expired bool `json:"expired"`
}

// CreateKeyRequest is the body of POST /admin/keys.
type CreateKeyRequest struct {
	// TTL is how long the key works: "30d", "12h", "1w2d", "90m"; empty
	// or "permanent" for a key that never expires.
	TTL string `json:"ttl,omitempty"`
	// Note says whose key it is.
	Note string `json:"note,omitempty"`
	// Key chooses the key; empty (the normal case) generates a random
	// one.
	Key string `json:"key,omitempty"`
}

// KeyList is a page of keys. Next, when present, is the after= value
// for the following page.
type KeyList struct {
	Keys []Key  `json:"keys"`
	Next string `json:"next,omitempty"`
}

// ImportKeysRequest is the body of POST /admin/keys/import: keys that
// never expire, all with the same note.
type ImportKeysRequest struct {
	Keys []string `json:"keys"`
	Note string   `json:"note,omitempty"`
}

// BatchResult counts what a batch changed.
type BatchResult struct {
	// Added were new.
	Added int `json:"added"`
	// Unchanged were already there and were left as they were.
	Unchanged int `json:"unchanged"`
}

// InfoHash is an entry of the info hash list.
type InfoHash struct {
	InfoHash string    `json:"info_hash"`
	Note     string    `json:"note"`
	AddedAt  time.Time `json:"added_at"`
}

// InfoHashList is a page of the info hash list. Mode says what the
// tracker does with the list: "allow" (only listed torrents), "deny"
// (all but listed torrents) or "off" (the list is kept but not applied).
type InfoHashList struct {
	Mode       string     `json:"mode"`
	InfoHashes []InfoHash `json:"info_hashes"`
	Next       string     `json:"next,omitempty"`
}

// AddInfoHashesRequest is the body of POST /admin/infohashes.
type AddInfoHashesRequest struct {
	InfoHashes []string `json:"info_hashes"`
	Note       string   `json:"note,omitempty"`
}

// TorrentStats is what the tracker knows about one torrent.
type TorrentStats struct {
	InfoHash string `json:"info_hash"`
	Seeders  int    `json:"seeders"`
	Leechers int    `json:"leechers"`
	// PeersByKind counts "webrtc" (WebSocket) and "native" (HTTP, UDP)
	// peers; absent when the swarm store cannot tell.
	PeersByKind map[string]int `json:"peers_by_kind,omitempty"`
	// Downloaded counts completed downloads, kept across restarts.
	Downloaded int64 `json:"downloaded"`
	// FirstSeen is when the tracker first recorded the torrent; absent
	// when it never did.
	FirstSeen *time.Time `json:"first_seen,omitempty"`
}

// TorrentList holds the busiest torrents, most peers first.
type TorrentList struct {
	Torrents []TorrentStats `json:"torrents"`
}

// ReloadResult is the answer to POST /admin/reload.
type ReloadResult struct {
	// Summary describes the access policy now in force.
	Summary string `json:"summary"`
}

// ErrorBody is every error's body.
type ErrorBody struct {
	Error string `json:"error"`
}
