package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// wsRun drives -conns WebSocket peers that behave like WebTorrent pages
// with one torrent each: connect, announce "started" with offers, then
// regular announces with fresh offers; answer a share of the offers they
// receive; optionally scrape.
type wsRun struct {
	cfg  *config
	st   *Stats
	urls []*url.URL  // the targets; connection i uses urls[targetOf(i, …)]
	tls  *tls.Config // wss:// only

	pool       [][]byte // info hash pool as binary string tokens
	offerSDPs  [][]byte
	answerSDPs [][]byte

	clients []*wsClient // nil where the connection failed
	live    []*wsClient
	peers   map[wire.BinaryID]int // peer id -> connection, to tell who sent a relay

	stopping atomic.Bool
	done     chan struct{}
	wg       sync.WaitGroup

	idleAcks atomic.Int64 // idle mode: initial announces settled
}

type pendingReq struct {
	at     time.Time
	scrape bool
}

type wsClient struct {
	run    *wsRun
	id     int
	target int // index of the target it is connected to
	pid    bittorrent.PeerID
	c      *wsproto.Conn

	mu        sync.Mutex // guards everything below it, and ann
	ann       announceMsg
	started   bool
	pending   []pendingReq
	head      int
	rng       *rng
	answerAcc float64
	answerSDP int

	kicker // fixed rate
	dead   atomic.Bool
}

func newWSRun(cfg *config, st *Stats) (*wsRun, error) {
	r := &wsRun{cfg: cfg, st: st, done: make(chan struct{})}
	secure := false
	for _, t := range cfg.targets {
		u, err := url.Parse(t)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return nil, fmt.Errorf("-target %q: want ws://host:port[/path] or wss://host:port[/path]", t)
		}
		secure = secure || u.Scheme == "wss"
		r.urls = append(r.urls, u)
	}
	var err error
	switch {
	case secure:
		if r.tls, err = wssConfig(cfg); err != nil {
			return nil, err
		}
	case cfg.insecure || cfg.caFile != "" || cfg.tlsResume:
		return nil, errors.New("-insecure, -ca-file and -tls-resume are for wss:// targets")
	}
	for _, h := range infoHashPool(cfg.infohashes, cfg.seed) {
		r.pool = append(r.pool, binTok(h[:]))
	}
	sr := newRNG(cfg.seed ^ 0x5D9)
	r.offerSDPs = sdpTokens(sr, false, cfg.sdpSize, 16)
	r.answerSDPs = sdpTokens(sr, true, cfg.sdpSize, 16)
	return r, nil
}

func (r *wsRun) readBufSize() int {
	return max(4096, r.cfg.sdpSize+r.cfg.sdpSize/4+1024)
}

// connect opens every connection, at most -dial-concurrency at a time, and
// starts their readers.
func (r *wsRun) connect() {
	cfg := r.cfg
	srcs := cfg.sourceIPs
	r.clients = make([]*wsClient, cfg.conns)
	sem := make(chan struct{}, cfg.dialConc)
	var wg sync.WaitGroup
	for i := range cfg.conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			src := ""
			if len(srcs) > 0 {
				src = srcs[i%len(srcs)]
			}
			start := time.Now()
			u := r.urls[targetOf(i, len(r.urls), cfg.infohashes)]
			c, err := dialWS(u, src, cfg.dialTimeout, r.readBufSize(), r.tls)
			if err != nil {
				r.st.add(i, cErrConnect, 1)
				noteConnectError(err)
				return
			}
			r.st.handshakes.add(time.Since(start), resumed(c))
			r.clients[i] = r.newClient(i, c)
		}()
	}
	wg.Wait()
	r.peers = make(map[wire.BinaryID]int, cfg.conns)
	for _, cl := range r.clients {
		if cl != nil {
			r.peers[wire.BinaryID(cl.pid)] = cl.id
			r.live = append(r.live, cl)
			r.wg.Add(1)
			go cl.readLoop()
		}
	}
	if !cfg.idle {
		r.wg.Add(1)
		go r.sweep()
	}
}

