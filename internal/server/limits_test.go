package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/config"
)

// Each abuse limit, configured by its variable and tried from the outside;
// the metrics must count exactly what was refused.

// from makes a request come from addr, through the trusted proxy on
// 127.0.0.1 (SWARMBRIDGE_TRUSTED_PROXIES), so one test plays several
// clients.
func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

func TestWebSocketConnectionLimits(t *testing.T) {
	h := startTracker(t, []string{
		"SWARMBRIDGE_TRUSTED_PROXIES=127.0.0.1",
		"SWARMBRIDGE_WS_MAX_CONNS=3",
		"SWARMBRIDGE_WS_MAX_CONNS_PER_IP=2",
	}, nil)
	u := h.wsURL("/announce")
	dialWS(t, u, from("192.0.2.1"))
	dialWS(t, u, from("192.0.2.1"))
	if why := refuseWS(t, u, from("192.0.2.1"), http.StatusTooManyRequests); why != "too many connections from your address" {
		t.Fatalf("429 body %q", why)
	}
	c := dialWS(t, u, from("192.0.2.2"))
	if why := refuseWS(t, u, from("192.0.2.3"), http.StatusServiceUnavailable); !strings.Contains(why, "too many connections") {
		t.Fatalf("503 body %q", why)
	}
	// The connections that got in work.
	ih := hash20(1)
	c.announceOK(ih, hash20(2))
	h.wantMetric(`swarmbridge_limited_total{limit="conns_per_ip",transport="ws"}`, 1)
	h.wantMetric(`swarmbridge_limited_total{limit="conns",transport="ws"}`, 1)
	h.wantMetric(`swarmbridge_connections_open{transport="ws"}`, 3)
}

func TestWebSocketAnnounceRateLimits(t *testing.T) {
	h := startTracker(t, []string{
		"SWARMBRIDGE_TRUSTED_PROXIES=127.0.0.1",
		"SWARMBRIDGE_WS_ANNOUNCES_PER_CONN=3",
		"SWARMBRIDGE_ANNOUNCES_PER_IP=5",
	}, nil)
	u := h.wsURL("/")
	ih := hash20(1)

	// Per connection: three, then a failure naming the torrent.
	a := dialWS(t, u, from("192.0.2.1"))
	for range 3 {
		a.announceOK(ih, hash20(0xa))
	}
	a.send(wsAnnounce(ih, hash20(0xa)))
	a.expectFailure("announce", ih, "rate limited: too many announces, slow down")

	// Per address: a second connection from the same address has its own
	// bucket but shares the address's five.
	b := dialWS(t, u, from("192.0.2.1"))
	b.announceOK(ih, hash20(0xb))
	b.announceOK(ih, hash20(0xb))
	b.send(wsAnnounce(ih, hash20(0xb)))
	b.expectFailure("announce", ih, bittorrent.ReasonRateLimited)

	// Another address is not affected.
	dialWS(t, u, from("192.0.2.2")).announceOK(ih, hash20(0xc))

	h.wantMetric(`swarmbridge_limited_total{limit="conn_announces",transport="ws"}`, 1)
	h.wantMetric(`swarmbridge_limited_total{limit="ip_announces",transport="ws"}`, 1)
	h.wantMetric(`swarmbridge_failures_total{reason="rate_limited",transport="ws"}`, 2)

	// A client that ignores the failures and keeps going is closed with 1008.
	msg, _ := json.Marshal(wsAnnounce(ih, hash20(0xa)))
	for range 10 {
		// Writes start failing once the tracker has closed the socket.
		_ = a.ws.Write(context.Background(), websocket.MessageText, msg)
	}
	if code := websocket.CloseStatus(a.closed()); code != websocket.StatusPolicyViolation {
		t.Fatalf("close code %v, want 1008", code)
	}
	h.waitMetric(`swarmbridge_ws_connections_closed_total{reason="rate_limited"}`, 1)
}

func TestHTTPAnnounceRateLimitPerAddress(t *testing.T) {
	h := startTracker(t, []string{
		"SWARMBRIDGE_TRUSTED_PROXIES=127.0.0.1",
		"SWARMBRIDGE_ANNOUNCES_PER_IP=2",
	}, nil)
	ih := hash20(3)
	for _, port := range []string{"7001", "7002"} {
		if d := httpAnnounce(t, h.ts.URL, "/announce", ih, hash20(4), port, from("192.0.2.1")); d["failure reason"] != nil {
			t.Fatalf("announce refused: %v", d)
		}
	}
	d := httpAnnounce(t, h.ts.URL, "/announce", ih, hash20(4), "7003", from("192.0.2.1"))
	if d["failure reason"] != bittorrent.ReasonRateLimited || d["retry in"] != "1" {
		t.Fatalf("third announce: %v", d)
	}
	// Scrapes count too.
	req := h.ts.URL + "/scrape?info_hash=" + strings.Repeat("%03", 20)
	if d := httpGetBencode(t, req, from("192.0.2.1")); d["failure reason"] != bittorrent.ReasonRateLimited {
		t.Fatalf("scrape: %v", d)
	}
	if d := httpAnnounce(t, h.ts.URL, "/announce", ih, hash20(5), "7001", from("192.0.2.2")); d["failure reason"] != nil {
		t.Fatalf("another address was limited: %v", d)
	}
	h.wantMetric(`swarmbridge_limited_total{limit="ip_announces",transport="http"}`, 2)
	h.wantMetric(`swarmbridge_failures_total{reason="rate_limited",transport="http"}`, 2)
}

