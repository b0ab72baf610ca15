package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// Ids with every awkward byte: quote, backslash, control bytes, DEL and
// bytes >= 0x80, so the encoders' and decoders' escaping is exercised.
func awkwardID(seed byte) [20]byte {
	var id [20]byte
	vals := []byte{'"', '\\', 0x00, '\n', 0x1f, 0x7f, 0x80, 0xff, 'a', '/', '+', 0xe9}
	for i := range id {
		id[i] = vals[(i+int(seed))%len(vals)] ^ byte(i/len(vals))*seed
	}
	return id
}

func TestAnnounceDecodesWithTrackerCodec(t *testing.T) {
	ih, pid := awkwardID(1), awkwardID(2)
	sdps := sdpTokens(newRNG(7), false, 1500, 3)
	for _, tc := range []struct {
		left   int64
		event  string
		offers int
	}{{1 << 20, "started", 10}, {0, "", 5}, {-1, "", 0}} {
		m := announceMsg{infoHash: binTok(ih[:]), peerID: binTok(pid[:]), left: tc.left, event: tc.event, offers: tc.offers, sdps: sdps, rng: newRNG(3)}
		msg := appendAnnounce(nil, &m)
		if !json.Valid(msg) {
			t.Fatalf("invalid JSON: %.200s", msg)
		}
		var r wire.Request
		dec := wire.Decoder{MaxOffers: 100}
		if err := dec.Decode(msg, &r); err != nil {
			t.Fatalf("tracker codec rejects the announce: %v\n%.300s", err, msg)
		}
		if r.Action != bittorrent.ActionAnnounce || !r.HasInfoHash || r.InfoHash != ih || !r.HasPeerID || r.PeerID != pid {
			t.Fatalf("ids not round-tripped: %+v", r)
		}
		wantLeft := tc.left
		if tc.left < 0 {
			wantLeft = bittorrent.LeftUnknown
		}
		if r.Left != wantLeft {
			t.Errorf("left %d, want %d", r.Left, wantLeft)
		}
		wantEvent := bittorrent.EventUpdate
		if tc.event == "started" {
			wantEvent = bittorrent.EventStarted
		}
		if r.Event != wantEvent {
			t.Errorf("event %v, want %v", r.Event, wantEvent)
		}
		if len(r.Offers) != tc.offers || r.OffersSeen != tc.offers {
			t.Fatalf("%d offers decoded (%d seen), want %d", len(r.Offers), r.OffersSeen, tc.offers)
		}
		seen := map[wire.OfferID]bool{}
		for i, o := range r.Offers {
			if !bytes.Equal(o.SDP.SDP, sdps[i%len(sdps)]) || string(o.SDP.Type) != `"offer"` {
				t.Errorf("offer %d: SDP or type not carried verbatim", i)
			}
			if seen[o.ID] {
				t.Errorf("offer id repeated")
			}
			seen[o.ID] = true
		}
	}
}

func TestSDPIsRealistic(t *testing.T) {
	s := makeSDP(newRNG(1), false, 1500)
	if len(s) < 1500 || len(s) > 1800 {
		t.Errorf("SDP of %d bytes for -sdp-size 1500", len(s))
	}
	for _, want := range []string{"v=0\r\n", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "a=candidate:", "a=fingerprint:sha-256 ", "a=setup:actpass\r\n"} {
		if !bytes.Contains([]byte(s), []byte(want)) {
			t.Errorf("SDP lacks %q", want)
		}
	}
	var back string
	if err := json.Unmarshal(jsonStringToken(s), &back); err != nil || back != s {
		t.Errorf("SDP token does not decode back: %v", err)
	}
}

func TestAnswerToRelayedOffer(t *testing.T) {
	ih, from, me := awkwardID(3), awkwardID(4), awkwardID(5)
	oid := awkwardID(6)
	// The offer as the tracker relays it, with the SDP token the tracker
	// copies verbatim from the offerer.
	sdp := sdpTokens(newRNG(1), false, 600, 1)[0]
	offer := wire.AppendOffer(nil, bittorrent.InfoHash(ih), bittorrent.PeerID(from), wire.OfferID(oid),
		wire.SDP{Type: []byte(`"offer"`), SDP: sdp})
	var m wsMsg
	classify(offer, &m)
	if m.kind != msgOffer {
		t.Fatalf("offer classified as %d: %s", m.kind, offer)
	}
	answerSDP := sdpTokens(newRNG(2), true, 600, 1)[0]
	ans := appendAnswer(nil, m.infoHash, binTok(me[:]), m.peerID, m.offerID, answerSDP)
	var r wire.Request
	if err := (&wire.Decoder{}).Decode(ans, &r); err != nil {
		t.Fatalf("tracker codec rejects the answer: %v\n%s", err, ans)
	}
	if !r.HasAnswer || r.InfoHash != ih || r.PeerID != me || !r.HasToPeerID || r.ToPeerID != from || !r.HasOfferID || r.OfferID != oid {
		t.Fatalf("answer does not route back: %+v", r)
	}
	if !bytes.Equal(r.Answer.SDP, answerSDP) || string(r.Answer.Type) != `"answer"` {
		t.Errorf("answer SDP not carried")
	}
}

