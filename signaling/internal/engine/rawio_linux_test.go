package engine

import (
	"net"
	"testing"

	"github.com/rs/zerolog"
)

// The system calls on the hot paths allocate nothing: a sender's inline
// write, a poller collecting events without waiting, and its read of what
// a socket holds.
func TestRawIOAllocatesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	sraw, err := server.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	craw, err := client.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}

	p, err := newPoller(New(Config{Logger: zerolog.Nop()}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.file.Close()
	c := &Conn{id: 7, raw: sraw}
	if err := p.add(c); err != nil {
		t.Fatal(err)
	}
	defer p.remove(c)

	msg := []byte("a message")
	if n := testing.AllocsPerRun(200, func() {
		// Loopback TCP delivers a small write before write returns.
		if n, err := writeNonblock(craw, msg); err != nil || n != len(msg) {
			t.Fatalf("inline write: %d %v", n, err)
		}
		if !p.collect(uintptr(p.epfd)) || p.err != nil || p.n != 1 || eventConn(&p.events[0]) != 7 {
			t.Fatalf("collect: %d events, %v", p.n, p.err)
		}
		if n, err := p.rd.read(sraw); err != nil || n != len(msg) {
			t.Fatalf("poller read: %d %v", n, err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per message written, polled and read", n)
	}
}
