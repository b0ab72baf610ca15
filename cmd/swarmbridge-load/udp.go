package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// BEP 15 UDP tracker protocol. Each of -conns sockets is one client (one
// address and port): it connects, reuses its connection id for 60 s, and
// announces (event started the first time it announces a torrent, then
// none; num_want -numwant) and scrapes.

const (
	udpProtocolID     = 0x41727101980
	udpActionConnect  = 0
	udpActionAnnounce = 1
	udpActionScrape   = 2
	udpActionError    = 3

	udpEventNone    = 0
	udpEventStarted = 2

	udpConnIDReuse = 60 * time.Second
)

func appendUDPConnect(dst []byte, tid uint32) []byte {
	dst = binary.BigEndian.AppendUint64(dst, udpProtocolID)
	dst = binary.BigEndian.AppendUint32(dst, udpActionConnect)
	return binary.BigEndian.AppendUint32(dst, tid)
}

type udpAnnounce struct {
	connID   uint64
	tid      uint32
	infoHash bittorrent.InfoHash
	peerID   bittorrent.PeerID
	left     uint64
	event    uint32
	key      uint32
	numWant  int32
	port     uint16
}

func appendUDPAnnounce(dst []byte, a *udpAnnounce) []byte {
	dst = binary.BigEndian.AppendUint64(dst, a.connID)
	dst = binary.BigEndian.AppendUint32(dst, udpActionAnnounce)
	dst = binary.BigEndian.AppendUint32(dst, a.tid)
	dst = append(dst, a.infoHash[:]...)
	dst = append(dst, a.peerID[:]...)
	dst = binary.BigEndian.AppendUint64(dst, 0) // downloaded
	dst = binary.BigEndian.AppendUint64(dst, a.left)
	dst = binary.BigEndian.AppendUint64(dst, 0) // uploaded
	dst = binary.BigEndian.AppendUint32(dst, a.event)
	dst = binary.BigEndian.AppendUint32(dst, 0) // IP: use the source address
	dst = binary.BigEndian.AppendUint32(dst, a.key)
	dst = binary.BigEndian.AppendUint32(dst, uint32(a.numWant))
	return binary.BigEndian.AppendUint16(dst, a.port)
}

func appendUDPScrape(dst []byte, connID uint64, tid uint32, hashes []bittorrent.InfoHash) []byte {
	dst = binary.BigEndian.AppendUint64(dst, connID)
	dst = binary.BigEndian.AppendUint32(dst, udpActionScrape)
	dst = binary.BigEndian.AppendUint32(dst, tid)
	for _, h := range hashes {
		dst = append(dst, h[:]...)
	}
	return dst
}

// udpReply is a decoded server datagram.
type udpReply struct {
	action uint32
	tid    uint32
	connID uint64 // connect
	// announce: interval, leechers, seeders and the number of peers
	interval, leechers, seeders uint32
	peers                       int
	scraped                     int    // scrape: records
	message                     []byte // error
}

var errShortUDP = errors.New("short UDP reply")

// parseUDPReply decodes a reply. v6 says the request went over IPv6
// (18-byte peer entries).
func parseUDPReply(b []byte, v6 bool, r *udpReply) error {
	*r = udpReply{}
	if len(b) < 8 {
		return errShortUDP
	}
	r.action = binary.BigEndian.Uint32(b)
	r.tid = binary.BigEndian.Uint32(b[4:])
	switch r.action {
	case udpActionConnect:
		if len(b) < 16 {
			return errShortUDP
		}
		r.connID = binary.BigEndian.Uint64(b[8:])
	case udpActionAnnounce:
		if len(b) < 20 {
			return errShortUDP
		}
		r.interval = binary.BigEndian.Uint32(b[8:])
		r.leechers = binary.BigEndian.Uint32(b[12:])
		r.seeders = binary.BigEndian.Uint32(b[16:])
		stride := 6
		if v6 {
			stride = 18
		}
		r.peers = (len(b) - 20) / stride
	case udpActionScrape:
		r.scraped = (len(b) - 8) / 12
	case udpActionError:
		r.message = b[8:]
	default:
		return fmt.Errorf("unknown UDP action %d", r.action)
	}
	return nil
}

type udpRun struct {
	cfg   *config
	st    *Stats
	addrs []*net.UDPAddr // the targets
	pool  []bittorrent.InfoHash

	clients []*udpClient
	done    chan struct{}
	wg      sync.WaitGroup
	stopped atomic.Bool
}