func TestScrapeDecodesWithTrackerCodec(t *testing.T) {
	hs := [][20]byte{awkwardID(7), awkwardID(8), awkwardID(7)}
	for _, n := range []int{1, 3} {
		var toks [][]byte
		for _, h := range hs[:n] {
			toks = append(toks, binTok(h[:]))
		}
		msg := appendScrape(nil, toks)
		var r wire.Request
		if err := (&wire.Decoder{}).Decode(msg, &r); err != nil {
			t.Fatalf("tracker codec rejects %s: %v", msg, err)
		}
		if r.Action != bittorrent.ActionScrape || len(r.ScrapeHashes) != n {
			t.Fatalf("scrape of %d decoded as %+v", n, r)
		}
		for i := range n {
			if r.ScrapeHashes[i] != bittorrent.InfoHash(hs[i]) {
				t.Errorf("hash %d differs", i)
			}
		}
	}
}

func TestClassifyServerMessages(t *testing.T) {
	ih, pid, oid := awkwardID(9), awkwardID(10), awkwardID(11)
	sih := bittorrent.InfoHash(ih)
	sdp := wire.SDP{SDP: []byte(`"v=0\r\na=x:\"q\" \\ \u00e9\r\n"`)}
	ihTok := string(binTok(ih[:]))
	for _, tc := range []struct {
		name   string
		msg    []byte
		kind   int
		reason string
	}{
		{"announce response", wire.AppendAnnounceResponse(nil, sih, 120, bittorrent.Counts{Complete: 3, Incomplete: 7}), msgAnnounceResp, ""},
		{"scrape response", wire.AppendScrapeResponse(nil, []bittorrent.InfoHash{sih}, []bittorrent.Counts{{Complete: 1}}, 600), msgScrapeResp, ""},
		{"empty scrape response", wire.AppendScrapeResponse(nil, nil, nil, 0), msgScrapeResp, ""},
		{"offer", wire.AppendOffer(nil, sih, bittorrent.PeerID(pid), wire.OfferID(oid), sdp), msgOffer, ""},
		{"answer", wire.AppendAnswer(nil, sih, bittorrent.PeerID(pid), wire.OfferID(oid), sdp), msgAnswer, ""},
		{"failure", wire.AppendFailure(nil, bittorrent.ActionAnnounce, &sih, "info_hash not allowed"), msgFailure, "info_hash not allowed"},
		{"scrape failure", wire.AppendFailure(nil, bittorrent.ActionScrape, nil, "too many"), msgFailure, "too many"},
		// bittorrent-tracker's key orders and spacing.
		{"ref announce response", []byte(`{"complete":1,"incomplete":2,"action":"announce","interval":120,"info_hash":` + ihTok + `}`), msgAnnounceResp, ""},
		{"ref offer", []byte(`{"action":"announce","offer":{"type":"offer","sdp":"v=0\r\n{[\"}]"},"offer_id":"` + `abcdefghij0123456789","peer_id":"-WW0300-abcdefghijkl","info_hash":` + ihTok + `}`), msgOffer, ""},
		{"ref answer", []byte(`{ "action" : "announce" , "answer" : {"type":"answer","sdp":"x"}, "offer_id":"abcdefghij0123456789", "peer_id":"-WW0300-abcdefghijkl", "info_hash":` + ihTok + ` }`), msgAnswer, ""},
		{"ref failure without action", []byte(`{"failure reason":"invalid info_hash"}`), msgFailure, "invalid info_hash"},
		{"not an object", []byte(`[1,2]`), msgUnknown, ""},
		{"truncated", []byte(`{"action":"announce","offer":{"sdp":"x`), msgUnknown, ""},
		{"unknown action", []byte(`{"action":"ping"}`), msgUnknown, ""},
	} {
		var m wsMsg
		classify(tc.msg, &m)
		if m.kind != tc.kind {
			t.Errorf("%s: kind %d, want %d: %s", tc.name, m.kind, tc.kind, tc.msg)
			continue
		}
		if string(m.reason) != tc.reason {
			t.Errorf("%s: reason %q, want %q", tc.name, m.reason, tc.reason)
		}
		if tc.kind == msgOffer && tc.name == "offer" {
			var gotIH, gotPID, gotOID wire.BinaryID
			for tok, dst := range map[string]*wire.BinaryID{string(m.infoHash): &gotIH, string(m.peerID): &gotPID, string(m.offerID): &gotOID} {
				if err := json.Unmarshal([]byte(tok), dst); err != nil {
					t.Fatalf("token %q: %v", tok, err)
				}
			}
			if gotIH != wire.BinaryID(ih) || gotPID != wire.BinaryID(pid) || gotOID != wire.BinaryID(oid) {
				t.Errorf("offer tokens do not decode to the ids")
			}
		}
	}
}
