package cluster

import (
	"bytes"
	"errors"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling"
)

func sampleRelays() []signaling.Relay {
	return []signaling.Relay{
		{Kind: signaling.RelayOffer, To: 7<<48 | 1, Message: []byte(`{"action":"announce","offer":{}}`),
			From: 3<<48 | 99, InfoHash: bittorrent.InfoHash{1, 2}, PeerID: bittorrent.PeerID{3}, ToPeerID: bittorrent.PeerID{4}, OfferID: [20]byte{5, 255}},
		{Kind: signaling.RelayAnswer, To: 7<<48 | 2, Message: []byte(`{"answer":"\u00e9"}`)},
		{Kind: signaling.RelayAnswer, To: 65535<<48 | 1<<47, Message: nil},
		{Kind: signaling.RelayOffer, To: 1, Message: bytes.Repeat([]byte("x"), 70000)},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	rs := sampleRelays()
	b := []byte{batchVersion}
	for i := range rs {
		before := len(b)
		b = appendRelay(b, &rs[i])
		if got := len(b) - before; got > relaySize(&rs[i]) {
			t.Fatalf("relay %d took %d bytes, relaySize says at most %d", i, got, relaySize(&rs[i]))
		}
	}
	var got []signaling.Relay
	if err := readBatch(b, func(r *signaling.Relay) {
		c := *r
		c.Message = bytes.Clone(r.Message)
		got = append(got, c)
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rs) {
		t.Fatalf("%d relays back, want %d", len(got), len(rs))
	}
	for i := range rs {
		w, g := rs[i], got[i]
		if !bytes.Equal(w.Message, g.Message) {
			t.Errorf("relay %d: message %q, want %q", i, g.Message, w.Message)
		}
		if w.Kind != g.Kind || w.To != g.To || w.From != g.From || w.InfoHash != g.InfoHash ||
			w.PeerID != g.PeerID || w.ToPeerID != g.ToPeerID || w.OfferID != g.OfferID {
			t.Errorf("relay %d: %+v, want %+v", i, g, w)
		}
	}
}

// Truncated and corrupted batches are refused with an error, never a
// panic, and the relays before the damage are still delivered.
func TestBrokenBatchesAreRefused(t *testing.T) {
	rs := sampleRelays()[:2]
	b := []byte{batchVersion}
	for i := range rs {
		b = appendRelay(b, &rs[i])
	}
	for cut := range len(b) {
		n := 0
		err := readBatch(b[:cut], func(*signaling.Relay) { n++ })
		switch {
		case cut == 1 && err != nil:
			t.Fatalf("an empty batch: %v", err)
		case cut != 1 && cut < len(b) && !errors.Is(err, errBatch) && n == len(rs):
			t.Fatalf("cut at %d: %d relays, error %v", cut, n, err)
		}
	}
	if err := readBatch([]byte{9, 1, 2}, func(*signaling.Relay) {}); !errors.Is(err, errBatch) {
		t.Fatalf("unknown version: %v", err)
	}
	bad := append([]byte{batchVersion, byte(signaling.RelayAnswer)}, make([]byte, 8)...)
	bad = append(bad, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)
	if err := readBatch(bad, func(*signaling.Relay) {}); !errors.Is(err, errBatch) {
		t.Fatalf("huge length: %v", err)
	}
}

func FuzzReadBatch(f *testing.F) {
	rs := sampleRelays()[:3]
	b := []byte{batchVersion}
	for i := range rs {
		b = appendRelay(b, &rs[i])
	}
	f.Add(b)
	f.Add([]byte{batchVersion, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = readBatch(data, func(r *signaling.Relay) {
			if r.Kind != signaling.RelayOffer && r.Kind != signaling.RelayAnswer {
				t.Fatalf("kind %d delivered", r.Kind)
			}
			// What is read encodes to a batch that reads back the same.
			b := appendRelay([]byte{batchVersion}, r)
			n := 0
			if err := readBatch(b, func(back *signaling.Relay) {
				n++
				if back.To != r.To || back.From != r.From || back.OfferID != r.OfferID || !bytes.Equal(back.Message, r.Message) {
					t.Fatalf("re-encoded relay reads back as %+v, want %+v", back, r)
				}
			}); err != nil || n != 1 {
				t.Fatalf("re-encoded relay: %d read, %v", n, err)
			}
		})
	})
}
