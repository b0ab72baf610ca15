package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// A batch is what one PUBLISH carries to a node's inbox: a version byte,
// then relays, each
//
//	kind    1 byte (signaling.RelayKind)
//	to      8 bytes, big-endian ConnID
//	offers only:
//	  from      8 bytes, big-endian ConnID
//	  info hash 20 bytes
//	  peer id   20 bytes (the offerer)
//	  to peer   20 bytes
//	  offer id  20 bytes
//	length  uvarint, then the message's text
//
// Binary, since messages carry binary ids; the text is the JSON message
// the target gets, encoded once by the sending node.

// batchVersion starts every batch, so a node never reads a payload of
// another format (a newer tracker, or something else publishing on the
// channel) as relays.
const batchVersion = 1

const offerFields = 8 + 20 + 20 + 20 + 20

// maxRelayText bounds one relay's message: far above any message a
// tracker relays (16 MiB is the largest MaxMessageSize), and small enough
// that a corrupted length cannot make a node allocate much.
const maxRelayText = 64 << 20

var errBatch = errors.New("cluster: malformed relay batch")

// appendRelay appends r's record to a batch.
func appendRelay(b []byte, r *signaling.Relay) []byte {
	b = append(b, byte(r.Kind))
	b = binary.BigEndian.AppendUint64(b, uint64(r.To))
	if r.Kind == signaling.RelayOffer {
		b = binary.BigEndian.AppendUint64(b, uint64(r.From))
		b = append(b, r.InfoHash[:]...)
		b = append(b, r.PeerID[:]...)
		b = append(b, r.ToPeerID[:]...)
		b = append(b, r.OfferID[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Message)))
	return append(b, r.Message...)
}

// relaySize is how many bytes appendRelay adds for r, at most.
func relaySize(r *signaling.Relay) int {
	n := 1 + 8 + binary.MaxVarintLen64 + len(r.Message)
	if r.Kind == signaling.RelayOffer {
		n += offerFields
	}
	return n
}

// readBatch calls fn with each relay of batch b, in order, until the end
// or the first malformed record, which it reports. The Relay and its
// Message are valid only during the call.
func readBatch(b []byte, fn func(*signaling.Relay)) error {
	if len(b) == 0 || b[0] != batchVersion {
		return fmt.Errorf("%w: unknown version", errBatch)
	}
	b = b[1:]
	var r signaling.Relay
	for len(b) > 0 {
		r = signaling.Relay{Kind: signaling.RelayKind(b[0])}
		b = b[1:]
		if r.Kind != signaling.RelayOffer && r.Kind != signaling.RelayAnswer {
			return fmt.Errorf("%w: relay kind %d", errBatch, r.Kind)
		}
		if len(b) < 8 {
			return fmt.Errorf("%w: short relay", errBatch)
		}
		r.To = signaling.ConnID(binary.BigEndian.Uint64(b))
		b = b[8:]
		if r.Kind == signaling.RelayOffer {
			if len(b) < offerFields {
				return fmt.Errorf("%w: short offer", errBatch)
			}
			r.From = signaling.ConnID(binary.BigEndian.Uint64(b))
			b = b[8:]
			r.InfoHash = bittorrent.InfoHash(b[:20])
			r.PeerID = bittorrent.PeerID(b[20:40])
			r.ToPeerID = bittorrent.PeerID(b[40:60])
			copy(r.OfferID[:], b[60:80])
			b = b[80:]
		}
		n, k := binary.Uvarint(b)
		if k <= 0 || n > maxRelayText || n > uint64(len(b)-k) {
			return fmt.Errorf("%w: message length", errBatch)
		}
		b = b[k:]
		r.Message = b[:n:n]
		b = b[n:]
		fn(&r)
	}
	return nil
}