type udpSlot struct {
	seq    uint32 // tid = seq<<8 | slot index
	kind   uint32 // udpAction* of the request in flight
	at     time.Time
	active bool
	buf    []byte // the request, kept for the batched write
}

type udpClient struct {
	run *udpRun
	id  int
	c   *net.UDPConn
	v6  bool
	rng *rng

	connID     uint64
	connIDAt   time.Time
	connecting bool // a connect is in flight (pipelined mode)

	ann     udpAnnounce
	started map[int32]struct{}
	slots   []udpSlot
	out     []byte
	in      []byte
	reply   udpReply
	scrapeH []bittorrent.InfoHash

	kicker
}

func newUDPRun(cfg *config, st *Stats) (*udpRun, error) {
	r := &udpRun{cfg: cfg, st: st, pool: infoHashPool(cfg.infohashes, cfg.seed), done: make(chan struct{})}
	for _, target := range cfg.targets {
		t := strings.TrimPrefix(target, "udp://")
		if i := strings.IndexByte(t, '/'); i >= 0 {
			t = t[:i] // a path such as /announce is ignored (BEP 41 URL data is not sent)
		}
		addr, err := net.ResolveUDPAddr("udp", t)
		if err != nil || addr.Port == 0 {
			return nil, fmt.Errorf("-target %q: want host:port", target)
		}
		r.addrs = append(r.addrs, addr)
	}
	return r, nil
}

func (r *udpRun) connect() {
	cfg := r.cfg
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, cfg.dialConc)
	for i := range cfg.conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var laddr *net.UDPAddr
			if len(cfg.sourceIPs) > 0 {
				laddr = &net.UDPAddr{IP: net.ParseIP(cfg.sourceIPs[i%len(cfg.sourceIPs)])}
			}
			c, err := net.DialUDP("udp", laddr, r.addrs[targetOf(i, len(r.addrs), cfg.infohashes)])
			if err != nil {
				r.st.add(i, cErrConnect, 1)
				noteConnectError(err)
				return
			}
			_ = c.SetReadBuffer(1 << 20)
			local := c.LocalAddr().(*net.UDPAddr)
			cl := &udpClient{
				run: r, id: i, c: c, v6: local.IP.To4() == nil,
				rng: newRNG(processSalt ^ uint64(i)*0xC3), started: make(map[int32]struct{}),
				in: make([]byte, 2048), slots: make([]udpSlot, max(1, cfg.inflight)),
			}
			cl.ann.peerID = peerID("-SB0001-", i)
			cl.ann.key = uint32(cl.rng.next())
			cl.ann.numWant = int32(cfg.numwant)
			cl.ann.port = uint16(local.Port)
			cl.ann.left = 1 << 20
			if i%5 == 0 {
				cl.ann.left = 0
			}
			if err := cl.connectSync(); err != nil {
				r.st.add(i, cErrConnect, 1)
				noteConnectError(err)
				c.Close()
				return
			}
			mu.Lock()
			r.clients = append(r.clients, cl)
			mu.Unlock()
		}()
	}
	wg.Wait()
}

func (r *udpRun) n() int { return len(r.clients) }

func (r *udpRun) stop() {
	r.stopped.Store(true)
	close(r.done)
	for _, cl := range r.clients {
		_ = cl.c.SetDeadline(time.Now())
	}
	r.wg.Wait()
	for _, cl := range r.clients {
		_ = cl.c.Close()
	}
}

// connectSync gets a connection id, retrying up to three times.
func (cl *udpClient) connectSync() error {
	to := cl.run.cfg.timeout
	for try := 0; try < 3; try++ {
		tid := uint32(cl.rng.next())
		cl.out = appendUDPConnect(cl.out[:0], tid)
		if _, err := cl.c.Write(cl.out); err != nil {
			return err
		}
		cl.run.st.add(cl.id, cConnectSent, 1)
		deadline := time.Now().Add(to)
		_ = cl.c.SetReadDeadline(deadline)
		for {
			n, err := cl.c.Read(cl.in)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return err
			}
			if parseUDPReply(cl.in[:n], cl.v6, &cl.reply) != nil || cl.reply.tid != tid {
				continue // stale reply of an earlier request
			}
			if cl.reply.action == udpActionError {
				return fmt.Errorf("connect: %s", cl.reply.message)
			}
			if cl.reply.action != udpActionConnect {
				continue
			}
			cl.run.st.add(cl.id, cConnectResp, 1)
			cl.connID, cl.connIDAt = cl.reply.connID, time.Now()
			return nil
		}
		if cl.run.stopped.Load() {
			return errors.New("stopped")
		}
		cl.run.st.add(cl.id, cErrTimeout, 1)
	}
	return errors.New("connect: no reply")
}

