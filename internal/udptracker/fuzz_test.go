package udptracker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/policytest"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Seeds shared by the fuzz targets, next to the files in testdata/fuzz.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	seeds = append(seeds, unhex(t, exConnectReq), unhex(t, exAnnounceReq))
	seeds = append(seeds, append(unhex(t, exAnnounceReq), unhex(t, exURLData)...))
	seeds = append(seeds, append(unhex(t, exAnnounceReq), 0x02, 0x09, 'x'))
	seeds = append(seeds, scrapePacket(1, 2, ih(1)), scrapePacket(1, 2, ih(1), ih(2), ih(1)))
	seeds = append(seeds, nil, []byte{0}, unhex(t, exConnectReq)[:15], unhex(t, exAnnounceReq)[:97])
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if (err == nil) != (len(b) >= headerLen) {
			t.Fatalf("parseHeader(%d bytes): %v", len(b), err)
		}
		if err != nil {
			return
		}
		if got := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, h.connID), h.action), h.txID); !bytes.Equal(got, b[:headerLen]) {
			t.Fatalf("header round trip %x != %x", got, b[:headerLen])
		}
		if err := checkConnect(b, h); (err == nil) != (h.connID == protocolID) {
			t.Fatalf("checkConnect: %v", err)
		}

		var a announce
		err = parseAnnounce(b, &a)
		if (err == nil) != (len(b) >= announceMinLen) {
			t.Fatalf("parseAnnounce(%d bytes): %v", len(b), err)
		}
		if err == nil {
			if got := encodeAnnounce(h, &a); !bytes.Equal(got, b) {
				t.Fatalf("announce round trip\n%x\n%x", got, b)
			}
		}

		hashes, err := parseScrape(b, DefaultMaxScrapeHashes, nil)
		n := (len(b) - headerLen) / infoHashLen
		wantOK := (len(b)-headerLen)%infoHashLen == 0 && n >= 1 && n <= DefaultMaxScrapeHashes
		if (err == nil) != wantOK {
			t.Fatalf("parseScrape(%d bytes): %v", len(b), err)
		}
		if err == nil {
			for i, h := range hashes {
				if !bytes.Equal(h[:], b[headerLen+i*infoHashLen:][:infoHashLen]) {
					t.Fatalf("hash %d differs", i)
				}
			}
		}
	})
}

// encodeAnnounce re-encodes a parsed announce, for round-trip checks.
func encodeAnnounce(h header, a *announce) []byte {
	b := binary.BigEndian.AppendUint64(nil, h.connID)
	b = binary.BigEndian.AppendUint32(b, h.action)
	b = binary.BigEndian.AppendUint32(b, h.txID)
	b = append(b, a.infoHash[:]...)
	b = append(b, a.peerID[:]...)
	b = binary.BigEndian.AppendUint64(b, a.downloaded)
	b = binary.BigEndian.AppendUint64(b, a.left)
	b = binary.BigEndian.AppendUint64(b, a.uploaded)
	b = binary.BigEndian.AppendUint32(b, a.event)
	b = binary.BigEndian.AppendUint32(b, a.ip)
	b = binary.BigEndian.AppendUint32(b, a.key)
	b = binary.BigEndian.AppendUint32(b, uint32(a.numWant))
	b = binary.BigEndian.AppendUint16(b, a.port)
	return append(b, a.options...)
}

func FuzzParseOptions(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x02, 0x00})
	f.Add(unhex(f, exURLData))
	f.Add([]byte{0x01, 0x02, 0x03, 'a', 'b', 'c', 0x07, 0x01, 0xff, 0x02, 0x01, 'd', 0x00, 0x02})
	f.Add([]byte{0x02, 0x05, 'a'})
	f.Fuzz(func(t *testing.T, opts []byte) {
		got, ok := parseOptions(opts, make([]byte, 0, 8))
		want, wantOK := referenceOptions(opts)
		if ok != wantOK || (got == nil) != (want == nil) || !bytes.Equal(got, want) {
			t.Fatalf("parseOptions(%x) = %q, %v; want %q, %v", opts, got, ok, want, wantOK)
		}
	})
}

// referenceOptions is a deliberately naive second reading of BEP 41 to
// compare parseOptions against.
func referenceOptions(opts []byte) ([]byte, bool) {
	var parts [][]byte
	rest := opts
	for len(rest) > 0 && rest[0] != optEndOfOptions {
		if rest[0] == optNOP {
			rest = rest[1:]
			continue
		}
		if len(rest) < 2 || len(rest) < 2+int(rest[1]) {
			return nil, false
		}
		if rest[0] == optURLData {
			parts = append(parts, rest[2:2+int(rest[1])])
		}
		rest = rest[2+int(rest[1]):]
	}
	if parts == nil {
		return nil, true
	}
	return append([]byte{}, bytes.Join(parts, nil)...), true
}

