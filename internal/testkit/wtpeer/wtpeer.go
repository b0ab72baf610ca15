// Package wtpeer is a small WebTorrent peer for end-to-end tests, on the
// project's own client library (trackerclient.WSClient) so that the library is exercised
// against the built tracker on every run. It behaves the way the
// bittorrent-tracker JS client (v11, the one WebTorrent ships) does: 5
// offers per announce with non-trickle ICE, answers sent back through the
// tracker with to_peer_id and offer_id. Each offer is its own
// PeerConnection with one data channel created by the offerer, as
// simple-peer does. Every message the tracker sends is also audited raw
// (audit), for what a strict browser client would object to and the
// library does not report.
//
// Its WebRTC stays on loopback: UDP4 host candidates on "lo" only.
//
// It imports "testing": import it only from _test.go files.
package wtpeer

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// ID is a 20-byte id: info hash, peer id or offer id.
type ID [20]byte

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// NewID returns a random id.
func NewID() ID {
	var id ID
	_, _ = rand.Read(id[:])
	return id
}

// WebTorrentPeerID returns a peer id the way WebTorrent 3.x makes one:
// "-WW0300-" followed by 12 printable base64 characters.
func WebTorrentPeerID() ID {
	var raw [9]byte
	_, _ = rand.Read(raw[:])
	var id ID
	copy(id[:], "-WW0300-")
	base64.StdEncoding.Encode(id[8:], raw[:])
	return id
}

// Transcript records every signaling message of a test (SDP bodies
// shortened) and is printed when the test fails.
type Transcript struct {
	start time.Time
	mu    sync.Mutex
	lines []string
}

// NewTranscript returns a transcript that is logged if t fails.
func NewTranscript(t testing.TB) *Transcript {
	tr := &Transcript{start: time.Now()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("signaling Transcript (%d lines):\n%s", len(tr.lines), tr.String())
		}
	})
	return tr
}

var sdpBody = regexp.MustCompile(`"sdp":"(?:[^"\\]|\\.)*"`)

// Add records one line.
func (tr *Transcript) Add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	line = sdpBody.ReplaceAllStringFunc(line, func(s string) string {
		return fmt.Sprintf(`"sdp":<%d bytes>`, len(s)-len(`"sdp":""`))
	})
	tr.mu.Lock()
	tr.lines = append(tr.lines, fmt.Sprintf("%8.3fs %s", time.Since(tr.start).Seconds(), line))
	tr.mu.Unlock()
}

func (tr *Transcript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.lines, "\n")
}

// loopbackAPI returns a pion API that gathers only UDP4 host candidates
// on the loopback interface: no STUN/TURN, no mDNS, nothing leaves the box.
//
// The ICE and DTLS timeouts are stretched because the test process can be
// starved of CPU for many seconds when the machine is busy (seen: 6-20 s
// pauses at 95% CPU pressure under -race); pion's defaults (ICE failed
// after 25 s of silence, DTLS handshake 30 s) would then fail connections
// for reasons that have nothing to do with the tracker.
func loopbackAPI() *webrtc.API {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(30*time.Second, 2*time.Minute, 2*time.Second)
	se.SetDTLSConnectContextMaker(func() (context.Context, func()) {
		return context.WithTimeout(context.Background(), 2*time.Minute)
	})
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

// Options configure a Peer.
type Options struct {
	Name     string
	InfoHash ID
	PeerID   ID
	// OnOpen, if set, runs (on its own goroutine) when a data channel of
	// one of the peer's links opens.
	OnOpen func(*Link)
}

// Link is one WebRTC connection of a peer: an offer it made (initiator) or
// an offer it answered.
type Link struct {
	owner     *Peer
	offerID   ID
	initiator bool
	pc        *webrtc.PeerConnection
	opened    chan struct{} // closed when the data channel is open
	openOnce  sync.Once
	rxNotify  chan struct{} // signalled on every message

	mu        sync.Mutex
	remote    ID
	hasRemote bool
	dc        *webrtc.DataChannel
	rx        [][]byte
	rxBytes   int
}

// Remote is the peer id at the other end, once known.
func (l *Link) Remote() (ID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remote, l.hasRemote
}

// DataChannel is the link's data channel (nil until the answerer gets
// it).
func (l *Link) DataChannel() *webrtc.DataChannel {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dc
}

// IsOpen reports whether the data channel has opened.
func (l *Link) IsOpen() bool {
	select {
	case <-l.opened:
		return true
	default:
		return false
	}
}

// Messages returns copies of the messages received so far.
func (l *Link) Messages() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([][]byte, len(l.rx))
	copy(out, l.rx)
	return out
}

