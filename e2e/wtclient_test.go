package e2e

// A small WebTorrent signaling client for the end-to-end tests. It speaks the
// wire protocol the way the bittorrent-tracker JS client (v11, the one
// WebTorrent ships) does: JSON text frames, 20-byte ids as "binary strings",
// 5 offers per announce with non-trickle ICE, and answers sent back through
// the tracker with to_peer_id and offer_id. Each offer is its own
// PeerConnection with one data channel created by the offerer, as
// simple-peer does.

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

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/swarmbridge/swarmbridge/internal/testkit/binstrtest"
)

// id20 is a 20-byte id: info hash, peer id or offer id.
type id20 [20]byte

func (id id20) String() string { return hex.EncodeToString(id[:]) }

func randomID() id20 {
	var id id20
	_, _ = rand.Read(id[:])
	return id
}

// webTorrentPeerID returns a peer id the way WebTorrent 3.x makes one:
// "-WW0300-" followed by 12 printable base64 characters.
func webTorrentPeerID() id20 {
	var raw [9]byte
	_, _ = rand.Read(raw[:])
	var id id20
	copy(id[:], "-WW0300-")
	base64.StdEncoding.Encode(id[8:], raw[:])
	return id
}

func binaryString(id id20) string { return binstrtest.BinaryString(id) }

func parseBinaryString(s string) (id20, error) { return binstrtest.Parse[id20](s) }

// Client → tracker messages. Field order follows the JS client's objects.

type sdpMsg struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

type offerMsg struct {
	Offer   sdpMsg `json:"offer"`
	OfferID string `json:"offer_id"`
}

type announceMsg struct {
	Numwant    int        `json:"numwant"`
	Uploaded   int64      `json:"uploaded"`
	Downloaded int64      `json:"downloaded"`
	Left       *int64     `json:"left"` // null: unknown (magnet link without metadata)
	Event      string     `json:"event,omitempty"`
	Action     string     `json:"action"`
	InfoHash   string     `json:"info_hash"`
	PeerID     string     `json:"peer_id"`
	Offers     []offerMsg `json:"offers,omitempty"`
}

type answerMsg struct {
	Action   string `json:"action"`
	InfoHash string `json:"info_hash"`
	PeerID   string `json:"peer_id"`
	ToPeerID string `json:"to_peer_id"`
	Answer   sdpMsg `json:"answer"`
	OfferID  string `json:"offer_id"`
}

// serverMsg is any tracker → client message.
type serverMsg struct {
	Action         string  `json:"action"`
	InfoHash       *string `json:"info_hash"`
	PeerID         *string `json:"peer_id"`
	OfferID        *string `json:"offer_id"`
	Offer          *sdpMsg `json:"offer"`
	Answer         *sdpMsg `json:"answer"`
	Interval       *int64  `json:"interval"`
	Complete       *int64  `json:"complete"`
	Incomplete     *int64  `json:"incomplete"`
	FailureReason  *string `json:"failure reason"`
	WarningMessage *string `json:"warning message"`
}

// marshalJS encodes v like JSON.stringify: no HTML escaping of <, > and &.
func marshalJS(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// transcript records every signaling message of a test (SDP bodies
// shortened) and is printed when the test fails.
type transcript struct {
	start time.Time
	mu    sync.Mutex
	lines []string
}

func newTranscript(t *testing.T) *transcript {
	tr := &transcript{start: time.Now()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("signaling transcript (%d lines):\n%s", len(tr.lines), tr.String())
		}
	})
	return tr
}

var sdpBody = regexp.MustCompile(`"sdp":"(?:[^"\\]|\\.)*"`)

func (tr *transcript) add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	line = sdpBody.ReplaceAllStringFunc(line, func(s string) string {
		return fmt.Sprintf(`"sdp":<%d bytes>`, len(s)-len(`"sdp":""`))
	})
	tr.mu.Lock()
	tr.lines = append(tr.lines, fmt.Sprintf("%8.3fs %s", time.Since(tr.start).Seconds(), line))
	tr.mu.Unlock()
}

func (tr *transcript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.lines, "\n")
}

