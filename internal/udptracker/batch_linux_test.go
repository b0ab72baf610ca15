//go:build linux && (amd64 || arm64)

package udptracker

import (
	"net"
	"testing"
	"time"
)

// One recvmmsg and one sendmmsg, through the callbacks made once per
// batch, allocate nothing: a busy tracker makes them thousands of times a
// second.
func TestBatchedIOAllocatesNothing(t *testing.T) {
	conn := listen(t, "udp4", "127.0.0.1:0")
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	b := newBatch(64)
	pkt := []byte("ping")
	in := make([]byte, 64)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := cl.Write(pkt); err != nil {
			t.Fatal(err)
		}
		if err := rc.Read(b.recvFn); err != nil || b.errno != 0 || b.n != 1 {
			t.Fatalf("recvmmsg: %v %v, %d datagrams", err, b.errno, b.n)
		}
		// Echo it to its sender, as runBatched answers.
		b.out[0] = append(b.out[0][:0], b.bufs[0][:b.recv[0].len]...)
		b.send[0].hdr.Name = b.recv[0].hdr.Name
		b.send[0].hdr.Namelen = b.recv[0].hdr.Namelen
		b.siov[0].Base = &b.out[0][0]
		b.siov[0].SetLen(len(b.out[0]))
		b.k, b.sent = 1, 0
		if err := rc.Write(b.sendFn); err != nil || b.errno != 0 || b.n != 1 {
			t.Fatalf("sendmmsg: %v %v, %d sent", err, b.errno, b.n)
		}
		if n, err := cl.Read(in); err != nil || string(in[:n]) != "ping" {
			t.Fatalf("echo: %q %v", in[:n], err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per datagram received and answered", n)
	}
}