// WaitBytes waits until at least n bytes have arrived and returns them all,
// concatenated in arrival order.
func (l *Link) WaitBytes(ctx context.Context, n int) ([]byte, error) {
	for {
		l.mu.Lock()
		got := l.rxBytes
		l.mu.Unlock()
		if got >= n {
			break
		}
		select {
		case <-l.rxNotify:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: got %d of %d bytes: %w", l, got, n, ctx.Err())
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Join(l.rx, nil), nil
}

// OfferID is the id of the offer the link was made for.
func (l *Link) OfferID() ID { return l.offerID }

// Initiator reports whether the link's peer made the offer.
func (l *Link) Initiator() bool { return l.initiator }

// Owner is the peer the link belongs to.
func (l *Link) Owner() *Peer { return l.owner }

// State describes the link for failure messages; a nil link is one whose
// offer was never answered.
func (l *Link) State() string {
	if l == nil {
		return "no link (the offer was never answered)"
	}
	dc := "none"
	if d := l.DataChannel(); d != nil {
		dc = d.ReadyState().String()
	}
	l.mu.Lock()
	n := len(l.rx)
	l.mu.Unlock()
	return fmt.Sprintf("pc=%s ice=%s signaling=%s dc=%s messages=%d",
		l.pc.ConnectionState(), l.pc.ICEConnectionState(), l.pc.SignalingState(), dc, n)
}

func (l *Link) String() string {
	role := "answerer"
	if l.initiator {
		role = "offerer"
	}
	remote, ok := l.Remote()
	r := "?"
	if ok {
		r = remote.String()
	}
	return fmt.Sprintf("%s(%s of offer %s, remote %s)", l.owner.name, role, l.offerID, r)
}

func (l *Link) attach(dc *webrtc.DataChannel) {
	l.mu.Lock()
	l.dc = dc
	l.mu.Unlock()
	dc.OnOpen(func() {
		l.openOnce.Do(func() { close(l.opened) })
		if f := l.owner.opts.OnOpen; f != nil {
			f(l)
		}
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		data := bytes.Clone(m.Data)
		l.mu.Lock()
		l.rx = append(l.rx, data)
		l.rxBytes += len(data)
		l.mu.Unlock()
		select {
		case l.rxNotify <- struct{}{}:
		default:
		}
	})
}

// ReceivedOffer is one offer the tracker relayed to a peer.
type ReceivedOffer struct {
	From    ID
	OfferID ID
}

// Peer is one WebTorrent-style peer on one WebSocket.
type Peer struct {
	name string
	opts Options
	ws   *trackerclient.WSClient
	api  *webrtc.API
	cert webrtc.Certificate // shared by the peer's PeerConnections
	tr   *Transcript

	ctx      context.Context // ends when the peer is closed
	cancel   context.CancelFunc
	readDone chan struct{}
	wg       sync.WaitGroup // goroutines answering offers

	mu       sync.Mutex
	closed   bool
	pending  map[ID]*Link // offers made and not answered yet
	links    []*Link
	problems []string
	offers   []ReceivedOffer
	answered []*Link // links whose answer arrived
}

// Name is the peer's name in logs and the transcript.
func (p *Peer) Name() string { return p.name }

// PeerID is the peer's peer id.
func (p *Peer) PeerID() ID { return p.opts.PeerID }

// Dial connects a peer to the tracker. The peer is closed when the
// test ends.
func Dial(ctx context.Context, t testing.TB, wsURL string, tr *Transcript, o Options) *Peer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &Peer{
		name:     o.Name,
		opts:     o,
		api:      loopbackAPI(),
		cert:     *cert,
		tr:       tr,
		ctx:      pctx,
		cancel:   cancel,
		readDone: make(chan struct{}),
		pending:  make(map[ID]*Link),
	}
	p.ws = dialWebSocket(ctx, t, wsURL, p)
	tr.Add("%s connected: peer_id %s info_hash %s", p.name, o.PeerID, o.InfoHash)
	go p.readLoop()
	t.Cleanup(func() { p.Close(t) })
	return p
}

// dialWebSocket opens the WebSocket, retrying twice like the JS client
// reconnects. Retries are logged: on a CPU-starved machine the tracker's
// 10 s ReadHeaderTimeout can expire before this process writes the
// upgrade request ("server closed idle connection"). Every message both
// ways goes into the Transcript, and every tracker message through audit.
func dialWebSocket(ctx context.Context, t testing.TB, wsURL string, p *Peer) *trackerclient.WSClient {
	t.Helper()
	const attempts = 3
	opts := trackerclient.Options{
		MaxResponseSize: 1 << 20,
		// Offers come in bursts (20 peers × 5 offers); none may be lost.
		MessageBuffer: 1024,
		Trace: func(out bool, msg []byte) {
			if out {
				p.tr.Add("%s → tracker: %s", p.name, msg)
				return
			}
			p.tr.Add("%s ← tracker: %s", p.name, msg)
			p.audit(msg)
		},
	}
	var err error
	for i := range attempts {
		var ws *trackerclient.WSClient
		if ws, err = trackerclient.NewWS(wsURL, opts); err != nil {
			t.Fatal(err)
		}
		if err = ws.Connect(ctx); err == nil {
			return ws
		}
		t.Logf("%s: dial attempt %d of %d failed: %v", p.name, i+1, attempts, err)
		p.tr.Add("%s: dial attempt %d failed: %v", p.name, i+1, err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			t.Fatalf("%s: dial %s: %v", p.name, wsURL, ctx.Err())
		}
	}
	t.Fatalf("%s: dial %s: %v", p.name, wsURL, err)
	return nil
}

// Problem records a protocol violation or error the peer saw.
func (p *Peer) Problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.tr.Add("%s PROBLEM: %s", p.name, msg)
	p.mu.Lock()
	p.problems = append(p.problems, msg)
	p.mu.Unlock()
}

