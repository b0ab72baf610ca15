package trackerclient

import (
	"errors"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// The fuzz targets feed untrusted replies to every decoder. Seeds live in
// testdata/fuzz/<target>/; run one longer with
// go test -run x -fuzz FuzzBdecode -fuzztime 5m ./trackerclient/

// checkDecodeErr fails unless err is nil, a tracker failure or malformed:
// any other kind means a decoder let something odd through.
func checkDecodeErr(t *testing.T, err error) {
	t.Helper()
	var fe *FailureError
	if err != nil && !errors.Is(err, ErrMalformed) && !errors.As(err, &fe) {
		t.Fatalf("unexpected kind of error: %v", err)
	}
}

func FuzzBdecode(f *testing.F) {
	f.Add([]byte("d8:completei1e10:incompletei0e8:intervali600e5:peers6:\x7f\x00\x00\x01\x13\x886:peers60:e"))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, d, err := bdecode(in)
		checkDecodeErr(t, err)
		if err == nil && !d.unsorted && bencodeOf(v) != string(in) {
			t.Fatalf("decoded %q, re-encoded %q", in, bencodeOf(v))
		}
	})
}

func FuzzHTTPAnnounceReply(f *testing.F) {
	f.Add([]byte("d8:intervali900e5:peers6:\x0a\x00\x00\x01\x1a\xe1e"), 200)
	f.Fuzz(func(t *testing.T, in []byte, status int) {
		r, err := parseAnnounceReply(in, status)
		checkDecodeErr(t, err)
		if err == nil {
			for _, p := range r.Peers {
				if !p.Addr.IsValid() {
					t.Fatalf("invalid peer address in %+v", r)
				}
			}
		}
	})
}

func FuzzHTTPScrapeReply(f *testing.F) {
	f.Add([]byte("d5:filesd20:aaaaaaaaaaaaaaaaaaaad8:completei1eeee"), []byte("aaaaaaaaaaaaaaaaaaaa"))
	f.Fuzz(func(t *testing.T, in, hash []byte) {
		var h bittorrent.InfoHash
		copy(h[:], hash)
		r, err := parseScrapeReply(in, 200, []bittorrent.InfoHash{h})
		checkDecodeErr(t, err)
		if err == nil && len(r.Files) > 1 {
			t.Fatalf("%d files for one requested hash", len(r.Files))
		}
	})
}

// FuzzUDPReply gives one datagram to each reply parser as if its
// transaction id had matched.
func FuzzUDPReply(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x01\x0b\xad\xf0\x0d\x00\x00\x02\x58\x00\x00\x00\x03\x00\x00\x00\x05\xc0\x00\x02\x0a\x1a\xe1"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 8 {
			return // the reader drops these before any parser sees them
		}
		_, err := parseConnectReply(in)
		checkDecodeErr(t, err)
		for _, n := range []int{4, 16} {
			r, err := parseAnnounceUDP(in, n)
			checkDecodeErr(t, err)
			if err == nil && len(r.Peers) != (len(in)-20)/(n+2) {
				t.Fatalf("%d peers from %d bytes", len(r.Peers), len(in))
			}
		}
		files := map[bittorrent.InfoHash]bittorrent.Counts{}
		err = parseScrapeUDP(in, []bittorrent.InfoHash{{1}, {2}}, files)
		checkDecodeErr(t, err)
		if err == nil && len(files) != 2 {
			t.Fatalf("%d records", len(files))
		}
		if err != nil && len(files) != 0 {
			t.Fatal("records kept from a failed scrape")
		}
	})
}

// FuzzWSMessage gives one WebSocket message to the decoder. Whatever it
// accepts must be what a well-formed message says: a relayed offer or
// answer, encoded again, decodes to the same thing.
func FuzzWSMessage(f *testing.F) {
	f.Add([]byte(`{"action":"announce","info_hash":"\u0001aaaaaaaaaaaaaaaaaaa","interval":120,"complete":1,"incomplete":0}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		m := parseWSMessage(in)
		checkDecodeErr(t, m.err)
		switch {
		case m.kind == wsUnreadable && m.err == nil:
			t.Fatal("unreadable without an error")
		case m.kind == wsFailure && m.failure == nil:
			t.Fatal("failure without a FailureError")
		case m.kind == wsAnnounceReply && m.err == nil && (m.announce == nil || m.announce.Interval < 0 || !m.hasIH):
			t.Fatalf("announce reply %+v", m)
		case m.kind == wsScrapeReply && m.err == nil && m.files == nil:
			t.Fatal("scrape reply without files")
		case (m.kind == wsOffer || m.kind == wsAnswer) && m.err == nil:
			again := parseWSMessage(encodeRelay(m.relay))
			if again.err != nil || again.relay != m.relay {
				t.Fatalf("%+v encoded again decodes to %+v (%v)", m.relay, again.relay, again.err)
			}
		}
	})
}

// encodeRelay writes a relayed offer or answer as a tracker would.
func encodeRelay(m Message) []byte {
	b := []byte(`{"action":"announce","info_hash":`)
	b = wire.AppendBinaryString(b, m.InfoHash[:])
	b = append(b, `,"peer_id":`...)
	b = wire.AppendBinaryString(b, m.PeerID[:])
	b = append(b, `,"offer_id":`...)
	b = wire.AppendBinaryString(b, m.OfferID[:])
	b = append(b, `,"`...)
	b = append(b, m.Kind.String()...)
	b = append(b, `":{`...)
	if m.SDPType != "" {
		b = append(b, `"type":`...)
		b = appendJSONText(b, m.SDPType)
		b = append(b, ',')
	}
	b = append(b, `"sdp":`...)
	b = appendJSONText(b, m.SDP)
	return append(b, "}}"...)
}