// fuzzFroms are the client addresses FuzzHandle picks from, including a
// mapped one, a zoned one and port 0.
var fuzzFroms = []netip.AddrPort{
	netip.MustParseAddrPort("192.0.2.1:6881"),
	netip.MustParseAddrPort("[::ffff:192.0.2.2]:6881"),
	netip.MustParseAddrPort("[2001:db8::1]:6881"),
	netip.MustParseAddrPort("[fe80::1%eth0]:6881"),
	netip.MustParseAddrPort("192.0.2.3:0"),
	netip.MustParseAddrPort("[2001:db8::2]:1"),
}

// fuzzHandler is rebuilt every so often so the store does not grow
// without bound over millions of inputs.
type fuzzHandler struct {
	w     *worker
	calls int
}

func (fh *fuzzHandler) worker(t *testing.T) *worker {
	if fh.w == nil || fh.calls >= 5000 {
		s := newTestServer(t, Config{
			MaxNumWant: 30,
			Policy: policytest.Funcs{AuthorizeFunc: func(_ bittorrent.Transport, _ bittorrent.Action, _ bittorrent.InfoHash, url string) error {
				if strings.Contains(url, "deny") {
					return errors.New(url)
				}
				return nil
			}},
		})
		fh.w, fh.calls = s.newWorker(), 0
	}
	fh.calls++
	return fh.w
}

func FuzzHandle(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		for from := range fuzzFroms {
			f.Add(s, true, uint8(from))
		}
		f.Add(s, false, uint8(0))
	}
	var fh fuzzHandler
	f.Fuzz(func(t *testing.T, pkt []byte, authenticate bool, fromIdx uint8) {
		w := fh.worker(t)
		from := fuzzFroms[int(fromIdx)%len(fuzzFroms)]
		ip := from.Addr().Unmap().WithZone("")
		// Overwrite the connection id with a valid one so the fuzzer reaches
		// past authentication; connects keep their magic.
		if authenticate && len(pkt) >= 12 && binary.BigEndian.Uint32(pkt[8:12]) != actionConnect {
			pkt = bytes.Clone(pkt)
			binary.BigEndian.PutUint64(pkt, w.ids.issue(w.s.cfg.now(), ip))
		}
		authed := len(pkt) >= 8 && w.ids.valid(binary.BigEndian.Uint64(pkt), w.s.cfg.now(), ip)

		reply := w.handle(context.Background(), pkt, from)
		if reply == nil {
			return
		}
		checkReply(t, pkt, reply, authed, swarm.FamilyOf(ip), w)
	})
}

// checkReply asserts that reply is a well-formed answer to pkt.
func checkReply(t *testing.T, pkt, reply []byte, authed bool, fam swarm.Family, w *worker) {
	t.Helper()
	if len(pkt) < headerLen {
		t.Fatalf("reply %x to a %d-byte packet", reply, len(pkt))
	}
	if len(reply) < 8 || len(reply) > maxDatagram {
		t.Fatalf("reply of %d bytes", len(reply))
	}
	if !authed && len(reply) > len(pkt) {
		t.Fatalf("unauthenticated %d-byte request got %d bytes", len(pkt), len(reply))
	}
	if !bytes.Equal(reply[4:8], pkt[12:16]) {
		t.Fatalf("transaction id %x, request had %x", reply[4:8], pkt[12:16])
	}
	reqAction := binary.BigEndian.Uint32(pkt[8:])
	action := binary.BigEndian.Uint32(reply)
	switch {
	case action == actionError:
		if !authed || (reqAction != actionAnnounce && reqAction != actionScrape) {
			t.Fatalf("error reply to unauthenticated or non-announce/scrape request: %q", reply[8:])
		}
	case action != reqAction:
		t.Fatalf("reply action %d to request action %d", action, reqAction)
	case action == actionConnect:
		if len(reply) != connectReplyLen || binary.BigEndian.Uint64(pkt) != protocolID {
			t.Fatalf("bad connect reply %x to %x", reply, pkt)
		}
	case action == actionAnnounce:
		n := peerEntryLen(fam)
		body := len(reply) - announceReplyHdrLen
		if !authed || body < 0 || body%n != 0 || body/n > 30 || len(pkt) < announceMinLen {
			t.Fatalf("bad announce reply of %d bytes (authed %v)", len(reply), authed)
		}
		if binary.BigEndian.Uint32(reply[8:]) != w.s.cfg.interval {
			t.Fatal("wrong interval")
		}
	case action == actionScrape:
		if !authed || len(reply) != scrapeReplyHdrLen+scrapeRecordLen*((len(pkt)-headerLen)/infoHashLen) {
			t.Fatalf("bad scrape reply of %d bytes to %d", len(reply), len(pkt))
		}
	default:
		t.Fatalf("reply with action %d", action)
	}
}