func (r *wsRun) newClient(i int, c *wsproto.Conn) *wsClient {
	pid := peerID("-WW0300-", i)
	cl := &wsClient{run: r, id: i, target: targetOf(i, len(r.urls), r.cfg.infohashes), pid: pid, c: c, rng: newRNG(processSalt ^ uint64(i)*0x9E37)}
	left := int64(1 << 20)
	switch i % 10 {
	case 0, 1: // seeders
		left = 0
	case 2: // magnet link without metadata yet
		left = -1
	}
	cl.ann = announceMsg{
		infoHash: r.pool[i%len(r.pool)],
		peerID:   binTok(pid[:]),
		left:     left,
		offers:   r.cfg.offers,
		sdps:     r.offerSDPs,
		sdpNext:  i % len(r.offerSDPs),
		rng:      cl.rng,
		conn:     i,
	}
	cl.answerSDP = i % len(r.answerSDPs)
	return cl
}

// startClosed sends each connection's first -inflight requests; the
// readers send one more for every response.
func (r *wsRun) startClosed() {
	for _, cl := range r.live {
		for range r.cfg.inflight {
			if cl.sendRequest() != nil {
				break
			}
		}
	}
}

// startFixed starts one sender per connection, woken by the scheduler.
// A request that goes out settles later, in the reader (see settled).
func (r *wsRun) startFixed() {
	for _, cl := range r.live {
		cl.serveKicks(&r.wg, r.done, func() bool { return cl.sendRequest() != nil })
	}
}

func (r *wsRun) n() int { return len(r.live) }

func (r *wsRun) tryKick(i int) bool {
	cl := r.live[i]
	return !cl.dead.Load() && cl.tryKick()
}

// idleAnnounce sends one started announce per connection and waits until
// each is answered (or timed out), then returns the number answered.
func (r *wsRun) idleAnnounce() int64 {
	for _, cl := range r.live {
		_ = cl.sendRequest()
	}
	deadline := time.Now().Add(r.cfg.timeout)
	for time.Now().Before(deadline) && r.idleAcks.Load() < int64(len(r.live)) {
		time.Sleep(20 * time.Millisecond)
	}
	return r.idleAcks.Load()
}

func (r *wsRun) openConns() int {
	n := 0
	for _, cl := range r.live {
		if !cl.dead.Load() {
			n++
		}
	}
	return n
}

func (r *wsRun) stop() {
	r.stopping.Store(true)
	close(r.done)
	for _, cl := range r.live {
		// A polite close (1000), unless the socket is backed up.
		_ = cl.c.NetConn().SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		_ = cl.c.WriteControl(wsproto.OpClose, []byte{0x03, 0xE8})
		_ = cl.c.Close()
	}
	r.wg.Wait()
}

// sendRequest sends one announce or scrape and records it as pending.
func (cl *wsClient) sendRequest() error {
	r := cl.run
	b := getFrame()
	cl.mu.Lock()
	scrape := !r.cfg.idle && cl.started && cl.rng.chance(r.cfg.scrapeRatio)
	if scrape {
		var hs [8][]byte
		k := min(r.cfg.scrapeHashes, len(hs))
		for j := range k {
			hs[j] = r.pool[cl.rng.intn(len(r.pool))]
		}
		*b = appendScrape(*b, hs[:k])
	} else {
		cl.ann.event = ""
		if !cl.started {
			cl.ann.event = "started"
			cl.started = true
		}
		cl.ann.sentAt = sinceEpoch()
		*b = appendAnnounce(*b, &cl.ann)
	}
	cl.pending = append(cl.pending, pendingReq{at: time.Now(), scrape: scrape})
	cl.mu.Unlock()
	err := cl.c.WriteFrame(wsproto.OpText, *b)
	putFrame(b)
	if err != nil {
		cl.fail(err)
		return err
	}
	if scrape {
		r.st.add(cl.id, cScrapeSent, 1)
	} else {
		r.st.add(cl.id, cAnnounceSent, 1)
		r.st.add(cl.id, cOffersSent, int64(r.cfg.offers))
	}
	return nil
}