// Problems returns the protocol violations and errors the peer saw,
// those the client library counted included (messages it could not read
// or place, and relayed messages it dropped).
func (p *Peer) Problems() []string {
	p.mu.Lock()
	out := append([]string(nil), p.problems...)
	p.mu.Unlock()
	if st := p.ws.Stats(); st != (trackerclient.WSStats{}) {
		out = append(out, fmt.Sprintf("the client library counted %d malformed and %d unmatched tracker messages, and dropped %d relayed ones",
			st.Malformed, st.Unmatched, st.MessagesDropped))
	}
	return out
}

// ReceivedOffers returns the offers relayed to this peer so far.
func (p *Peer) ReceivedOffers() []ReceivedOffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ReceivedOffer(nil), p.offers...)
}

// Links returns every link of the peer.
func (p *Peer) Links() []*Link {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Link(nil), p.links...)
}

// LinkByOffer returns the link of the offer with id, made or answered.
func (p *Peer) LinkByOffer(id ID) *Link {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		if l.offerID == id {
			return l
		}
	}
	return nil
}

// newLink creates a PeerConnection for the peer and registers it for
// cleanup.
func (p *Peer) newLink(initiator bool, offerID ID) (*Link, error) {
	// No ICE servers: host candidates on loopback only.
	pc, err := p.api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{p.cert}})
	if err != nil {
		return nil, err
	}
	l := &Link{
		owner:     p,
		offerID:   offerID,
		initiator: initiator,
		pc:        pc,
		opened:    make(chan struct{}),
		rxNotify:  make(chan struct{}, 1),
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = pc.Close()
		return nil, errors.New("peer closed")
	}
	p.links = append(p.links, l)
	p.mu.Unlock()
	return l, nil
}

