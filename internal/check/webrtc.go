package check

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"

	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// webrtcScale is the webrtc step's budget in -timeouts: the signaling
// waits are held to one -timeout each, and ICE, DTLS and SCTP take a few
// more round trips on top.
const webrtcScale = 3

// stepWebRTC makes a real WebRTC connection between A and B with nothing
// but the tracker to introduce them, as two browsers would: A's offer
// (with every candidate already gathered: a tracker relays no trickled
// candidates) goes out in an announce, B answers through the tracker, and
// the two open a data channel and pass a message each way.
func stepWebRTC(ctx context.Context, s *session) outcome {
	w := s.p.(*wsProbe)
	loopback := w.loopback()
	api := newWebRTCAPI(loopback)
	var pcs []*webrtc.PeerConnection
	defer func() {
		for _, pc := range pcs {
			_ = pc.GracefulClose() // waits for pion's goroutines
		}
	}()
	newPC := func() (*webrtc.PeerConnection, error) {
		pc, err := api.NewPeerConnection(webrtc.Configuration{}) // no ICE servers: no STUN, no TURN
		if err == nil {
			pcs = append(pcs, pc)
		}
		return pc, err
	}
	fail := func(format string, args ...any) outcome {
		return outcome{status: Fail, detail: fmt.Sprintf(format, args...)}
	}

	pcA, err := newPC()
	if err != nil {
		return fail("A's PeerConnection: %v", err)
	}
	nonce := randomHex(6)
	atA, atB := make(chan string, 1), make(chan string, 1)
	openA, openB := make(chan struct{}), make(chan struct{})
	dcA, err := pcA.CreateDataChannel("swarmbridge-check", nil)
	if err != nil {
		return fail("A's data channel: %v", err)
	}
	dcA.OnOpen(func() { close(openA) })
	dcA.OnMessage(func(m webrtc.DataChannelMessage) { offer(atA, string(m.Data)) })
	sdp, err := gatherDescription(ctx, pcA, func() (webrtc.SessionDescription, error) { return pcA.CreateOffer(nil) })
	if err != nil {
		return fail("A's offer: %v", err)
	}

	oid := randomOfferID()
	if _, err := s.announceOffers(ctx, w, []trackerclient.Offer{{ID: oid, SDP: sdp}}); err != nil {
		return s.failed("A's announce with a WebRTC offer", err)
	}
	var seen []trackerclient.Message
	relayCtx, cancel := context.WithTimeout(ctx, s.timeout)
	start := time.Now()
	got, err := await(relayCtx, w.b, w.a, trackerclient.MessageOffer, func(m trackerclient.Message) bool { return m.OfferID == oid }, &seen)
	cancel()
	s.latency += time.Since(start)
	if err != nil {
		return s.relayFailed("offer", err)
	}

	pcB, err := newPC()
	if err != nil {
		return fail("B's PeerConnection: %v", err)
	}
	pcB.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnOpen(func() { close(openB) })
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			offer(atB, string(m.Data))
			_ = dc.SendText("B got it, " + nonce) // the reply A waits for
		})
	})
	if err := pcB.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: got.SDP}); err != nil {
		return fail("B cannot use the relayed offer: %v", err)
	}
	answer, err := gatherDescription(ctx, pcB, func() (webrtc.SessionDescription, error) { return pcB.CreateAnswer(nil) })
	if err != nil {
		return fail("B's answer: %v", err)
	}
	relayCtx, cancel = context.WithTimeout(ctx, s.timeout)
	start = time.Now()
	if err := w.b.Answer(relayCtx, trackerclient.Answer{InfoHash: s.ih, PeerID: s.b.id, ToPeerID: got.PeerID, OfferID: got.OfferID, SDP: answer}); err != nil {
		cancel()
		return s.failed("B's answer", err)
	}
	ans, err := await(relayCtx, w.a, w.b, trackerclient.MessageAnswer, func(m trackerclient.Message) bool { return m.OfferID == oid }, &seen)
	cancel()
	s.latency += time.Since(start)
	if err != nil {
		return s.relayFailed("answer", err)
	}
	if err := pcA.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		return fail("A cannot use the relayed answer: %v", err)
	}

	connecting := time.Now()
	hint := ""
	if !loopback {
		hint = " (the two peers of this machine need UDP between them)"
	}
	for _, open := range []chan struct{}{openA, openB} {
		select {
		case <-open:
		case <-ctx.Done():
			return fail("the data channel did not open: ICE %s, connection %s%s", pcA.ICEConnectionState(), pcA.ConnectionState(), hint)
		}
	}
	opened := time.Since(connecting)
	hello := "A says hello, " + nonce
	if err := dcA.SendText(hello); err != nil {
		return fail("A could not send on the data channel: %v", err)
	}
	for _, want := range []struct {
		ch   chan string
		who  string
		text string
	}{{atB, "B", hello}, {atA, "A", "B got it, " + nonce}} {
		select {
		case m := <-want.ch:
			if m != want.text {
				return fail("%s got %q on the data channel, want %q", want.who, m, want.text)
			}
		case <-ctx.Done():
			return fail("the data channel opened but %s got no message", want.who)
		}
	}
	detail := fmt.Sprintf("data channel open %s after the answer, a message passed each way", ms(opened))
	if pair := selectedPair(pcA); pair != "" {
		detail += "; " + pair
	}
	return outcome{status: Pass, detail: detail}
}

// offer puts v in a one-slot channel unless it is full.
func offer(ch chan string, v string) {
	select {
	case ch <- v:
	default:
	}
}

// gatherDescription creates an offer or answer, sets it and waits until
// ICE gathering is complete, and returns the SDP with every candidate.
func gatherDescription(ctx context.Context, pc *webrtc.PeerConnection, create func() (webrtc.SessionDescription, error)) (string, error) {
	desc, err := create()
	if err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return "", fmt.Errorf("ICE gathering did not complete: %w", ctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}

// newWebRTCAPI gathers host candidates only (no STUN or TURN server is
// configured). When the tracker is on loopback, the peers use loopback
// alone, with mDNS off, so a check on one machine never touches a network.
func newWebRTCAPI(loopback bool) *webrtc.API {
	var se webrtc.SettingEngine
	se.LoggerFactory = &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}
	if loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetInterfaceFilter(func(name string) bool { return isLoopbackInterface(name) })
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

// isLoopbackInterface reports whether the interface named name is a
// loopback one ("lo" on Linux, "lo0" on macOS and the BSDs).
func isLoopbackInterface(name string) bool {
	ifi, err := net.InterfaceByName(name)
	return err == nil && ifi.Flags&net.FlagLoopback != 0
}

// selectedPair describes the candidate pair ICE chose, e.g.
// "127.0.0.1:50000 ↔ 127.0.0.1:50001 (host, udp)".
func selectedPair(pc *webrtc.PeerConnection) string {
	sctp := pc.SCTP()
	if sctp == nil || sctp.Transport() == nil {
		return ""
	}
	p, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || p == nil || p.Local == nil || p.Remote == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d ↔ %s:%d (%s, %s)", p.Local.Address, p.Local.Port, p.Remote.Address, p.Remote.Port, p.Local.Typ, p.Local.Protocol)
}