// newLoopbackAPI returns a pion API that gathers only UDP4 host candidates
// on the loopback interface: no STUN/TURN, no mDNS, nothing leaves the box.
//
// The ICE and DTLS timeouts are stretched because the test process can be
// starved of CPU for many seconds when the machine is busy (seen: 6-20 s
// pauses at 95% CPU pressure under -race); pion's defaults (ICE failed
// after 25 s of silence, DTLS handshake 30 s) would then fail connections
// for reasons that have nothing to do with the tracker.
func newLoopbackAPI() *webrtc.API {
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

// peerOptions configure a wtPeer.
type peerOptions struct {
	Name     string
	InfoHash id20
	PeerID   id20
	// OnOpen, if set, runs (on its own goroutine) when a data channel of
	// one of the peer's links opens.
	OnOpen func(*link)
}

// link is one WebRTC connection of a peer: an offer it made (initiator) or
// an offer it answered.
type link struct {
	owner     *wtPeer
	offerID   id20
	initiator bool
	pc        *webrtc.PeerConnection
	opened    chan struct{} // closed when the data channel is open
	openOnce  sync.Once
	rxNotify  chan struct{} // signalled on every message

	mu        sync.Mutex
	remote    id20
	hasRemote bool
	dc        *webrtc.DataChannel
	rx        [][]byte
	rxBytes   int
}

func (l *link) Remote() (id20, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remote, l.hasRemote
}

func (l *link) DataChannel() *webrtc.DataChannel {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dc
}

func (l *link) IsOpen() bool {
	select {
	case <-l.opened:
		return true
	default:
		return false
	}
}

// Messages returns copies of the messages received so far.
func (l *link) Messages() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([][]byte, len(l.rx))
	copy(out, l.rx)
	return out
}

// WaitBytes waits until at least n bytes have arrived and returns them all,
// concatenated in arrival order.
func (l *link) WaitBytes(ctx context.Context, n int) ([]byte, error) {
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

// State describes the link for failure messages.
func (l *link) State() string {
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

func (l *link) String() string {
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

func (l *link) attach(dc *webrtc.DataChannel) {
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

// receivedOffer is one offer the tracker relayed to a peer.
type receivedOffer struct {
	From    id20
	OfferID id20
}

// wtPeer is one WebTorrent-style peer on one WebSocket.
type wtPeer struct {
	name string
	opts peerOptions
	ws   *websocket.Conn
	api  *webrtc.API
	cert webrtc.Certificate // shared by the peer's PeerConnections
	tr   *transcript

	ctx       context.Context // ends when the peer is closed
	cancel    context.CancelFunc
	readDone  chan struct{}
	wg        sync.WaitGroup // goroutines answering offers
	writeMu   sync.Mutex
	responses chan serverMsg // announce responses, in order

	mu       sync.Mutex
	closed   bool
	pending  map[id20]*link // offers made and not answered yet
	links    []*link
	problems []string
	offers   []receivedOffer
	answered []*link // links whose answer arrived
}

// dialPeer connects a peer to the tracker. The peer is closed when the
// test ends.
func dialPeer(ctx context.Context, t *testing.T, wsURL string, tr *transcript, o peerOptions) *wtPeer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		t.Fatal(err)
	}
	ws := dialWebSocket(ctx, t, wsURL, tr, o.Name)
	ws.SetReadLimit(1 << 20)
	pctx, cancel := context.WithCancel(context.Background())
	p := &wtPeer{
		name:      o.Name,
		opts:      o,
		ws:        ws,
		api:       newLoopbackAPI(),
		cert:      *cert,
		tr:        tr,
		ctx:       pctx,
		cancel:    cancel,
		readDone:  make(chan struct{}),
		responses: make(chan serverMsg, 64),
		pending:   make(map[id20]*link),
	}
	tr.add("%s connected: peer_id %s info_hash %s", p.name, o.PeerID, o.InfoHash)
	go p.readLoop()
	t.Cleanup(func() { p.Close(t) })
	return p
}

// dialWebSocket opens the WebSocket, retrying twice like the JS client
// reconnects. Retries are logged: on a CPU-starved machine the tracker's
// 10 s ReadHeaderTimeout can expire before this process writes the
// upgrade request ("server closed idle connection").
func dialWebSocket(ctx context.Context, t *testing.T, wsURL string, tr *transcript, name string) *websocket.Conn {
	t.Helper()
	const attempts = 3
	var err error
	for i := range attempts {
		var ws *websocket.Conn
		ws, _, err = websocket.Dial(ctx, wsURL, nil)
		if err == nil {
			return ws
		}
		t.Logf("%s: dial attempt %d of %d failed: %v", name, i+1, attempts, err)
		tr.add("%s: dial attempt %d failed: %v", name, i+1, err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			t.Fatalf("%s: dial %s: %v", name, wsURL, ctx.Err())
		}
	}
	t.Fatalf("%s: dial %s: %v", name, wsURL, err)
	return nil
}

func (p *wtPeer) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.tr.add("%s PROBLEM: %s", p.name, msg)
	p.mu.Lock()
	p.problems = append(p.problems, msg)
	p.mu.Unlock()
}

// Problems returns the protocol violations and errors the peer saw.
func (p *wtPeer) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// ReceivedOffers returns the offers relayed to this peer so far.
func (p *wtPeer) ReceivedOffers() []receivedOffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]receivedOffer(nil), p.offers...)
}