// gather sets the local description and waits for ICE gathering to finish
// (non-trickle, like WebTorrent), then returns the complete SDP.
func gather(ctx context.Context, pc *webrtc.PeerConnection, desc webrtc.SessionDescription) (string, error) {
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return "", fmt.Errorf("ICE gathering: %w", ctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}

// makeOffer creates one offering PeerConnection with a data channel and
// returns its offer for an announce.
func (p *Peer) makeOffer(ctx context.Context) (trackerclient.Offer, error) {
	offerID := NewID()
	l, err := p.newLink(true, offerID)
	if err != nil {
		return trackerclient.Offer{}, err
	}
	// simple-peer names its channel with 20 random bytes in hex.
	label := NewID()
	dc, err := l.pc.CreateDataChannel(label.String(), nil)
	if err != nil {
		return trackerclient.Offer{}, err
	}
	l.attach(dc)
	offer, err := l.pc.CreateOffer(nil)
	if err != nil {
		return trackerclient.Offer{}, err
	}
	sdp, err := gather(ctx, l.pc, offer)
	if err != nil {
		return trackerclient.Offer{}, err
	}
	p.mu.Lock()
	p.pending[offerID] = l
	p.mu.Unlock()
	return trackerclient.Offer{ID: trackerclient.OfferID(offerID), SDP: sdp}, nil
}

// AnnounceOptions are the variable fields of an announce.
type AnnounceOptions struct {
	Event  bittorrent.Event
	Left   *int64 // nil sends null
	Offers int    // offers to generate (WebTorrent: 5)
}

// Announce generates the offers (concurrently, like the JS client), sends
// one announce and returns the tracker's response. Like the JS client,
// stopped and completed announces carry no offers and numwant 50.
func (p *Peer) Announce(ctx context.Context, o AnnounceOptions) (*trackerclient.AnnounceResponse, error) {
	req := trackerclient.AnnounceRequest{
		InfoHash: bittorrent.InfoHash(p.opts.InfoHash),
		PeerID:   bittorrent.PeerID(p.opts.PeerID),
		Left:     bittorrent.LeftUnknown,
		Event:    o.Event,
	}
	if o.Left != nil {
		req.Left = *o.Left
	}
	if o.Event != bittorrent.EventStopped && o.Event != bittorrent.EventCompleted {
		if err := p.makeOffers(ctx, &req, o.Offers); err != nil {
			return nil, err
		}
	} else {
		req.NumWant = 50
	}
	r, err := p.ws.Announce(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: announce: %w", p.name, err)
	}
	return r, nil
}

// makeOffers generates n offers at once, as the JS client does.
func (p *Peer) makeOffers(ctx context.Context, req *trackerclient.AnnounceRequest, n int) error {
	req.Offers = make([]trackerclient.Offer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range req.Offers {
		wg.Go(func() { req.Offers[i], errs[i] = p.makeOffer(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: generating offers: %w", p.name, err)
	}
	return nil
}

// readLoop handles what the tracker relays, like the JS client's
// _onAnnounceResponse for offers and answers, recording anything a strict
// client would object to as a problem.
func (p *Peer) readLoop() {
	defer close(p.readDone)
	for m := range p.ws.Messages() {
		if ID(m.InfoHash) != p.opts.InfoHash {
			p.Problem("%s for info_hash %s, not ours (%s)", m.Kind, ID(m.InfoHash), p.opts.InfoHash)
			continue
		}
		switch m.Kind {
		case trackerclient.MessageOffer:
			p.onOffer(m)
		case trackerclient.MessageAnswer:
			p.onAnswer(m)
		default:
			p.Problem("failure reason: %q", m.Failure.Reason)
		}
	}
	if !p.isClosed() {
		p.Problem("websocket read ended: %v", p.ws.Err())
	}
}

// audit looks at a tracker message as sent, for what the library does
// not report: an announce response must carry interval, complete and
// incomplete (the JS client reports an update only with complete, and
// libtorrent refuses a response without an integer interval), and no
// warning message.
func (p *Peer) audit(msg []byte) {
	var m map[string]json.RawMessage
	if json.Unmarshal(msg, &m) != nil {
		return // the library counts it as malformed
	}
	if _, ok := m["warning message"]; ok {
		p.Problem("warning message: %s", m["warning message"])
	}
	for _, k := range []string{"offer", "answer", "failure reason"} {
		if _, ok := m[k]; ok {
			return
		}
	}
	if a := string(m["action"]); a != `"announce"` {
		p.Problem("message with action %s: %s", a, msg) // this client never scrapes
		return
	}
	for _, k := range []string{"interval", "complete", "incomplete"} {
		if _, ok := m[k]; !ok {
			p.Problem("announce response without %s: %s", k, msg)
		}
	}
}

func (p *Peer) onOffer(m trackerclient.Message) {
	from, offerID := ID(m.PeerID), ID(m.OfferID)
	if m.SDPType != "offer" {
		p.Problem("relayed offer has type %q", m.SDPType)
	}
	if from == p.opts.PeerID {
		// The JS client silently ignores these; the tracker must never
		// send them (it excludes the announcer from the targets).
		p.Problem("received its own offer %s", offerID)
		return
	}
	p.mu.Lock()
	p.offers = append(p.offers, ReceivedOffer{From: from, OfferID: offerID})
	p.mu.Unlock()

	p.wg.Go(func() {
		if err := p.answerOffer(from, offerID, m.SDP); err != nil && !p.isClosed() {
			p.Problem("answering offer %s from %s: %v", offerID, from, err)
		}
	})
}

func (p *Peer) answerOffer(from, offerID ID, offerSDP string) error {
	l, err := p.newLink(false, offerID)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.remote, l.hasRemote = from, true
	l.mu.Unlock()
	l.pc.OnDataChannel(l.attach)
	if err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
		return fmt.Errorf("set remote offer: %w", err)
	}
	answer, err := l.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	sdp, err := gather(p.ctx, l.pc, answer)
	if err != nil {
		return err
	}
	return p.ws.Answer(p.ctx, trackerclient.Answer{
		InfoHash: bittorrent.InfoHash(p.opts.InfoHash),
		PeerID:   bittorrent.PeerID(p.opts.PeerID),
		ToPeerID: bittorrent.PeerID(from),
		OfferID:  trackerclient.OfferID(offerID),
		SDP:      sdp,
	})
}

func (p *Peer) onAnswer(m trackerclient.Message) {
	from, offerID := ID(m.PeerID), ID(m.OfferID)
	if m.SDPType != "answer" {
		p.Problem("relayed answer has type %q", m.SDPType)
	}
	if from == p.opts.PeerID {
		p.Problem("received an answer from its own peer id for offer %s", offerID)
		return
	}
	p.mu.Lock()
	l := p.pending[offerID]
	delete(p.pending, offerID)
	if l != nil {
		p.answered = append(p.answered, l)
	}
	p.mu.Unlock()
	if l == nil {
		p.Problem("answer from %s for unknown or already answered offer %s", from, offerID)
		return
	}
	l.mu.Lock()
	l.remote, l.hasRemote = from, true
	l.mu.Unlock()
	if err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
		p.Problem("set remote answer for offer %s from %s: %v", offerID, from, err)
	}
}

// Close closes the WebSocket and every PeerConnection and waits for the
// peer's goroutines. It is idempotent.
func (p *Peer) Close(t testing.TB) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true // newLink refuses from now on; the end of Messages is expected
	p.mu.Unlock()

	// Close ends Messages, so the read loop ends and no new answerer
	// starts.
	_ = p.ws.Close()
	select {
	case <-p.readDone:
	case <-time.After(30 * time.Second):
		t.Errorf("%s: websocket read loop did not end", p.name)
	}
	p.cancel()
	p.wg.Wait()
	for _, l := range p.Links() {
		if err := l.pc.GracefulClose(); err != nil {
			t.Errorf("%s: closing a PeerConnection: %v", p.name, err)
		}
	}
}

func (p *Peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// OpenedLinks returns an Options.OnOpen hook and the channel it reports
// each opened link on.
func OpenedLinks() (func(*Link), chan *Link) {
	ch := make(chan *Link, 64)
	return func(l *Link) {
		select {
		case ch <- l:
		default:
		}
	}, ch
}

// WaitOpened returns the next link reported on ch, failing t when ctx
// ends first.
func WaitOpened(ctx context.Context, t testing.TB, who string, ch chan *Link) *Link {
	t.Helper()
	select {
	case l := <-ch:
		return l
	case <-ctx.Done():
		t.Fatalf("%s: no data channel opened: %v", who, ctx.Err())
	}
	return nil
}

// CheckNoProblems fails t with every problem the peers saw.
func CheckNoProblems(t testing.TB, peers ...*Peer) {
	t.Helper()
	for _, p := range peers {
		for _, pr := range p.Problems() {
			t.Errorf("%s: %s", p.name, pr)
		}
	}
}
