package server_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
)

// After a known mix of traffic on every transport, /metrics says exactly
// what happened.
func TestMetricsAfterKnownTraffic(t *testing.T) {
	tr := servertest.Start(t, nil, nil)
	ts, udp := tr.HTTP, tr.UDP
	ih := strings.Repeat("\x07", 20)

	// HTTP: two started announces and one scrape.
	for i, port := range []string{"7001", "7002"} {
		q := "info_hash=" + url.QueryEscape(ih) + "&peer_id=" + url.QueryEscape(strings.Repeat(string(rune('a'+i)), 20)) + "&port=" + port + "&left=9&event=started"
		get(t, ts.URL+"/announce?"+q)
	}
	get(t, ts.URL+"/scrape?info_hash="+url.QueryEscape(ih))

	// UDP: connect, then a started announce.
	c, err := net.DialUDP("udp", nil, udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	pkt := binary.BigEndian.AppendUint64(nil, 0x41727101980)
	pkt = binary.BigEndian.AppendUint32(pkt, 0)
	pkt = binary.BigEndian.AppendUint32(pkt, 77)
	if _, err := c.Write(pkt); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil || n != 16 {
		t.Fatalf("connect reply: %d %v", n, err)
	}
	ann := append([]byte{}, buf[8:16]...) // connection id
	ann = binary.BigEndian.AppendUint32(ann, 1)
	ann = binary.BigEndian.AppendUint32(ann, 78)
	ann = append(ann, ih...)
	ann = append(ann, strings.Repeat("u", 20)...)
	ann = binary.BigEndian.AppendUint64(ann, 0)
	ann = binary.BigEndian.AppendUint64(ann, 9)
	ann = binary.BigEndian.AppendUint64(ann, 0)
	ann = binary.BigEndian.AppendUint32(ann, 2) // started
	ann = binary.BigEndian.AppendUint32(ann, 0)
	ann = binary.BigEndian.AppendUint32(ann, 0)
	ann = binary.BigEndian.AppendUint32(ann, 0xffffffff)
	ann = binary.BigEndian.AppendUint16(ann, 7003)
	if _, err := c.Write(ann); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(buf); err != nil || n < 20 {
		t.Fatalf("announce reply: %d %v", n, err)
	}

	// WebSocket: A joins, B joins with one offer, A answers it.
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http")
	dial := func() *websocket.Conn {
		dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer dcancel()
		ws, _, err := websocket.Dial(dctx, wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.CloseNow() })
		return ws
	}
	rw := func(ws *websocket.Conn, msg string) string {
		rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer rcancel()
		if msg != "" {
			if err := ws.Write(rctx, websocket.MessageText, []byte(msg)); err != nil {
				t.Fatal(err)
			}
		}
		_, b, err := ws.Read(rctx)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	wsIH := strings.Repeat(`\u0007`, 20)
	a, b := dial(), dial()
	rw(a, `{"action":"announce","event":"started","left":0,"info_hash":"`+wsIH+`","peer_id":"AAAAAAAAAAAAAAAAAAAA"}`)
	rw(b, `{"action":"announce","event":"started","left":5,"info_hash":"`+wsIH+`","peer_id":"BBBBBBBBBBBBBBBBBBBB","offers":[{"offer_id":"OOOOOOOOOOOOOOOOOOOO","offer":{"type":"offer","sdp":"v=0"}}]}`)
	if offer := rw(a, ""); !strings.Contains(offer, `"offer"`) {
		t.Fatalf("A got %s, want the offer", offer)
	}
	// An answer gets no reply of its own; it goes to B.
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := a.Write(wctx, websocket.MessageText, []byte(`{"action":"announce","info_hash":"`+wsIH+`","peer_id":"AAAAAAAAAAAAAAAAAAAA","to_peer_id":"BBBBBBBBBBBBBBBBBBBB","offer_id":"OOOOOOOOOOOOOOOOOOOO","answer":{"type":"answer","sdp":"v=0"}}`)); err != nil {
		t.Fatal(err)
	}
	if got := rw(b, ""); !strings.Contains(got, `"answer"`) {
		t.Fatalf("B got %s, want the answer", got)
	}

	_, body := get(t, ts.URL+"/metrics")
	for _, want := range []string{
		`swarmbridge_requests_total{action="announce",event="started",transport="http"} 2`,
		`swarmbridge_requests_total{action="scrape",event="",transport="http"} 1`,
		`swarmbridge_requests_total{action="connect",event="",transport="udp"} 1`,
		`swarmbridge_requests_total{action="announce",event="started",transport="udp"} 1`,
		`swarmbridge_requests_total{action="announce",event="started",transport="ws"} 2`,
		`swarmbridge_requests_total{action="answer",event="",transport="ws"} 1`,
		`swarmbridge_ws_relayed_total{kind="offer"} 1`,
		`swarmbridge_ws_relayed_total{kind="answer"} 1`,
		`swarmbridge_connections_open{transport="ws"} 2`,
		`swarmbridge_peers{kind="native"} 3`,
		`swarmbridge_peers{kind="webrtc"} 2`,
		`swarmbridge_swarms 1`,
		`swarmbridge_seeders 1`,
		`swarmbridge_leechers 4`,
		`swarmbridge_request_duration_seconds_count{action="announce",transport="http"} 2`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
}

// A peer that stops reading is dropped as a slow consumer, and the offer
// that found its send queue full is counted as queue_full, not as a peer
// that was gone.
func TestMetricsCountAFullSendQueue(t *testing.T) {
	h := startTracker(t, []string{"SWARMBRIDGE_WS_SEND_QUEUE=8"}, nil)
	u := h.wsURL("/")
	ih := hash20(0x51)

	slow := dialWS(t, u, nil) // announces, then never reads
	slow.send(wsAnnounce(ih, hash20(0x52)))

	sender := dialWS(t, u, nil)
	sdp := strings.Repeat("a=candidate:x 1 udp 1 127.0.0.1 9 typ host\r\n", 1200) // ~56 KB: fills socket buffers fast
	for i := 0; i < 5000 && h.metric(`swarmbridge_ws_dropped_total{reason="queue_full"}`) == 0; i++ {
		sender.send(map[string]any{
			"action": "announce", "left": 1, "numwant": 1,
			"info_hash": bin(ih), "peer_id": bin(hash20(0x53)),
			"offers": []any{map[string]any{"offer_id": bin(hash20(byte(i))), "offer": map[string]any{"type": "offer", "sdp": sdp}}},
		})
		if m := sender.next(); m["interval"] == nil {
			t.Fatalf("sender got %v, want its announce response", m)
		}
	}
	h.wantMetric(`swarmbridge_ws_dropped_total{reason="queue_full"}`, 1)
	h.waitMetric(`swarmbridge_ws_connections_closed_total{reason="slow_consumer"}`, 1)
}
