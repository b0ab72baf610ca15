package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// httpRun drives -conns HTTP clients, each one keep-alive connection
// (re-opened whenever the server closes it, as opentracker does after
// every response) sending GET announces and scrapes with percent-encoded
// binary ids, one request at a time.
type httpRun struct {
	cfg *config
	st  *Stats

	targets []httpTarget
	pool    [][]byte // percent-encoded info hashes

	clients []*httpClient
	done    chan struct{}
	wg      sync.WaitGroup
	stopped atomic.Bool
}

// httpTarget is where one -target sends its requests.
type httpTarget struct {
	host         string // host:port to dial
	hostHeader   string
	announcePath string
	scrapePath   string
}

type httpClient struct {
	run  *httpRun
	id   int
	tg   *httpTarget
	src  string
	nc   net.Conn
	br   *bufio.Reader
	rng  *rng
	pid  []byte // percent-encoded peer id
	port int
	left int64

	served  int  // responses on the current connection
	oneShot bool // the server closes every connection after one response
	dialed  bool
	started map[int32]struct{}
	req     []byte
	body    []byte

	kicker
}

func newHTTPRun(cfg *config, st *Stats) (*httpRun, error) {
	r := &httpRun{cfg: cfg, st: st, done: make(chan struct{})}
	for _, t := range cfg.targets {
		u, err := url.Parse(t)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("-target %q: want http://host:port/announce", t)
		}
		tg := httpTarget{host: u.Host, hostHeader: u.Host, announcePath: u.EscapedPath()}
		if u.Port() == "" {
			tg.host = net.JoinHostPort(u.Hostname(), "80")
		}
		if tg.announcePath == "" {
			tg.announcePath = "/announce"
		}
		tg.scrapePath = scrapePath(tg.announcePath)
		r.targets = append(r.targets, tg)
	}
	for _, h := range infoHashPool(cfg.infohashes, cfg.seed) {
		r.pool = append(r.pool, percentEncode(nil, h[:]))
	}
	return r, nil
}

// scrapePath derives the scrape path from the announce path (BEP 48):
// "announce" in the last segment becomes "scrape"; otherwise /scrape.
func scrapePath(announce string) string {
	i := strings.LastIndexByte(announce, '/')
	last := announce[i+1:]
	if j := strings.Index(last, "announce"); j >= 0 {
		return announce[:i+1] + last[:j] + "scrape" + last[j+len("announce"):]
	}
	return "/scrape"
}

func (r *httpRun) connect() {
	cfg := r.cfg
	r.clients = make([]*httpClient, cfg.conns)
	for i := range r.clients {
		pid := peerID("-SB0001-", i)
		cl := &httpClient{
			run: r, id: i, tg: &r.targets[targetOf(i, len(r.targets), cfg.infohashes)],
			rng: newRNG(processSalt ^ uint64(i)*0x51),
			pid: percentEncode(nil, pid[:]), port: 10000 + i%50000,
			started: make(map[int32]struct{}),
			left:    int64(1 << 20),
		}
		if i%5 == 0 {
			cl.left = 0
		}
		if len(cfg.sourceIPs) > 0 {
			cl.src = cfg.sourceIPs[i%len(cfg.sourceIPs)]
		}
		r.clients[i] = cl
	}
	// Open the first connections now, so connection errors show up before
	// the measured window.
	sem := make(chan struct{}, cfg.dialConc)
	var wg sync.WaitGroup
	for _, cl := range r.clients {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := cl.dial(); err != nil {
				r.st.add(cl.id, cErrConnect, 1)
				noteConnectError(err)
			}
		}()
	}
	wg.Wait()
}

func (r *httpRun) n() int { return len(r.clients) }