// buildRequest appends an announce or scrape with transaction id tid to
// dst and returns it with its action.
func (cl *udpClient) buildRequest(dst []byte, tid uint32) ([]byte, uint32) {
	cfg := cl.run.cfg
	if cl.rng.chance(cfg.scrapeRatio) {
		cl.scrapeH = cl.scrapeH[:0]
		for range min(cfg.scrapeHashes, 74) {
			cl.scrapeH = append(cl.scrapeH, cl.run.pool[cl.rng.intn(len(cl.run.pool))])
		}
		return appendUDPScrape(dst, cl.connID, tid, cl.scrapeH), udpActionScrape
	}
	h := cl.rng.intn(len(cl.run.pool))
	cl.ann.infoHash = cl.run.pool[h]
	cl.ann.event = udpEventNone
	if _, ok := cl.started[int32(h)]; !ok {
		cl.started[int32(h)] = struct{}{}
		cl.ann.event = udpEventStarted
	}
	cl.ann.connID, cl.ann.tid = cl.connID, tid
	return appendUDPAnnounce(dst, &cl.ann), udpActionAnnounce
}

func (cl *udpClient) countSent(kind uint32) {
	switch kind {
	case udpActionAnnounce:
		cl.run.st.add(cl.id, cAnnounceSent, 1)
	case udpActionScrape:
		cl.run.st.add(cl.id, cScrapeSent, 1)
	case udpActionConnect:
		cl.run.st.add(cl.id, cConnectSent, 1)
	}
}

// record counts a reply to a request of kind sent at at.
func (cl *udpClient) record(kind uint32, at time.Time) {
	st := cl.run.st
	rp := &cl.reply
	switch {
	case rp.action == udpActionError:
		st.failure(cl.id, rp.message)
	case rp.action != kind:
		st.add(cl.id, cErrProtocol, 1)
		noteProtocolError(fmt.Errorf("UDP reply action %d to request action %d", rp.action, kind))
	case kind == udpActionConnect:
		st.add(cl.id, cConnectResp, 1)
		cl.connID, cl.connIDAt = rp.connID, time.Now()
	case kind == udpActionAnnounce:
		st.add(cl.id, cAnnounceResp, 1)
		st.latency(cl.id, time.Since(at))
	case kind == udpActionScrape:
		st.add(cl.id, cScrapeResp, 1)
		st.latency(cl.id, time.Since(at))
	}
}

// batchConn is the recvmmsg/sendmmsg view of a socket.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// fillSlot builds a new request for slot i into its buffer: a connect
// when the connection id is due for renewal (one at a time), else an
// announce or scrape. The caller sends it.
func (cl *udpClient) fillSlot(i int) {
	s := &cl.slots[i]
	s.seq = (s.seq + 1) & 0xFFFFFF
	tid := s.seq<<8 | uint32(i)
	if !cl.connecting && time.Since(cl.connIDAt) > udpConnIDReuse {
		cl.connecting = true
		s.buf = appendUDPConnect(s.buf[:0], tid)
		s.kind = udpActionConnect
	} else {
		s.buf, s.kind = cl.buildRequest(s.buf[:0], tid)
	}
	s.at = time.Now()
	s.active = true
}

