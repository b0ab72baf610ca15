package trackerclient

import (
	"encoding/binary"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// BEP 15 wire format. Requests are built here; replies are checked here
// after the reader matched their transaction id.

// ProtocolID is BEP 15's magic constant, sent in place of a connection id
// in connect requests. A tracker that hands it back as the connection id
// (bittorrent-tracker does) cannot tell spoofed sources apart.
const ProtocolID uint64 = 0x41727101980

const (
	actionConnect  uint32 = 0
	actionAnnounce uint32 = 1
	actionScrape   uint32 = 2
	actionError    uint32 = 3
)

// MaxScrapeHashes is how many hashes one UDP scrape packet carries
// ("up to about 74", BEP 15); Scrape splits longer requests.
const MaxScrapeHashes = 74

func actionName(a uint32) string {
	switch a {
	case actionConnect:
		return "connect"
	case actionAnnounce:
		return "announce"
	case actionScrape:
		return "scrape"
	case actionError:
		return "error"
	}
	return "unknown"
}

func connectPacket(tid uint32) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), ProtocolID)
	b = binary.BigEndian.AppendUint32(b, actionConnect)
	return binary.BigEndian.AppendUint32(b, tid)
}

// announcePacket builds an announce with BEP 41 URLData options carrying
// urlData (path and query), split in pieces of at most 255 bytes.
func announcePacket(cid uint64, tid uint32, req AnnounceRequest, urlData []byte) []byte {
	b := make([]byte, 0, 98+len(urlData)+2*(len(urlData)/255+1))
	b = binary.BigEndian.AppendUint64(b, cid)
	b = binary.BigEndian.AppendUint32(b, actionAnnounce)
	b = binary.BigEndian.AppendUint32(b, tid)
	b = append(b, req.InfoHash[:]...)
	b = append(b, req.PeerID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(max(req.Downloaded, 0)))
	left := uint64(req.Left)
	if req.Left < 0 {
		left = ^uint64(0) // unknown
	}
	b = binary.BigEndian.AppendUint64(b, left)
	b = binary.BigEndian.AppendUint64(b, uint64(max(req.Uploaded, 0)))
	var event uint32
	switch req.Event {
	case bittorrent.EventCompleted:
		event = 1
	case bittorrent.EventStarted:
		event = 2
	case bittorrent.EventStopped:
		event = 3
	}
	b = binary.BigEndian.AppendUint32(b, event)
	var ip [4]byte
	if req.IP.Is4() || req.IP.Is4In6() {
		ip = req.IP.Unmap().As4()
	}
	b = append(b, ip[:]...)
	b = binary.BigEndian.AppendUint32(b, req.Key)
	numWant := int32(-1)
	switch {
	case req.NumWant == NumWantNone:
		numWant = 0
	case req.NumWant > 0:
		numWant = int32(min(req.NumWant, 1<<31-1))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(numWant))
	b = binary.BigEndian.AppendUint16(b, req.Port)
	for len(urlData) > 0 {
		n := min(len(urlData), 255)
		b = append(b, 0x02, byte(n))
		b = append(b, urlData[:n]...)
		urlData = urlData[n:]
	}
	return b
}

func scrapePacket(cid uint64, tid uint32, hashes []bittorrent.InfoHash) []byte {
	b := make([]byte, 0, 16+20*len(hashes))
	b = binary.BigEndian.AppendUint64(b, cid)
	b = binary.BigEndian.AppendUint32(b, actionScrape)
	b = binary.BigEndian.AppendUint32(b, tid)
	for _, h := range hashes {
		b = append(b, h[:]...)
	}
	return b
}

// checkReply checks the action of a reply whose transaction id matched:
// an error packet becomes a *FailureError, another action than want is
// malformed.
func checkReply(b []byte, want uint32) error {
	switch a := binary.BigEndian.Uint32(b); {
	case a == actionError:
		return &FailureError{Reason: string(b[8:])}
	case a != want:
		return malformed("a %s reply (action %d) to a %s request", actionName(a), a, actionName(want))
	}
	return nil
}

func parseConnectReply(b []byte) (uint64, error) {
	if err := checkReply(b, actionConnect); err != nil {
		return 0, err
	}
	if len(b) < 16 {
		return 0, malformed("connect reply of %d bytes, want 16", len(b))
	}
	return binary.BigEndian.Uint64(b[8:]), nil
}

// parseAnnounceUDP reads an announce reply; addrLen is 4 or 16, by the
// address family the request went over (BEP 15).
func parseAnnounceUDP(b []byte, addrLen int) (*AnnounceResponse, error) {
	if err := checkReply(b, actionAnnounce); err != nil {
		return nil, err
	}
	if len(b) == 8 {
		// opentracker's answer for a torrent it does not track.
		return nil, malformed("announce reply of 8 bytes: a bare header with no interval, counts or peers (how opentracker refuses a torrent it does not track)")
	}
	if len(b) < 20 {
		return nil, malformed("announce reply of %d bytes, want at least 20", len(b))
	}
	r := &AnnounceResponse{
		Interval: time.Duration(binary.BigEndian.Uint32(b[8:])) * time.Second,
		Counts: bittorrent.Counts{
			Incomplete: int(binary.BigEndian.Uint32(b[12:])),
			Complete:   int(binary.BigEndian.Uint32(b[16:])),
		},
	}
	if r.Interval == 0 {
		r.Quirks = addQuirk(r.Quirks, QuirkNoInterval)
	}
	peers, err := compactPeers(b[20:], addrLen, "peers")
	if err != nil {
		return nil, err
	}
	r.Peers = peers
	return r, nil
}

// parseScrapeUDP reads the records of a scrape reply, one per requested
// hash in request order; extra bytes are ignored (BEP 15).
func parseScrapeUDP(b []byte, hashes []bittorrent.InfoHash, into map[bittorrent.InfoHash]bittorrent.Counts) error {
	if err := checkReply(b, actionScrape); err != nil {
		return err
	}
	if need := 8 + 12*len(hashes); len(b) < need {
		return malformed("scrape reply of %d bytes has %d records for %d hashes", len(b), (len(b)-8)/12, len(hashes))
	}
	for i, h := range hashes {
		rec := b[8+12*i:]
		into[h] = bittorrent.Counts{
			Complete:   int(binary.BigEndian.Uint32(rec)),
			Downloaded: int(binary.BigEndian.Uint32(rec[4:])),
			Incomplete: int(binary.BigEndian.Uint32(rec[8:])),
		}
	}
	return nil
}
