package udptracker

import (
	"context"
	"errors"
	"net/netip"
	"time"
	"unsafe"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Error texts sent to clients with a valid connection id.
const (
	msgPortZero     = "Port can't be 0" // aquatic's wording (docs/protocol.md §10.6)
	msgStoreFailure = "internal tracker error"
)

// errScrapeCount reports a store that answered a scrape with the wrong
// number of records.
var errScrapeCount = errors.New("udptracker: store returned wrong number of scrape records")

// worker answers datagrams. Everything it needs per packet is allocated
// once here and reused, so that the steady state allocates nothing. A
// worker is used by one goroutine only.
type worker struct {
	s   *Server
	st  *shard
	ids *connIDs

	// When the store may block, a reader's datagrams of one batch are
	// answered by slots, one per datagram, each with a worker state of its
	// own (batch_linux.go); replies holds their answers.
	slots   []*worker
	replies [][]byte

	ann    announce
	req    swarm.AnnounceRequest
	res    swarm.AnnounceResult
	hashes []bittorrent.InfoHash
	counts []bittorrent.Counts
	url    []byte
	out    []byte

	// obs holds what the Observer is told about the request being
	// handled: its labels, and the kind of failure it was answered with.
	obs struct {
		action, event string
		failed        bool
		failure       bittorrent.FailureCode
	}
}

func (s *Server) newWorker() *worker {
	// Shards are handed out round robin; more workers than shards (several
	// Serve calls) only share counters, which stay correct.
	i := int(s.nextShard.Add(1)-1) % len(s.shards)
	return s.newWorkerOn(&s.shards[i])
}

// newWorkerOn returns a worker that counts into st.
func (s *Server) newWorkerOn(st *shard) *worker {
	return &worker{
		s:      s,
		st:     st,
		ids:    newConnIDs(s.cfg.secret),
		res:    swarm.AnnounceResult{Peers: make([]swarm.Peer, 0, maxPeers4)},
		hashes: make([]bittorrent.InfoHash, 0, s.cfg.maxScrapeHashes),
		counts: make([]bittorrent.Counts, 0, s.cfg.maxScrapeHashes),
		url:    make([]byte, 0, 256),
		out:    make([]byte, 0, max(maxDatagram, scrapeReplyHdrLen+scrapeRecordLen*s.cfg.maxScrapeHashes)),
	}
}

// handle answers one datagram pkt from from. It returns the reply, built
// in the worker's buffer and valid until the next call, or nil when the
// packet gets no reply: malformed or short packets, unknown actions,
// invalid connection ids and port-0 sources are dropped silently so the
// tracker cannot be used to reflect traffic (docs/protocol.md §10.6).
func (w *worker) handle(ctx context.Context, pkt []byte, from netip.AddrPort) []byte {
	o := w.s.cfg.observer
	if o == nil {
		return w.dispatch(ctx, pkt, from)
	}
	start := time.Now()
	w.obs.action, w.obs.event, w.obs.failed = "", "", false
	out := w.dispatch(ctx, pkt, from)
	if w.obs.action != "" {
		if w.obs.failed {
			o.Failure(w.obs.failure)
		}
		o.Handled(w.obs.action, w.obs.event, time.Since(start))
	}
	return out
}

// needsStore reports whether a datagram may be an announce or a scrape,
// the requests that call the store; connects (and garbage) do not.
func needsStore(pkt []byte) bool {
	if len(pkt) < headerLen {
		return false
	}
	a := uint32(pkt[8])<<24 | uint32(pkt[9])<<16 | uint32(pkt[10])<<8 | uint32(pkt[11])
	return a == actionAnnounce || a == actionScrape
}

// dispatch is handle without the observation.
func (w *worker) dispatch(ctx context.Context, pkt []byte, from netip.AddrPort) []byte {
	if from.Port() == 0 {
		return w.drop(cSourcePortZero, from)
	}
	// A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; they are
	// IPv4 clients and get IPv4 answers. The store keys peers without
	// zones (swarm.Peer), and a zone means nothing to other peers anyway.
	ip := from.Addr().Unmap().WithZone("")
	if p := w.s.cfg.policy; p != nil && !p.Allow(bittorrent.TransportUDP, ip) {
		return w.drop(cRateLimited, from)
	}
	h, err := parseHeader(pkt)
	if err != nil {
		return w.drop(cMalformed, from)
	}
	switch h.action {
	case actionConnect:
		return w.connect(pkt, h, ip, from)
	case actionAnnounce:
		return w.announce(ctx, pkt, h, ip, from)
	case actionScrape:
		return w.scrape(ctx, pkt, h, ip, from)
	}
	return w.drop(cUnknownAction, from)
}

func (w *worker) connect(pkt []byte, h header, ip netip.Addr, from netip.AddrPort) []byte {
	switch err := checkConnect(pkt, h); err {
	case nil:
	case errNotConnect:
		return w.drop(cBadProtocolID, from)
	default:
		return w.drop(cMalformed, from)
	}
	id := w.ids.issue(w.s.cfg.now(), ip)
	w.st.inc(cConnects)
	w.obs.action = "connect"
	return appendConnectReply(w.out[:0], h.txID, id)
}

func (w *worker) announce(ctx context.Context, pkt []byte, h header, ip netip.Addr, from netip.AddrPort) []byte {
	a := &w.ann
	if parseAnnounce(pkt, a) != nil {
		return w.drop(cMalformed, from)
	}
	if !w.ids.valid(h.connID, w.s.cfg.now(), ip) {
		return w.drop(cBadConnectionID, from)
	}
	// From here on the client proved it owns its address, so errors are
	// answered.
	w.obs.action = "announce"
	if a.port == 0 {
		w.st.inc(cPortZero)
		w.failed(bittorrent.FailureInvalidPort)
		return appendError(w.out[:0], h.txID, msgPortZero)
	}

	url, ok := parseOptions(a.options, w.url[:0])
	if cap(url) > cap(w.url) {
		w.url = url[:0] // keep the grown buffer for the next packet
	}
	if !ok {
		w.st.inc(cTruncatedOptions)
	}
	if p := w.s.cfg.policy; p != nil {
		// The policy only reads the URL data during the call, so it may
		// see the worker's buffer as a string without a copy: the hot path
		// stays free of allocations.
		if err := p.Authorize(bittorrent.TransportUDP, bittorrent.ActionAnnounce, a.infoHash, unsafe.String(unsafe.SliceData(url), len(url))); err != nil {
			w.st.inc(cDenied)
			w.failed(bittorrent.FailureDenied)
			return appendError(w.out[:0], h.txID, err.Error())
		}
	}

	fam := swarm.FamilyOf(ip)
	ev := w.event(a.event)
	w.obs.event = ev.String()
	numWant := 0
	if ev != bittorrent.EventStopped {
		numWant = w.numWant(a.numWant, fam)
	}
	req := &w.req
	*req = swarm.AnnounceRequest{
		InfoHash: a.infoHash,
		Peer: swarm.Peer{
			ID:   a.peerID,
			Kind: swarm.Native,
			// The IP field is ignored: honouring it lets anyone add
			// other hosts to swarms (docs/protocol.md §10.6, §10.9).
			Addr: netip.AddrPortFrom(ip, a.port),
		},
		Event:    ev,
		Left:     left(a.left),
		TTL:      w.s.cfg.ttl,
		NumWant:  numWant,
		Families: fam,
	}
	res := &w.res
	res.Peers = res.Peers[:0]
	res.Counts = bittorrent.Counts{}
	res.Rebound = 0
	if err := w.s.cfg.store.Announce(ctx, req, res); err != nil {
		w.storeFailure(err, "announce")
		w.failed(bittorrent.FailureUnavailable)
		return appendError(w.out[:0], h.txID, msgStoreFailure)
	}
	out := appendAnnounceReply(w.out[:0], h.txID, w.s.cfg.interval, res.Counts)
	if ev != bittorrent.EventStopped {
		out = appendPeers(out, res.Peers, fam, numWant)
	}
	w.st.inc(cAnnounces)
	return out
}

func (w *worker) scrape(ctx context.Context, pkt []byte, h header, ip netip.Addr, from netip.AddrPort) []byte {
	hashes, err := parseScrape(pkt, w.s.cfg.maxScrapeHashes, w.hashes[:0])
	if err != nil {
		return w.drop(cMalformed, from)
	}
	if !w.ids.valid(h.connID, w.s.cfg.now(), ip) {
		return w.drop(cBadConnectionID, from)
	}
	w.obs.action = "scrape"
	counts, err := w.s.cfg.store.Scrape(ctx, hashes, w.counts[:0])
	if err == nil && len(counts) != len(hashes) {
		// Clients map records to hashes by position, so a short answer
		// would mislabel swarms; treat it as the store failing.
		err = errScrapeCount
	}
	if err != nil {
		w.storeFailure(err, "scrape")
		w.failed(bittorrent.FailureUnavailable)
		return appendError(w.out[:0], h.txID, msgStoreFailure)
	}
	if cap(counts) > cap(w.counts) {
		w.counts = counts[:0]
	}
	if p := w.s.cfg.policy; p != nil {
		for i := range counts {
			if p.Authorize(bittorrent.TransportUDP, bittorrent.ActionScrape, hashes[i], "") != nil {
				counts[i] = bittorrent.Counts{}
			}
		}
	}
	out := appendScrapeHeader(w.out[:0], h.txID)
	for _, c := range counts {
		out = appendScrapeRecord(out, c)
	}
	w.st.inc(cScrapes)
	return out
}

// event maps the wire event to the swarm event. 4 (paused, sent by
// libtorrent) and unknown values are regular updates (docs/protocol.md §6.2).
func (w *worker) event(e uint32) bittorrent.Event {
	switch e {
	case 0, 4:
		return bittorrent.EventUpdate
	case 1:
		return bittorrent.EventCompleted
	case 2:
		return bittorrent.EventStarted
	case 3:
		return bittorrent.EventStopped
	}
	w.st.inc(cUnknownEvents)
	return bittorrent.EventUpdate
}

// numWant applies the default to num_want ≤ 0 (it is signed; −1 asks for
// the default) and caps it so the reply fits one datagram.
func (w *worker) numWant(n int32, fam swarm.Family) int {
	limit := w.s.cfg.maxNumWant4
	if fam == swarm.IPv6 {
		limit = w.s.cfg.maxNumWant6
	}
	want := int(n)
	if want <= 0 {
		want = w.s.cfg.defaultNumWant
	}
	return min(want, limit)
}

// left maps the wire value to swarm.Left. All-ones means unknown
// (docs/protocol.md §6.3); any other value with the top bit set is nonsense
// that no real client sends, and is taken as unknown too rather than as a
// negative count.
func left(v uint64) int64 {
	if int64(v) < 0 {
		return bittorrent.LeftUnknown
	}
	return int64(v)
}

// drop counts a request that gets no reply.
func (w *worker) drop(c counter, from netip.AddrPort) []byte {
	w.st.inc(c)
	// The nil check keeps the disabled path free of the boxing that
	// building the event would cost.
	if e := w.s.cfg.log.Debug(); e != nil {
		e.Str("reason", counterNames[c]).Str("from", from.String()).Msg("udp request dropped")
	}
	return nil
}

// storeFailure counts and logs a store error. The log is sampled because
// a failing store fails every request.
func (w *worker) storeFailure(err error, op string) {
	w.st.inc(cStoreFailures)
	w.s.errLog.Error().Err(err).Str("op", op).Msg("swarm store failed")
}

// failed notes the kind of failure the request is answered with, for the
// Observer.
func (w *worker) failed(code bittorrent.FailureCode) {
	w.obs.failed, w.obs.failure = true, code
}
