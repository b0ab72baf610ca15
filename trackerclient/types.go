package trackerclient

import (
	"net/netip"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// NumWantNone asks the tracker for no peers at all (numwant=0), for
// announces that only report, such as "stopped".
const NumWantNone = -1

// AnnounceRequest is one announce. The zero value of each optional field
// leaves it to the tracker.
type AnnounceRequest struct {
	InfoHash bittorrent.InfoHash
	PeerID   bittorrent.PeerID
	// Port is where the peer accepts BitTorrent connections.
	Port uint16
	// Uploaded and Downloaded are byte totals since the "started" event.
	Uploaded, Downloaded int64
	// Left is the bytes still to download: 0 for a seeder,
	// bittorrent.LeftUnknown when the peer does not know (HTTP then leaves
	// the parameter out, UDP sends all ones, WebSocket sends null as
	// WebTorrent does for a magnet link without metadata).
	Left  int64
	Event bittorrent.Event
	// NumWant is how many peers to ask for; 0 lets the tracker choose
	// (HTTP leaves numwant out, UDP sends -1, WebSocket sends the number
	// of Offers as WebTorrent does), NumWantNone asks for none.
	NumWant int
	// Offers are WebRTC offers for a WebSocket tracker to relay, each to
	// a different peer of the torrent (WebSocket only; HTTP and UDP ignore
	// them). Answers arrive on WSClient.Messages.
	Offers []Offer
	// Key identifies the peer across address changes (HTTP sends it as 8
	// hex digits, UDP as the 32-bit key). Zero is not sent over HTTP.
	Key uint32
	// IP is BEP 3's optional address of the peer. Most trackers ignore it
	// unless the request comes from a network they trust. Over UDP only an
	// IPv4 address can be sent.
	IP netip.Addr
	// NonCompact asks an HTTP tracker for the list-of-dictionaries peer
	// format (compact=0) instead of BEP 23's compact strings. Some
	// trackers (opentracker) refuse it.
	NonCompact bool
	// NoPeerID asks an HTTP tracker to leave peer ids out of a
	// non-compact list.
	NoPeerID bool
	// TrackerID is echoed to an HTTP tracker as trackerid. When it is
	// empty, the HTTPClient sends the last "tracker id" the tracker gave.
	TrackerID string
}

// Peer is one entry of an announce reply's peer list.
type Peer struct {
	Addr netip.AddrPort
	// ID is the peer id when the tracker sent one (non-compact HTTP lists
	// without no_peer_id); HasID says whether it did.
	ID    bittorrent.PeerID
	HasID bool
}

// AnnounceResponse is a tracker's answer to an announce.
type AnnounceResponse struct {
	// Interval is how long to wait before the next regular announce;
	// MinInterval, when the tracker sent one, is the shortest allowed.
	Interval    time.Duration
	MinInterval time.Duration
	// Counts are the swarm's seeders (Complete) and leechers (Incomplete)
	// and, when an HTTP tracker sends "downloaded", its completions.
	// Fields the tracker left out are 0.
	Counts bittorrent.Counts
	// Peers are IPv4 and IPv6 peers in the order the tracker listed them
	// (HTTP peers then peers6). Non-compact entries that name a DNS host
	// instead of an address are left out: no tracker in use sends them.
	Peers []Peer
	// ExternalIP is the requester's address as the tracker saw it (BEP 24),
	// when it said.
	ExternalIP netip.Addr
	// TrackerID and Warning are the HTTP "tracker id" and "warning
	// message", when present.
	TrackerID string
	Warning   string
	// Quirks lists deviations from the BEPs the client noticed and coped
	// with.
	Quirks []Quirk
}

// ScrapeResponse is a tracker's answer to a scrape.
type ScrapeResponse struct {
	// Files holds the counts of each requested info hash the tracker
	// reported. A hash it left out is absent (BEP 48 allows trackers to
	// omit torrents they have no statistics for).
	Files map[bittorrent.InfoHash]bittorrent.Counts
	// Quirks lists deviations from the BEPs the client noticed and coped
	// with.
	Quirks []Quirk
}

// Quirk names a way a tracker's reply departs from the BEPs that the
// client worked around. Its String is a stable, kebab-case name.
type Quirk string

const (
	// QuirkScrapeKeysUTF8: the keys of an HTTP scrape's "files" are the
	// UTF-8 encoding of the info hash's bytes read as Latin-1 characters,
	// not the 20 raw bytes, so clients that look their hash up (libtorrent)
	// find nothing (bittorrent-tracker 11 does this).
	QuirkScrapeKeysUTF8 Quirk = "scrape-keys-utf8"
	// QuirkScrapeKeysHex: the keys of "files" are 40 hex digits instead of
	// the 20 raw bytes (HTTP) or a 20-character binary string (WebSocket).
	QuirkScrapeKeysHex Quirk = "scrape-keys-hex"
	// QuirkUnsortedKeys: a bencoded dictionary's keys are not in the
	// byte order bencode requires.
	QuirkUnsortedKeys Quirk = "bencode-unsorted-keys"
	// QuirkNoInterval: an HTTP or WebSocket announce reply has no
	// "interval" (BEP 3 requires it), or a UDP one says 0.
	QuirkNoInterval Quirk = "no-interval"
)

func (q Quirk) String() string { return string(q) }

func addQuirk(qs []Quirk, q Quirk) []Quirk {
	for _, have := range qs {
		if have == q {
			return qs
		}
	}
	return append(qs, q)
}