// pop removes the oldest pending request.
func (cl *wsClient) pop() (pendingReq, bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.head == len(cl.pending) {
		return pendingReq{}, false
	}
	p := cl.pending[cl.head]
	cl.head++
	if cl.head == len(cl.pending) {
		cl.pending, cl.head = cl.pending[:0], 0
	}
	return p, true
}

// settled is called when a request ends (response, failure, timeout):
// the next one goes out in closed loop, the slot frees up at fixed rate.
func (cl *wsClient) settled() {
	r := cl.run
	switch {
	case r.cfg.idle:
		r.idleAcks.Add(1)
	case r.cfg.rate > 0:
		cl.release()
	default:
		if !r.stopping.Load() {
			_ = cl.sendRequest()
		}
	}
}

func (cl *wsClient) fail(err error) {
	if cl.dead.Swap(true) {
		return
	}
	if cl.run.stopping.Load() {
		return
	}
	switch {
	case errors.Is(err, wsproto.ErrClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), isConnReset(err):
		cl.run.st.add(cl.id, cErrClose, 1)
	default:
		cl.run.st.add(cl.id, cErrProtocol, 1)
		noteProtocolError(err)
	}
	_ = cl.c.Close()
}

func (cl *wsClient) readLoop() {
	r := cl.run
	defer r.wg.Done()
	var m wsMsg
	for {
		msg, err := cl.c.ReadMessage()
		if err != nil {
			cl.fail(err)
			return
		}
		classify(msg, &m)
		switch m.kind {
		case msgAnnounceResp, msgScrapeResp:
			if m.kind == msgAnnounceResp {
				r.st.add(cl.id, cAnnounceResp, 1)
			} else {
				r.st.add(cl.id, cScrapeResp, 1)
			}
			if p, ok := cl.pop(); ok {
				r.st.latency(cl.id, time.Since(p.at))
				cl.settled()
			}
		case msgOffer:
			r.st.add(cl.id, cOfferRecv, 1)
			cl.attribute(&m, true)
			cl.maybeAnswer(&m)
		case msgAnswer:
			r.st.add(cl.id, cAnswerRecv, 1)
			cl.attribute(&m, false)
		case msgFailure:
			r.st.failure(cl.id, m.reason)
			if _, ok := cl.pop(); ok {
				cl.settled()
			}
		default:
			r.st.add(cl.id, cErrProtocol, 1)
			noteProtocolError(fmt.Errorf("unexpected message %.80q", msg))
		}
	}
}

// attribute counts a relayed offer or answer as crossing targets or not,
// by the target of its sender (told by its peer_id), and records an
// offer's latency from the send time in its offer_id. A relay from a peer
// that is not one of this run's is counted as unattributed.
func (cl *wsClient) attribute(m *wsMsg, offer bool) {
	r := cl.run
	var pid, oid wire.BinaryID
	from, ok := -1, pid.UnmarshalJSON(m.peerID) == nil
	if ok {
		from, ok = r.peers[pid]
	}
	var sentAt int64
	if ok && offer {
		var conn int
		ok = oid.UnmarshalJSON(m.offerID) == nil
		conn, sentAt = offerOrigin((*[offerIDLen]byte)(&oid))
		ok = ok && conn == from
	}
	if !ok {
		r.st.add(cl.id, cRelayUnknown, 1)
		return
	}
	cross := targetOf(from, len(r.urls), r.cfg.infohashes) != cl.target
	switch {
	case offer && cross:
		r.st.add(cl.id, cOfferCross, 1)
	case cross:
		r.st.add(cl.id, cAnswerCross, 1)
	}
	if offer {
		r.st.offerLatency(cl.id, cross, time.Duration(sinceEpoch()-sentAt))
	}
}

