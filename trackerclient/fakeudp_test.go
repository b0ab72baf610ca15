package trackerclient_test

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"testing"
)

// fakeUDP is a UDP "tracker" whose replies a test scripts: handle gets
// every datagram and returns the datagrams to send back.
type fakeUDP struct {
	addr string
	mu   sync.Mutex
	got  [][]byte
}

func startFakeUDP(t *testing.T, handle func(pkt []byte) [][]byte) *fakeUDP {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeUDP{addr: pc.LocalAddr().String()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFromUDP(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			pkt := append([]byte(nil), buf[:n]...)
			f.mu.Lock()
			f.got = append(f.got, pkt)
			f.mu.Unlock()
			for _, r := range handle(pkt) {
				_, _ = pc.WriteToUDP(r, from)
			}
		}
	}()
	t.Cleanup(func() { _ = pc.Close(); <-done })
	return f
}

func (f *fakeUDP) URL() string { return "udp://" + f.addr + "/announce" }

// packets returns the datagrams received so far.
func (f *fakeUDP) packets() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.got...)
}

// last returns the last datagram received with the action.
func (f *fakeUDP) last(action uint32) []byte {
	var l []byte
	for _, p := range f.packets() {
		if len(p) >= 12 && binary.BigEndian.Uint32(p[8:]) == action {
			l = p
		}
	}
	return l
}

// withAction lists the datagrams received with the action.
func (f *fakeUDP) withAction(action uint32) [][]byte {
	var l [][]byte
	for _, p := range f.packets() {
		if len(p) >= 12 && binary.BigEndian.Uint32(p[8:]) == action {
			l = append(l, p)
		}
	}
	return l
}

func (f *fakeUDP) count(action uint32) int {
	n := 0
	for _, p := range f.packets() {
		if len(p) >= 12 && binary.BigEndian.Uint32(p[8:]) == action {
			n++
		}
	}
	return n
}

func tidOf(pkt []byte) []byte { return pkt[12:16] }

func reply(action uint32, tid []byte, body ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, action)
	b = append(b, tid...)
	for _, x := range body {
		b = append(b, x...)
	}
	return b
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// honest answers connects with cid 7 and announces with one peer; other
// actions are up to next.
func honest(next func(pkt []byte) [][]byte) func([]byte) [][]byte {
	return func(pkt []byte) [][]byte {
		if len(pkt) < 16 {
			return nil
		}
		switch binary.BigEndian.Uint32(pkt[8:]) {
		case 0:
			return [][]byte{reply(0, tidOf(pkt), u64(7))}
		}
		if next != nil {
			return next(pkt)
		}
		return [][]byte{reply(1, tidOf(pkt), u32(900), u32(2), u32(3), []byte{10, 0, 0, 1, 0x1a, 0xe1})}
	}
}
