package udptracker

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Wire constants of BEP 15, and the size limits of docs/protocol.md §10.6.
// All integers are big-endian.
const (
	// protocolID is the magic a connect request carries instead of a
	// connection id.
	protocolID uint64 = 0x0000041727101980

	actionConnect  uint32 = 0
	actionAnnounce uint32 = 1
	actionScrape   uint32 = 2
	actionError    uint32 = 3

	headerLen      = 16 // connection_id, action, transaction_id
	connectLen     = 16
	announceMinLen = 98
	infoHashLen    = 20

	connectReplyLen     = 16
	announceReplyHdrLen = 20
	scrapeReplyHdrLen   = 8
	scrapeRecordLen     = 12
	errorReplyHdrLen    = 8
	peer4Len            = 6
	peer6Len            = 18

	// maxDatagram keeps replies within the IPv6 minimum MTU less headers,
	// so they are never fragmented (docs/protocol.md §10.6).
	maxDatagram = 1232
	// maxRequestLen bounds the requests served: every legitimate one fits
	// (a scrape of 74 hashes is 1496 bytes, announces with BEP 41 options
	// a few hundred), and longer ones are dropped as malformed.
	maxRequestLen = 2048
	// maxPeers4 and maxPeers6 are the most peer entries that fit in
	// maxDatagram: 202 and 67.
	maxPeers4 = (maxDatagram - announceReplyHdrLen) / peer4Len
	maxPeers6 = (maxDatagram - announceReplyHdrLen) / peer6Len
	// maxErrorMessage keeps error replies within maxDatagram too.
	maxErrorMessage = maxDatagram - errorReplyHdrLen
)

// Parse errors. They are sentinels, never wrapped, because they are
// returned on the hot path where wrapping would allocate.
var (
	errShort         = errors.New("udptracker: packet too short")
	errNotConnect    = errors.New("udptracker: connect without protocol id")
	errScrapeLength  = errors.New("udptracker: scrape length not 16 + 20·n")
	errNoHashes      = errors.New("udptracker: scrape without info hashes")
	errTooManyHashes = errors.New("udptracker: too many info hashes")
)

// header is the 16-byte prefix of every request.
type header struct {
	connID uint64
	action uint32
	// txID is echoed verbatim; it is opaque, so it is kept as the integer
	// read in network order and written back the same way.
	txID uint32
}

// parseHeader reads the common request prefix. Longer packets are fine:
// BEP 15 says not to expect exact sizes.
func parseHeader(b []byte) (header, error) {
	if len(b) < headerLen {
		return header{}, errShort
	}
	return header{
		connID: binary.BigEndian.Uint64(b[0:8]),
		action: binary.BigEndian.Uint32(b[8:12]),
		txID:   binary.BigEndian.Uint32(b[12:16]),
	}, nil
}

// checkConnect validates a connect request whose header is h.
func checkConnect(b []byte, h header) error {
	if len(b) < connectLen {
		return errShort
	}
	if h.connID != protocolID {
		return errNotConnect
	}
	return nil
}

// announce is a parsed announce request (BEP 15; docs/protocol.md §10.6
// says which fields Swarmbridge ignores).
type announce struct {
	infoHash   bittorrent.InfoHash
	peerID     bittorrent.PeerID
	downloaded uint64
	left       uint64
	uploaded   uint64
	event      uint32
	ip         uint32
	key        uint32
	numWant    int32
	port       uint16
	// options are the bytes after offset 98 (BEP 41). They alias the
	// packet, so they are only valid until the read buffer is reused.
	options []byte
}

// parseAnnounce fills a from an announce request. The header fields are
// not repeated in a; parse them with parseHeader.
func parseAnnounce(b []byte, a *announce) error {
	if len(b) < announceMinLen {
		return errShort
	}
	copy(a.infoHash[:], b[16:36])
	copy(a.peerID[:], b[36:56])
	a.downloaded = binary.BigEndian.Uint64(b[56:64])
	a.left = binary.BigEndian.Uint64(b[64:72])
	a.uploaded = binary.BigEndian.Uint64(b[72:80])
	a.event = binary.BigEndian.Uint32(b[80:84])
	a.ip = binary.BigEndian.Uint32(b[84:88])
	a.key = binary.BigEndian.Uint32(b[88:92])
	a.numWant = int32(binary.BigEndian.Uint32(b[92:96]))
	a.port = binary.BigEndian.Uint16(b[96:98])
	a.options = b[announceMinLen:]
	return nil
}