// maybeAnswer answers the share -answer-ratio of offers, spread evenly.
func (cl *wsClient) maybeAnswer(m *wsMsg) {
	r := cl.run
	cl.answerAcc += r.cfg.answerRatio
	if cl.answerAcc < 1 {
		return
	}
	cl.answerAcc--
	if len(m.infoHash) == 0 || len(m.peerID) == 0 || len(m.offerID) == 0 {
		r.st.add(cl.id, cErrProtocol, 1)
		noteProtocolError(errors.New("offer without info_hash, peer_id or offer_id"))
		return
	}
	b := getFrame()
	sdp := r.answerSDPs[cl.answerSDP]
	cl.answerSDP = (cl.answerSDP + 1) % len(r.answerSDPs)
	*b = appendAnswer(*b, m.infoHash, cl.ann.peerID, m.peerID, m.offerID, sdp)
	err := cl.c.WriteFrame(wsproto.OpText, *b)
	putFrame(b)
	if err != nil {
		cl.fail(err)
		return
	}
	r.st.add(cl.id, cAnswersSent, 1)
}

// sweep counts requests unanswered for -timeout as timeouts and frees
// their slots.
func (r *wsRun) sweep() {
	defer r.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		now := time.Now()
		for _, cl := range r.live {
			if cl.dead.Load() {
				continue
			}
			expired := 0
			cl.mu.Lock()
			for cl.head < len(cl.pending) && now.Sub(cl.pending[cl.head].at) > r.cfg.timeout {
				cl.head++
				expired++
			}
			if cl.head == len(cl.pending) {
				cl.pending, cl.head = cl.pending[:0], 0
			}
			cl.mu.Unlock()
			for range expired {
				r.st.add(cl.id, cErrTimeout, 1)
				cl.settled()
			}
		}
	}
}

func isConnReset(err error) bool {
	var ne *net.OpError
	if errors.As(err, &ne) {
		var se *os.SyscallError
		if errors.As(ne.Err, &se) {
			return true
		}
	}
	return errors.Is(err, net.ErrClosed)
}

// dialWS connects to u from the local address src (host only, "" for any)
// and performs the opening handshakes (TLS with tc for wss://), within
// timeout.
func dialWS(u *url.URL, src string, timeout time.Duration, readBuf int, tc *tls.Config) (*wsproto.Conn, error) {
	origin := "http://" + u.Host
	if u.Scheme == "wss" {
		origin = "https://" + u.Host
	}
	opts := wsproto.DialOptions{
		Header:         http.Header{"Origin": {origin}, "User-Agent": {"swarmbridge-load"}},
		ReadBufferSize: readBuf,
		TLSConfig:      tc,
	}
	if src != "" {
		opts.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return wsproto.Dial(ctx, u, opts)
}

// resumed reports whether c is a wss:// connection that resumed a TLS
// session.
func resumed(c *wsproto.Conn) bool {
	tc, ok := c.NetConn().(*tls.Conn)
	return ok && tc.ConnectionState().DidResume
}

// wsBufPool holds the buffers messages are built in: wsproto.MaxClientHeader
// bytes of room for the frame header, then the message.
var wsBufPool = sync.Pool{New: func() any {
	b := make([]byte, wsproto.MaxClientHeader, 32<<10)
	return &b
}}

// getFrame returns a buffer with the header room reserved; append the
// message to it and pass it to WriteFrame.
func getFrame() *[]byte {
	b := wsBufPool.Get().(*[]byte)
	*b = (*b)[:wsproto.MaxClientHeader]
	return b
}

func putFrame(b *[]byte) {
	if cap(*b) > 1<<20 {
		return
	}
	wsBufPool.Put(b)
}
