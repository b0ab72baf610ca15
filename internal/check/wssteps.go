package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// wsPlan is the WebSocket check: the steps of HTTP and UDP, where peers
// meet through offers instead of address lists, then an offer relayed
// both ways (offer-relay) and a real WebRTC connection made through the
// tracker alone (webrtc).
func wsPlan() []step {
	return []step{
		{name: "connect", run: stepOpen},
		{name: "announce", needs: []string{"connect"}, run: wsStepAnnounce},
		{name: "scrape", needs: []string{"announce"}, run: func(ctx context.Context, s *session) outcome {
			return s.checkScrape(ctx, scrapeWant{counts: bittorrent.Counts{Complete: 1}})
		}},
		{name: "peers", needs: []string{"announce"}, run: wsStepPeers},
		{name: "scrape-peers", needs: []string{"peers"}, run: func(ctx context.Context, s *session) outcome {
			return s.checkScrape(ctx, scrapeWant{counts: s.afterB, unknown: true, warns: s.bWarns})
		}},
		{name: "offer-relay", needs: []string{"peers"}, run: stepOfferRelay},
		{name: "webrtc", needs: []string{"peers"}, scale: webrtcScale, run: stepWebRTC},
		{name: "stopped", needs: []string{"announce"}, run: stepStopped},
		{name: "scrape-stopped", needs: []string{"stopped"}, run: func(ctx context.Context, s *session) outcome {
			return s.checkScrape(ctx, scrapeWant{absentOK: true})
		}},
	}
}

// wsStepAnnounce: peer A starts as a seeder, without offers (nobody is
// there to take them).
func wsStepAnnounce(ctx context.Context, s *session) outcome {
	r, err := s.announce(ctx, &s.a, bittorrent.EventStarted)
	if err != nil {
		return s.failed("A's announce", err)
	}
	detail := "A (seeder): " + intervalText(r) + ", " + countsText(r.Counts)
	return verdict(detail, nil, quirkWarnings(r.Quirks))
}

func intervalText(r *trackerclient.AnnounceResponse) string {
	if r.Interval == 0 {
		return "no interval"
	}
	return "interval " + r.Interval.String()
}

// wsStepPeers: peer B starts as WebTorrent does from a magnet link,
// "left": null, which makes it a leecher.
func wsStepPeers(ctx context.Context, s *session) outcome {
	r, err := s.announce(ctx, &s.b, bittorrent.EventStarted)
	if err != nil {
		return s.failed("B's announce", err)
	}
	warns := quirkWarnings(r.Quirks)
	var problems []string
	detail := `B (leecher, "left": null): ` + countsText(r.Counts)
	switch c := r.Counts; {
	case c.Complete == 1 && c.Incomplete == 1:
	case c.Complete == 2 && c.Incomplete == 0:
		s.afterB, s.bWarns = c, []Warning{warnLeftNullIsSeeder}
		warns = append(warns, warnLeftNullIsSeeder)
	case c.Complete == 1 && c.Incomplete == 0:
		warns = append(warns, warnCountsExcludeRequester)
	default:
		problems = append(problems, "want complete 1, incomplete 1")
	}
	return verdict(detail, problems, warns)
}