// runPipelined keeps -inflight requests in flight on the socket. Replies
// are read and new requests written in batches (recvmmsg, sendmmsg), so a
// pipeline of k requests costs about two system calls per k requests.
func (cl *udpClient) runPipelined() {
	r := cl.run
	defer r.wg.Done()
	var bc batchConn
	if cl.v6 {
		bc = ipv6.NewPacketConn(cl.c)
	} else {
		bc = ipv4.NewPacketConn(cl.c)
	}
	k := len(cl.slots)
	rms := make([]ipv4.Message, k)
	for i := range rms {
		rms[i].Buffers = [][]byte{make([]byte, 2048)}
	}
	wms := make([]ipv4.Message, 0, k)
	widx := make([]int, 0, k) // slot of each queued message
	wbufs := make([][][]byte, k)
	send := func() {
		ms, idx := wms, widx
		for len(ms) > 0 {
			n, err := bc.WriteBatch(ms, 0)
			if err != nil {
				// ECONNREFUSED after an ICMP error, or the socket is
				// closing: the slots time out and are refilled.
				if !r.stopped.Load() {
					r.st.add(cl.id, cErrClose, 1)
				}
				break
			}
			for _, i := range idx[:n] {
				cl.countSent(cl.slots[i].kind)
			}
			ms, idx = ms[n:], idx[n:]
		}
		wms, widx = wms[:0], widx[:0]
	}
	queue := func(i int) {
		cl.fillSlot(i)
		if wbufs[i] == nil {
			wbufs[i] = make([][]byte, 1)
		}
		wbufs[i][0] = cl.slots[i].buf
		wms = append(wms, ipv4.Message{Buffers: wbufs[i]})
		widx = append(widx, i)
	}
	for i := range cl.slots {
		queue(i)
	}
	send()
	to := r.cfg.timeout
	var deadlineSet time.Time
	for !r.stopped.Load() {
		now := time.Now()
		if now.Sub(deadlineSet) > 50*time.Millisecond {
			_ = cl.c.SetReadDeadline(now.Add(100 * time.Millisecond))
			deadlineSet = now
		}
		n, err := bc.ReadBatch(rms, 0)
		if err != nil {
			if r.stopped.Load() {
				return
			}
			var ne net.Error
			if !(errors.As(err, &ne) && ne.Timeout()) {
				// ICMP port unreachable and the like: keep going, the
				// requests time out.
				time.Sleep(10 * time.Millisecond)
			}
			deadlineSet = time.Time{}
			now = time.Now()
			for i := range cl.slots {
				if s := &cl.slots[i]; s.active && now.Sub(s.at) > to {
					s.active = false
					if s.kind == udpActionConnect {
						cl.connecting = false
					}
					r.st.add(cl.id, cErrTimeout, 1)
					queue(i)
				}
			}
			send()
			continue
		}
		for _, m := range rms[:n] {
			if parseUDPReply(m.Buffers[0][:m.N], cl.v6, &cl.reply) != nil {
				r.st.add(cl.id, cErrProtocol, 1)
				continue
			}
			i := int(cl.reply.tid & 0xFF)
			if i >= k || !cl.slots[i].active || cl.slots[i].seq != cl.reply.tid>>8 {
				continue // late reply to a request that already timed out
			}
			s := &cl.slots[i]
			s.active = false
			if s.kind == udpActionConnect {
				cl.connecting = false
			}
			cl.record(s.kind, s.at)
			queue(i)
		}
		send()
	}
}

func (r *udpRun) startClosed() {
	for _, cl := range r.clients {
		r.wg.Add(1)
		go cl.runPipelined()
	}
}

// startFixed runs one request at a time per socket, when the scheduler
// says so.
func (r *udpRun) startFixed() {
	for _, cl := range r.clients {
		cl.serveKicks(&r.wg, r.done, func() bool {
			if time.Since(cl.connIDAt) > udpConnIDReuse {
				if err := cl.connectSync(); err != nil && !r.stopped.Load() {
					r.st.add(cl.id, cErrConnect, 1)
				}
			}
			cl.once()
			return true
		})
	}
}

func (r *udpRun) tryKick(i int) bool { return r.clients[i].tryKick() }

// once sends one request and waits for its reply or the timeout.
func (cl *udpClient) once() {
	r := cl.run
	s := &cl.slots[0]
	s.seq = (s.seq + 1) & 0xFFFFFF
	tid := s.seq << 8
	var kind uint32
	cl.out, kind = cl.buildRequest(cl.out[:0], tid)
	at := time.Now()
	if _, err := cl.c.Write(cl.out); err != nil {
		if !r.stopped.Load() {
			r.st.add(cl.id, cErrClose, 1)
		}
		return
	}
	cl.countSent(kind)
	_ = cl.c.SetReadDeadline(at.Add(r.cfg.timeout))
	for {
		n, err := cl.c.Read(cl.in)
		if err != nil {
			if r.stopped.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				r.st.add(cl.id, cErrTimeout, 1)
				return
			}
			r.st.add(cl.id, cErrClose, 1)
			return
		}
		if parseUDPReply(cl.in[:n], cl.v6, &cl.reply) != nil {
			r.st.add(cl.id, cErrProtocol, 1)
			continue
		}
		if cl.reply.tid != tid {
			continue
		}
		cl.record(kind, at)
		return
	}
}