func (r *httpRun) startClosed() {
	for _, cl := range r.clients {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for !r.stopped.Load() {
				if !cl.request() {
					// Connection failures are counted; back off briefly
					// so a dead server does not spin the generator.
					select {
					case <-r.done:
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		}()
	}
}

func (r *httpRun) startFixed() {
	for _, cl := range r.clients {
		cl.serveKicks(&r.wg, r.done, func() bool {
			cl.request()
			return true
		})
	}
}

func (r *httpRun) tryKick(i int) bool { return r.clients[i].tryKick() }

func (r *httpRun) stop() {
	r.stopped.Store(true)
	close(r.done)
	for _, cl := range r.clients {
		if nc := cl.ncLoad(); nc != nil {
			_ = nc.SetDeadline(time.Now())
		}
	}
	r.wg.Wait()
	for _, cl := range r.clients {
		cl.closeConn()
	}
}

var ncMu sync.Mutex // guards httpClient.nc against stop()'s SetDeadline

func (cl *httpClient) ncLoad() net.Conn {
	ncMu.Lock()
	defer ncMu.Unlock()
	return cl.nc
}

func (cl *httpClient) dial() error {
	d := net.Dialer{Timeout: cl.run.cfg.dialTimeout}
	if cl.src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(cl.src)}
	}
	nc, err := d.Dial("tcp", cl.tg.host)
	if err != nil {
		return err
	}
	if cl.dialed {
		cl.run.st.add(cl.id, cReconnects, 1)
	}
	cl.dialed = true
	ncMu.Lock()
	cl.nc = nc
	ncMu.Unlock()
	if cl.br == nil {
		cl.br = bufio.NewReaderSize(nc, 4096)
	} else {
		cl.br.Reset(nc)
	}
	cl.served = 0
	return nil
}

func (cl *httpClient) closeConn() {
	ncMu.Lock()
	nc := cl.nc
	cl.nc = nil
	ncMu.Unlock()
	if nc != nil {
		_ = nc.Close()
	}
}

// buildRequest builds the next announce or scrape into cl.req.
func (cl *httpClient) buildRequest() (scrape bool) {
	r := cl.run
	cfg := r.cfg
	b := cl.req[:0]
	b = append(b, "GET "...)
	scrape = cl.rng.chance(cfg.scrapeRatio)
	if scrape {
		b = append(b, cl.tg.scrapePath...)
		for j := range cfg.scrapeHashes {
			if j == 0 {
				b = append(b, "?info_hash="...)
			} else {
				b = append(b, "&info_hash="...)
			}
			b = append(b, r.pool[cl.rng.intn(len(r.pool))]...)
		}
	} else {
		h := cl.rng.intn(len(r.pool))
		b = append(b, cl.tg.announcePath...)
		b = append(b, "?info_hash="...)
		b = append(b, r.pool[h]...)
		b = append(b, "&peer_id="...)
		b = append(b, cl.pid...)
		b = append(b, "&port="...)
		b = strconv.AppendInt(b, int64(cl.port), 10)
		b = append(b, "&uploaded=0&downloaded=0&left="...)
		b = strconv.AppendInt(b, cl.left, 10)
		if _, ok := cl.started[int32(h)]; !ok {
			cl.started[int32(h)] = struct{}{}
			b = append(b, "&event=started"...)
		}
		b = append(b, "&key=1a2b3c4d&compact=1&numwant="...)
		b = strconv.AppendInt(b, int64(cfg.numwant), 10)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, cl.tg.hostHeader...)
	b = append(b, "\r\nUser-Agent: swarmbridge-load\r\nAccept-Encoding: identity\r\n\r\n"...)
	cl.req = b
	return scrape
}

// request sends one request and reads its response. It returns false when
// no connection could be made.
func (cl *httpClient) request() bool {
	r := cl.run
	scrape := cl.buildRequest()
	for attempt := 0; ; attempt++ {
		if cl.nc == nil {
			if err := cl.dial(); err != nil {
				if !r.stopped.Load() {
					r.st.add(cl.id, cErrConnect, 1)
					noteConnectError(err)
				}
				return false
			}
		}
		reused := cl.served > 0
		start := time.Now()
		_ = cl.nc.SetDeadline(start.Add(r.cfg.timeout))
		_, err := cl.nc.Write(cl.req)
		var status int
		var keep bool
		var got int
		if err == nil {
			status, keep, got, err = cl.readResponse()
		}
		if err != nil {
			cl.closeConn()
			if r.stopped.Load() {
				return true
			}
			// A keep-alive connection the server closed before it saw
			// the request: retry once on a new one (as every HTTP client
			// does) and, if it happened right after the first response,
			// stop reusing connections with this server.
			if reused && got == 0 && attempt == 0 && isClosedConnErr(err) {
				if cl.served == 1 {
					cl.oneShot = true
				}
				continue
			}
			cl.countSent(scrape)
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				r.st.add(cl.id, cErrTimeout, 1)
			case isClosedConnErr(err):
				r.st.add(cl.id, cErrClose, 1)
			default:
				r.st.add(cl.id, cErrProtocol, 1)
				noteProtocolError(err)
			}
			return true
		}
		cl.served++
		lat := time.Since(start)
		cl.countSent(scrape)
		switch kind, reason := classifyBencode(cl.body); {
		case status != 200:
			r.st.failure(cl.id, fmt.Appendf(nil, "HTTP status %d", status))
		case kind == msgFailure:
			r.st.failure(cl.id, reason)
		case kind == msgAnnounceResp && !scrape:
			r.st.add(cl.id, cAnnounceResp, 1)
			r.st.latency(cl.id, lat)
		case kind == msgScrapeResp && scrape:
			r.st.add(cl.id, cScrapeResp, 1)
			r.st.latency(cl.id, lat)
		default:
			r.st.add(cl.id, cErrProtocol, 1)
			noteProtocolError(fmt.Errorf("unexpected HTTP body %.80q", cl.body))
		}
		if !keep || cl.oneShot {
			cl.closeConn()
		}
		return true
	}
}