// stepOfferRelay: A announces with two offers; B, the only other peer,
// must get exactly one, from A's peer id, with its offer id and SDP as A
// sent them. B answers; A must get the answer with that offer id, from
// B's peer id, SDP intact.
func stepOfferRelay(ctx context.Context, s *session) outcome {
	w := s.p.(*wsProbe)
	nonce := randomHex(6)
	offers := []trackerclient.Offer{
		{ID: randomOfferID(), SDP: fakeSDP("offer 1", nonce)},
		{ID: randomOfferID(), SDP: fakeSDP("offer 2", nonce)},
	}
	start := time.Now()
	if _, err := s.announceOffers(ctx, w, offers); err != nil {
		return s.failed("A's announce with 2 offers", err)
	}
	sent := map[trackerclient.OfferID]string{offers[0].ID: offers[0].SDP, offers[1].ID: offers[1].SDP}
	var seen []trackerclient.Message
	var problems []string

	waitStart := time.Now()
	got, err := await(ctx, w.b, w.a, trackerclient.MessageOffer, func(m trackerclient.Message) bool {
		_, ours := sent[m.OfferID]
		return ours
	}, &seen)
	offerWait := time.Since(start)
	s.latency += time.Since(waitStart)
	if err != nil {
		return s.relayFailed("offer", err)
	}
	if got.PeerID != s.a.id {
		problems = append(problems, fmt.Sprintf("the offer came with peer_id %s, not A's %s", got.PeerID, s.a.id))
	}
	if got.SDP != sent[got.OfferID] || got.SDPType != "offer" {
		problems = append(problems, fmt.Sprintf("the offer's session description changed on the way (type %q, %d bytes of SDP, sent %q and %d)",
			got.SDPType, len(got.SDP), "offer", len(sent[got.OfferID])))
	}

	answerSDP := fakeSDP("answer", nonce)
	start = time.Now()
	err = w.b.Answer(ctx, trackerclient.Answer{InfoHash: s.ih, PeerID: s.b.id, ToPeerID: got.PeerID, OfferID: got.OfferID, SDP: answerSDP})
	if err != nil {
		return s.failed("B's answer", err)
	}
	ans, err := await(ctx, w.a, w.b, trackerclient.MessageAnswer, func(m trackerclient.Message) bool { return m.OfferID == got.OfferID }, &seen)
	answerWait := time.Since(start)
	s.latency += answerWait
	if err != nil {
		o := s.relayFailed("answer", err)
		if len(problems) > 0 { // what went wrong with the offer may be why
			o.detail = strings.Join(problems, "; ") + "; then " + o.detail
		}
		return o
	}
	if ans.PeerID != s.b.id {
		problems = append(problems, fmt.Sprintf("the answer came with peer_id %s, not B's %s", ans.PeerID, s.b.id))
	}
	if ans.SDP != answerSDP || ans.SDPType != "answer" {
		problems = append(problems, fmt.Sprintf("the answer's session description changed on the way (type %q, %d bytes of SDP, sent %q and %d)",
			ans.SDPType, len(ans.SDP), "answer", len(answerSDP)))
	}
	// A's other offer was sent together with the first: if it went to B
	// too, it is in B's stream by now.
	seen = append(seen, drain(w.b)...)
	for _, m := range seen {
		if _, ours := sent[m.OfferID]; ours && m.Kind == trackerclient.MessageOffer && m.OfferID != got.OfferID {
			problems = append(problems, "B got both of A's offers: each offer of an announce must go to a different peer")
		}
	}
	detail := fmt.Sprintf("B got one of A's 2 offers %s after A announced, A got B's answer %s after B sent it; ids and SDP as sent",
		ms(offerWait), ms(answerWait))
	return verdict(detail, problems, nil)
}

// announceOffers sends A's announce with offers (a regular one: A is in
// the swarm already).
func (s *session) announceOffers(ctx context.Context, w *wsProbe, offers []trackerclient.Offer) (*trackerclient.AnnounceResponse, error) {
	req := trackerclient.AnnounceRequest{InfoHash: s.ih, PeerID: s.a.id, Left: s.a.left, Event: bittorrent.EventUpdate, Offers: offers}
	return timed(s, func() (*trackerclient.AnnounceResponse, error) { return w.a.Announce(ctx, req) })
}

// relayFailed says why an offer (to B) or an answer (to A) did not come.
func (s *session) relayFailed(what string, err error) outcome {
	var fe *trackerclient.FailureError
	switch {
	case errors.As(err, &fe) && what == "answer":
		return outcome{status: Fail, failure: fe.Reason, detail: "the tracker refused B's answer: " + printable(fe.Reason)}
	case errors.As(err, &fe):
		return outcome{status: Fail, failure: fe.Reason, detail: "the tracker sent a failure instead of relaying the offer: " + printable(fe.Reason)}
	case !errors.Is(err, context.DeadlineExceeded):
		return outcome{status: Fail, detail: fmt.Sprintf("waiting for the %s: %v", what, err)}
	}
	var o outcome
	if what == "offer" {
		o = outcome{status: Fail, detail: fmt.Sprintf("no offer arrived at peer B within %s: the tracker accepted the announce but did not relay the offer", s.timeout)}
	} else {
		o = outcome{status: Fail, detail: fmt.Sprintf("no answer arrived at peer A within %s: the tracker did not relay B's answer", s.timeout)}
	}
	if !s.randomHash {
		o.detail += " (with -infohash the swarm may have other WebRTC peers, and the tracker may have picked them)"
	}
	return o
}

// drain takes the messages waiting on c without blocking.
func drain(c *trackerclient.WSClient) []trackerclient.Message {
	var out []trackerclient.Message
	for {
		select {
		case m, ok := <-c.Messages():
			if !ok {
				return out
			}
			out = append(out, m)
		default:
			return out
		}
	}
}

// fakeSDP is a session description for offer-relay: the tracker must not
// read SDP, so any text does, and quotes, CRLFs and non-ASCII characters
// show whether it relays JSON strings exactly.
func fakeSDP(what, nonce string) string {
	return "v=0\r\no=- " + nonce + " 2 IN IP4 127.0.0.1\r\ns=swarmbridge check \"" + what + "\" ✓ ü\r\nt=0 0\r\n"
}

func randomOfferID() trackerclient.OfferID {
	var id trackerclient.OfferID
	_, _ = rand.Read(id[:])
	// Bytes that need escaping or two UTF-8 bytes in a binary string.
	id[0], id[1], id[2] = '"', 0x00, 0xff
	return id
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
