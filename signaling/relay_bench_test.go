//go:build unix

package signaling_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// BenchmarkRelayLoopback measures the relay end to end over real loopback
// sockets: peers in one swarm announce with 10 offers each (1.5 KB of SDP
// apiece), the peers the offers reach answer every other one, and one op is
// one announce with everything it causes delivered (the response, 10
// offers, 5 answers). The peers run in a child process (this test binary
// again, as TestLoopbackPeersProcess), so the CPU the benchmark reports is
// the tracker's alone: server-µs/msg is its CPU time (user + system) per
// delivered message.
//
//	go test -run '^$' -bench RelayLoopback -benchtime 20000x ./signaling/
func BenchmarkRelayLoopback(b *testing.B) {
	for _, path := range []string{"pollers", "reader-goroutines"} {
		b.Run(path, func(b *testing.B) { benchRelay(b, path == "reader-goroutines") })
	}
}

const (
	benchPeers  = 64
	benchOffers = 10
)

func benchRelay(b *testing.B, goroutines bool) {
	h, err := signaling.New(signaling.Config{
		Swarms: signalstore.New(memory.New(memory.Options{}), 5*time.Minute),
		Logger: zerolog.Nop(),
	})
	if err != nil {
		b.Fatal(err)
	}
	if goroutines {
		signaling.ServeWithReaderGoroutines(h)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer func() { _ = h.Shutdown(context.Background()) }()

	cmd := exec.Command(os.Args[0], "-test.run=^TestLoopbackPeersProcess$")
	cmd.Env = append(os.Environ(), "SIGNALING_BENCH_PEERS="+srv.Listener.Addr().String())
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	out := bufio.NewScanner(stdout)
	if !out.Scan() || out.Text() != "ready" {
		b.Fatalf("peers: %q", out.Text())
	}

	b.ResetTimer()
	cpu0 := cpuTime()
	fmt.Fprintf(stdin, "run %d\n", b.N)
	if !out.Scan() {
		b.Fatal("peers stopped")
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	var delivered int
	if _, err := fmt.Sscanf(out.Text(), "done %d", &delivered); err != nil {
		b.Fatalf("peers: %q", out.Text())
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(delivered), "server-µs/msg")
	b.ReportMetric(float64(delivered)/float64(b.N), "msgs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLoopbackPeersProcess is the peers of BenchmarkRelayLoopback, run in a
// child process; it is skipped otherwise. It reads "run N" on stdin, makes
// N announces, and writes "done D" once all D messages they cause arrived.
func TestLoopbackPeersProcess(t *testing.T) {
	addr := os.Getenv("SIGNALING_BENCH_PEERS")
	if addr == "" {
		t.Skip("the peers of BenchmarkRelayLoopback")
	}
	ih := randID()
	sdp := strings.Repeat("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n", 25)
	peers := make([]*benchPeer, benchPeers)
	var stats benchStats
	for i := range peers {
		peers[i] = dialBenchPeer(t, addr, sdp, &stats)
	}
	for _, p := range peers {
		p.write(textFrame(announce(ih, p.id, "started", 10)))
	}
	stats.wait(func() bool { return stats.responses.Load() == benchPeers })
	for _, p := range peers {
		<-p.response
	}
	fmt.Println("ready")

	in := bufio.NewScanner(os.Stdin)
	var n int64
	if !in.Scan() {
		return
	}
	if _, err := fmt.Sscanf(in.Text(), "run %d", &n); err != nil {
		t.Fatal(err)
	}
	stats.responses.Store(0)
	stats.offers.Store(0)
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= n {
				p.announce(ih, sdp)
			}
		}()
	}
	wg.Wait()
	stats.wait(func() bool {
		return stats.responses.Load() == n && stats.offers.Load() == n*benchOffers &&
			stats.answers.Load() == stats.answered.Load()
	})
	fmt.Printf("done %d\n", stats.responses.Load()+stats.offers.Load()+stats.answers.Load())
	in.Scan() // until the benchmark is over
	for _, p := range peers {
		_ = p.nc.Close()
	}
}

type benchStats struct {
	responses, offers, answered, answers atomic.Int64
}

func (s *benchStats) wait(done func() bool) {
	deadline := time.Now().Add(5 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			panic("benchmark peers: messages missing")
		}
		time.Sleep(200 * time.Microsecond)
	}
}

type benchPeer struct {
	id       []byte
	nc       net.Conn
	wmu      sync.Mutex
	stats    *benchStats
	response chan struct{}
	seen     int // offers received, to answer every other one
}

func dialBenchPeer(t *testing.T, addr, sdp string, stats *benchStats) *benchPeer {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey()
	if _, err := io.WriteString(nc, handshakeRequest(key)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v", err)
	}
	p := &benchPeer{id: randID(), nc: nc, stats: stats, response: make(chan struct{}, 1)}
	rc := &rawClient{t: t, nc: nc, br: br}
	go p.readLoop(rc, sdp)
	return p
}

func (p *benchPeer) write(b []byte) {
	p.wmu.Lock()
	_, _ = p.nc.Write(b)
	p.wmu.Unlock()
}

func (p *benchPeer) announce(ih []byte, sdp string) {
	offers := make([]offer, benchOffers)
	for i := range offers {
		offers[i] = offer{id: randID(), sdp: sdp}
	}
	p.write(textFrame(announce(ih, p.id, "", 10, offers...)))
	<-p.response
}

func (p *benchPeer) readLoop(rc *rawClient, sdp string) {
	for {
		_ = rc.nc.SetReadDeadline(time.Time{})
		op, payload, err := rc.readFrame()
		if err != nil {
			return
		}
		if op == opPing {
			p.write(frame(true, opPong, payload))
			continue
		}
		var m msg
		if err := json.Unmarshal(payload, &m); err != nil {
			continue
		}
		switch {
		case m["offer"] != nil:
			p.stats.offers.Add(1)
			p.seen++
			if p.seen%2 == 0 {
				p.stats.answered.Add(1)
				p.write(textFrame(map[string]any{
					"action": "announce", "info_hash": m.str("info_hash"), "peer_id": bin(p.id),
					"to_peer_id": m.str("peer_id"), "offer_id": m.str("offer_id"),
					"answer": map[string]any{"type": "answer", "sdp": sdp},
				}))
			}
		case m["answer"] != nil:
			p.stats.answers.Add(1)
		case m.str("action") == "announce" && m["failure reason"] == nil:
			p.stats.responses.Add(1)
			select {
			case p.response <- struct{}{}:
			default:
			}
		}
	}
}