// parseScrape appends the info hashes of a scrape request to dst. It
// accepts 1..max hashes and only lengths of exactly 16 + 20·n, because the
// hash list has no count and trailing bytes would be read as a hash.
func parseScrape(b []byte, max int, dst []bittorrent.InfoHash) ([]bittorrent.InfoHash, error) {
	if len(b) < headerLen {
		return dst, errShort
	}
	body := b[headerLen:]
	if len(body)%infoHashLen != 0 {
		return dst, errScrapeLength
	}
	n := len(body) / infoHashLen
	if n == 0 {
		return dst, errNoHashes
	}
	if n > max {
		return dst, errTooManyHashes
	}
	for i := 0; i < n; i++ {
		var ih bittorrent.InfoHash
		copy(ih[:], body[i*infoHashLen:])
		dst = append(dst, ih)
	}
	return dst, nil
}

// appendConnectReply encodes a connect response.
func appendConnectReply(dst []byte, txID uint32, connID uint64) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionConnect)
	dst = binary.BigEndian.AppendUint32(dst, txID)
	return binary.BigEndian.AppendUint64(dst, connID)
}

// appendAnnounceReply encodes the fixed part of an announce response.
// Note the order: leechers before seeders.
func appendAnnounceReply(dst []byte, txID, interval uint32, c bittorrent.Counts) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionAnnounce)
	dst = binary.BigEndian.AppendUint32(dst, txID)
	dst = binary.BigEndian.AppendUint32(dst, interval)
	dst = binary.BigEndian.AppendUint32(dst, clampU32(c.Incomplete))
	return binary.BigEndian.AppendUint32(dst, clampU32(c.Complete))
}

// appendPeers appends up to max compact entries of family fam: 6 bytes for
// IPv4, 18 for IPv6. Peers of the other family, or that are not native,
// are skipped, so a requester never gets entries it would misparse.
func appendPeers(dst []byte, peers []swarm.Peer, fam swarm.Family, max int) []byte {
	n := 0
	for i := range peers {
		if n >= max {
			break
		}
		p := &peers[i]
		if p.Kind != swarm.Native {
			continue
		}
		a := p.Addr.Addr()
		switch {
		case fam == swarm.IPv4 && a.Is4():
			ip := a.As4()
			dst = append(dst, ip[:]...)
		case fam == swarm.IPv6 && a.Is6() && !a.Is4In6():
			ip := a.As16()
			dst = append(dst, ip[:]...)
		default:
			continue
		}
		dst = binary.BigEndian.AppendUint16(dst, p.Addr.Port())
		n++
	}
	return dst
}

// appendScrapeHeader encodes the fixed part of a scrape response.
func appendScrapeHeader(dst []byte, txID uint32) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionScrape)
	return binary.BigEndian.AppendUint32(dst, txID)
}

// appendScrapeRecord encodes one per-hash scrape record: seeders,
// completed, leechers.
func appendScrapeRecord(dst []byte, c bittorrent.Counts) []byte {
	dst = binary.BigEndian.AppendUint32(dst, clampU32(c.Complete))
	dst = binary.BigEndian.AppendUint32(dst, clampU32(c.Downloaded))
	return binary.BigEndian.AppendUint32(dst, clampU32(c.Incomplete))
}

// appendError encodes an error response. The message runs to the end of
// the datagram; it is cut to maxErrorMessage bytes so the reply stays
// unfragmented.
func appendError(dst []byte, txID uint32, msg string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionError)
	dst = binary.BigEndian.AppendUint32(dst, txID)
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage]
	}
	return append(dst, msg...)
}

// clampU32 converts a count to the u32 wire field; counts never go
// negative or past 2^32 in practice, but a store bug must not wrap.
func clampU32(n int) uint32 {
	if n < 0 {
		return 0
	}
	if uint64(n) > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(n)
}