// Links returns every link of the peer.
func (p *wtPeer) Links() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*link(nil), p.links...)
}

// LinkByOffer returns the link of the offer with id, made or answered.
func (p *wtPeer) LinkByOffer(id id20) *link {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		if l.offerID == id {
			return l
		}
	}
	return nil
}

func (p *wtPeer) send(ctx context.Context, v any) error {
	b, err := marshalJS(v)
	if err != nil {
		return err
	}
	p.tr.add("%s → tracker: %s", p.name, b)
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	return p.ws.Write(ctx, websocket.MessageText, b)
}

// newLink creates a PeerConnection for the peer and registers it for
// cleanup.
func (p *wtPeer) newLink(initiator bool, offerID id20) (*link, error) {
	// No ICE servers: host candidates on loopback only.
	pc, err := p.api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{p.cert}})
	if err != nil {
		return nil, err
	}
	l := &link{
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
func (p *wtPeer) makeOffer(ctx context.Context) (offerMsg, error) {
	offerID := randomID()
	l, err := p.newLink(true, offerID)
	if err != nil {
		return offerMsg{}, err
	}
	// simple-peer names its channel with 20 random bytes in hex.
	label := randomID()
	dc, err := l.pc.CreateDataChannel(label.String(), nil)
	if err != nil {
		return offerMsg{}, err
	}
	l.attach(dc)
	offer, err := l.pc.CreateOffer(nil)
	if err != nil {
		return offerMsg{}, err
	}
	sdp, err := gather(ctx, l.pc, offer)
	if err != nil {
		return offerMsg{}, err
	}
	p.mu.Lock()
	p.pending[offerID] = l
	p.mu.Unlock()
	return offerMsg{Offer: sdpMsg{Type: "offer", SDP: sdp}, OfferID: binaryString(offerID)}, nil
}

// announceOptions are the variable fields of an announce.
type announceOptions struct {
	Event  string // "", "started", "completed", "stopped", "update"
	Left   *int64 // nil sends null
	Offers int    // offers to generate (WebTorrent: 5)
}

// Announce generates the offers (concurrently, like the JS client) and
// sends one announce. It does not wait for the response; see NextResponse.
// Like the JS client, stopped and completed announces carry no offers and
// numwant 50.
func (p *wtPeer) Announce(ctx context.Context, o announceOptions) error {
	msg := announceMsg{
		Numwant:  o.Offers,
		Left:     o.Left,
		Event:    o.Event,
		Action:   "announce",
		InfoHash: binaryString(p.opts.InfoHash),
		PeerID:   binaryString(p.opts.PeerID),
	}
	if o.Event == "stopped" || o.Event == "completed" {
		msg.Numwant = 50
		return p.send(ctx, msg)
	}
	msg.Offers = make([]offerMsg, o.Offers)
	errs := make([]error, o.Offers)
	var wg sync.WaitGroup
	for i := range msg.Offers {
		wg.Go(func() { msg.Offers[i], errs[i] = p.makeOffer(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: generating offers: %w", p.name, err)
	}
	return p.send(ctx, msg)
}

// NextResponse waits for the next announce response (interval, complete,
// incomplete) for the peer's info hash.
func (p *wtPeer) NextResponse(ctx context.Context) (serverMsg, error) {
	select {
	case m := <-p.responses:
		return m, nil
	case <-ctx.Done():
		return serverMsg{}, fmt.Errorf("%s: waiting for the announce response: %w", p.name, ctx.Err())
	}
}

func (p *wtPeer) readLoop() {
	defer close(p.readDone)
	for {
		typ, data, err := p.ws.Read(p.ctx)
		if err != nil {
			if !p.isClosed() {
				p.problem("websocket read ended: %v", err)
			}
			return
		}
		p.tr.add("%s ← tracker: %s", p.name, data)
		if typ != websocket.MessageText {
			p.problem("tracker sent a %v frame (clients expect text)", typ)
		}
		p.handle(data)
	}
}

// handle processes one tracker message like the JS client's
// _onSocketData / _onAnnounceResponse, recording anything a strict client
// would object to as a problem.
func (p *wtPeer) handle(data []byte) {
	var m serverMsg
	if err := json.Unmarshal(data, &m); err != nil {
		p.problem("undecodable message %q: %v", data, err)
		return
	}
	if m.Action != "announce" {
		// The JS client destroys the socket for anything but announce and
		// scrape; this client never scrapes.
		p.problem("message with action %q: %s", m.Action, data)
		return
	}
	if m.InfoHash == nil {
		p.problem("message without info_hash: %s", data)
		return
	}
	ih, err := parseBinaryString(*m.InfoHash)
	if err != nil {
		p.problem("bad info_hash: %v", err)
		return
	}
	if ih != p.opts.InfoHash {
		p.problem("message for info_hash %s, not ours (%s)", ih, p.opts.InfoHash)
		return
	}
	if m.FailureReason != nil {
		p.problem("failure reason: %q", *m.FailureReason)
		return
	}
	if m.WarningMessage != nil {
		p.problem("warning message: %q", *m.WarningMessage)
	}
	switch {
	case m.Offer != nil:
		p.onOffer(m)
	case m.Answer != nil:
		p.onAnswer(m)
	case m.Complete != nil || m.Interval != nil:
		if m.Interval == nil || m.Complete == nil || m.Incomplete == nil {
			p.problem("announce response without interval, complete or incomplete: %s", data)
		}
		select {
		case p.responses <- m:
		default:
			p.problem("too many unread announce responses")
		}
	default:
		p.problem("announce message that is neither a response, an offer nor an answer: %s", data)
	}
}

func (p *wtPeer) senderAndOffer(m serverMsg) (from, offerID id20, ok bool) {
	if m.PeerID == nil || m.OfferID == nil {
		p.problem("relayed offer/answer without peer_id or offer_id")
		return from, offerID, false
	}
	var err error
	if from, err = parseBinaryString(*m.PeerID); err != nil {
		p.problem("bad peer_id in relay: %v", err)
		return from, offerID, false
	}
	if offerID, err = parseBinaryString(*m.OfferID); err != nil {
		p.problem("bad offer_id in relay: %v", err)
		return from, offerID, false
	}
	return from, offerID, true
}

func (p *wtPeer) onOffer(m serverMsg) {
	from, offerID, ok := p.senderAndOffer(m)
	if !ok {
		return
	}
	if m.Offer.Type != "offer" {
		p.problem("relayed offer has type %q", m.Offer.Type)
	}
	if from == p.opts.PeerID {
		// The JS client silently ignores these; the tracker must never
		// send them (it excludes the announcer from the targets).
		p.problem("received its own offer %s", offerID)
		return
	}
	p.mu.Lock()
	p.offers = append(p.offers, receivedOffer{From: from, OfferID: offerID})
	p.mu.Unlock()

	sdp := m.Offer.SDP
	p.wg.Go(func() {
		if err := p.answerOffer(from, offerID, sdp); err != nil && !p.isClosed() {
			p.problem("answering offer %s from %s: %v", offerID, from, err)
		}
	})
}

func (p *wtPeer) answerOffer(from, offerID id20, offerSDP string) error {
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
	return p.send(p.ctx, answerMsg{
		Action:   "announce",
		InfoHash: binaryString(p.opts.InfoHash),
		PeerID:   binaryString(p.opts.PeerID),
		ToPeerID: binaryString(from),
		Answer:   sdpMsg{Type: "answer", SDP: sdp},
		OfferID:  binaryString(offerID),
	})
}

func (p *wtPeer) onAnswer(m serverMsg) {
	from, offerID, ok := p.senderAndOffer(m)
	if !ok {
		return
	}
	if m.Answer.Type != "answer" {
		p.problem("relayed answer has type %q", m.Answer.Type)
	}
	if from == p.opts.PeerID {
		p.problem("received an answer from its own peer id for offer %s", offerID)
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
		p.problem("answer from %s for unknown or already answered offer %s", from, offerID)
		return
	}
	l.mu.Lock()
	l.remote, l.hasRemote = from, true
	l.mu.Unlock()
	if err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.Answer.SDP}); err != nil {
		p.problem("set remote answer for offer %s from %s: %v", offerID, from, err)
	}
}

// Close closes the WebSocket and every PeerConnection and waits for the
// peer's goroutines. It is idempotent.
func (p *wtPeer) Close(t *testing.T) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true // newLink refuses from now on; read errors are expected
	p.mu.Unlock()

	// The close handshake ends the read loop, so no new answerer starts.
	_ = p.ws.Close(websocket.StatusNormalClosure, "")
	_ = p.ws.CloseNow()
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

func (p *wtPeer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