func (cl *httpClient) countSent(scrape bool) {
	if scrape {
		cl.run.st.add(cl.id, cScrapeSent, 1)
	} else {
		cl.run.st.add(cl.id, cAnnounceSent, 1)
	}
}

func isClosedConnErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err)
}

// readResponse reads one HTTP/1.x response into cl.body. got is the number
// of bytes of the status line read (0: the server sent nothing).
func (cl *httpClient) readResponse() (status int, keep bool, got int, err error) {
	br := cl.br
	line, err := br.ReadSlice('\n')
	got = len(line)
	if err != nil {
		return 0, false, got, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, got, fmt.Errorf("bad status line %.40q", line)
	}
	keep = line[7] == '1'
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, got, fmt.Errorf("bad status line %.40q", line)
	}
	contentLength := -1
	chunked := false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return status, false, got, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte{':'})
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			contentLength, _ = strconv.Atoi(string(v))
		case bytes.EqualFold(k, []byte("Connection")):
			if bytes.EqualFold(v, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(v, []byte("keep-alive")) {
				keep = true
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.Contains(bytes.ToLower(v), []byte("chunked"))
		}
	}
	cl.body = cl.body[:0]
	switch {
	case chunked:
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				return status, false, got, err
			}
			l = bytes.TrimRight(l, "\r\n")
			if i := bytes.IndexByte(l, ';'); i >= 0 {
				l = l[:i]
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(l)), 16, 32)
			if err != nil {
				return status, false, got, fmt.Errorf("bad chunk size %q", l)
			}
			if n == 0 {
				for { // trailers
					t, err := br.ReadSlice('\n')
					if err != nil {
						return status, false, got, err
					}
					if len(bytes.TrimRight(t, "\r\n")) == 0 {
						break
					}
				}
				break
			}
			start := len(cl.body)
			cl.body = append(cl.body, make([]byte, n)...)
			if _, err := io.ReadFull(br, cl.body[start:]); err != nil {
				return status, false, got, err
			}
			if _, err := br.Discard(2); err != nil {
				return status, false, got, err
			}
		}
	case contentLength >= 0:
		if cap(cl.body) < contentLength {
			cl.body = make([]byte, contentLength)
		}
		cl.body = cl.body[:contentLength]
		if _, err := io.ReadFull(br, cl.body); err != nil {
			return status, false, got, err
		}
	default:
		b, err := io.ReadAll(br)
		if err != nil {
			return status, false, got, err
		}
		cl.body = append(cl.body, b...)
		keep = false
	}
	return status, keep, got, nil
}

// classifyBencode tells an announce response, a scrape response and a
// failure apart, from their bencoded keys.
func classifyBencode(b []byte) (kind int, reason []byte) {
	if i := bytes.Index(b, []byte("14:failure reason")); i >= 0 {
		rest := b[i+len("14:failure reason"):]
		if j := bytes.IndexByte(rest, ':'); j > 0 {
			if n, err := strconv.Atoi(string(rest[:j])); err == nil && j+1+n <= len(rest) {
				return msgFailure, rest[j+1 : j+1+n]
			}
		}
		return msgFailure, []byte("(unparsable failure reason)")
	}
	if len(b) == 0 || b[0] != 'd' {
		return msgUnknown, nil
	}
	if bytes.Contains(b, []byte("8:intervali")) {
		return msgAnnounceResp, nil
	}
	if bytes.HasPrefix(b, []byte("d5:filesd")) || bytes.Contains(b, []byte("5:filesd")) {
		return msgScrapeResp, nil
	}
	return msgUnknown, nil
}