func TestUDPRateLimitDropsSilently(t *testing.T) {
	h := startTracker(t, []string{"SWARMBRIDGE_UDP_REQUESTS_PER_IP=3"}, nil)
	u := dialUDP(t, h.udp)
	cid := u.connect()
	if msg, seeders := u.announce(cid, hash20(6), hash20(7), 6881, ""); msg != "" || seeders != 1 {
		t.Fatalf("announce: %q %d", msg, seeders)
	}
	u.scrape(cid, hash20(6))
	// The fourth packet is over the limit: no reply, only a count.
	u.send(udpConnectPacket(9))
	h.waitMetric(`swarmbridge_limited_total{limit="ip_requests",transport="udp"}`, 1)
	h.wantMetric(`swarmbridge_udp_dropped_total{reason="rate_limited"}`, 1)
	u.noReply()
	h.wantMetric(`swarmbridge_requests_total{action="connect",event="",transport="udp"}`, 1)
}

func TestIdleWebSocketIsClosedWith1001(t *testing.T) {
	h := startTracker(t, nil, func(c *config.Config) {
		// Shorter than the variable accepts, to keep the test quick.
		c.WSIdleTimeout = 300 * time.Millisecond
		c.PingInterval = 50 * time.Millisecond
	})
	c := dialWS(t, h.wsURL("/"), nil)
	c.announceOK(hash20(1), hash20(2))
	err := c.closed()
	if websocket.CloseStatus(err) != websocket.StatusGoingAway || !strings.Contains(err.Error(), "idle") {
		t.Fatalf("closed with %v, want 1001 idle", err)
	}
	h.waitMetric(`swarmbridge_ws_connections_closed_total{reason="idle"}`, 1)
}

func TestHandshakeTimeoutClosesSlowAndIdleConnections(t *testing.T) {
	h := startTracker(t, nil, func(c *config.Config) { c.HandshakeTimeout = 300 * time.Millisecond })
	addr := strings.TrimPrefix(h.ts.URL, "http://")

	// Headers that never finish (slowloris): the server hangs up.
	slow := dialRaw(t, addr, "GET /announce HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
	expectHangUp(t, slow)

	// A finished request on a keep-alive connection, then silence: closed.
	idle := dialRaw(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	expectHangUp(t, &bufConn{Conn: idle, r: br})

	// Headers in time, then a chunked body dripped a byte at a time: the
	// read deadline covers the body too.
	drip := dialRaw(t, addr, "GET /announce HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	stopDrip := make(chan struct{})
	dripDone := make(chan struct{})
	go func() {
		defer close(dripDone)
		for {
			select {
			case <-stopDrip:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := io.WriteString(drip, "1\r\nx\r\n"); err != nil {
				return
			}
		}
	}()
	expectHangUp(t, drip)
	close(stopDrip)
	<-dripDone
}

// A client that sends requests and never reads the responses is
// disconnected once a response has waited HTTP_WRITE_TIMEOUT, instead of
// holding a connection and its goroutine for ever.
func TestHTTPWriteTimeoutDropsClientsThatDoNotRead(t *testing.T) {
	h := startTracker(t, nil, func(c *config.Config) { c.HTTPWriteTimeout = 300 * time.Millisecond })
	addr := strings.TrimPrefix(h.ts.URL, "http://")
	const open = `swarmbridge_connections_open{transport="http"}`

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Pipelined requests for the 13 KB stylesheet: far more bytes than the
	// socket buffers of both ends hold.
	req := "GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n"
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for range 2000 {
			if _, err := io.WriteString(c, req); err != nil {
				return
			}
		}
	}()
	// The metrics scrape is a keep-alive connection of its own: two while
	// the client is stuck, one once the tracker has dropped it.
	h.waitMetric(open, 2)
	h.waitMetric(open, 1)
	_ = c.Close()
	<-sent
}

// dialRaw opens a TCP connection to addr, closed when the test ends, and
// writes start to it: a request, or the part of one a test needs.
func dialRaw(t *testing.T, addr, start string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := io.WriteString(c, start); err != nil {
		t.Fatal(err)
	}
	return c
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// expectHangUp reads until the server closes c; only a generous deadline
// guards against a server that never does.
func expectHangUp(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 512)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // e.g. a 408 the server sends before closing
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server kept the connection open")
		}
		return
	}
}
