//go:build linux && (amd64 || arm64)

package udptracker

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batching is true: workers use recvmmsg and sendmmsg, so a busy tracker
// makes two system calls per batch of up to batchSize requests instead of
// two per request. On a VM a system call costs several microseconds, more
// than answering an announce.
const batching = true

const (
	batchSize = 32
	// slotSize holds every request served (maxRequestLen). Longer
	// datagrams arrive truncated (MSG_TRUNC) and are dropped as malformed,
	// as the one-datagram reader drops them.
	slotSize = maxRequestLen
)

// mmsghdr is struct mmsghdr on 64-bit Linux (x/sys/unix does not define
// it).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// batch is one worker's receive and send state. It lives on the heap for
// the worker's life: the kernel reads and writes it through the pointers
// in the headers, so it must not move, and reusing it keeps the hot path
// free of allocations.
type batch struct {
	recv  [batchSize]mmsghdr
	riov  [batchSize]unix.Iovec
	names [batchSize]unix.RawSockaddrInet6
	bufs  [batchSize][slotSize]byte

	send [batchSize]mmsghdr
	siov [batchSize]unix.Iovec
	out  [batchSize][]byte

	// Results of the last system call, and the callbacks handed to the
	// RawConn, made once so that no closure is allocated per batch.
	n       int
	errno   unix.Errno
	sent, k int
	recvFn  func(fd uintptr) bool
	sendFn  func(fd uintptr) bool
}

func newBatch(replyCap int) *batch {
	b := new(batch)
	for i := range b.recv {
		b.riov[i].Base = &b.bufs[i][0]
		b.riov[i].SetLen(slotSize)
		h := &b.recv[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Iov = &b.riov[i]
		h.SetIovlen(1)
		b.out[i] = make([]byte, 0, replyCap)
		b.send[i].hdr.Iov = &b.siov[i]
		b.send[i].hdr.SetIovlen(1)
	}
	b.recvFn = b.recvmmsg
	b.sendFn = b.sendmmsg
	return b
}

// recvmmsg is the RawConn.Read callback: it returns false to wait in Go's
// poller until the socket is readable.
func (b *batch) recvmmsg(fd uintptr) bool {
	for i := range b.recv {
		b.recv[i].hdr.Namelen = unix.SizeofSockaddrInet6
		b.recv[i].hdr.Flags = 0
		b.recv[i].len = 0
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.recv[0])), batchSize, unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN {
		return false
	}
	b.n, b.errno = int(r), e
	return true
}

// sendmmsg is the RawConn.Write callback for replies sent..k.
func (b *batch) sendmmsg(fd uintptr) bool {
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.send[b.sent])), uintptr(b.k-b.sent), unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN {
		return false
	}
	b.n, b.errno = int(r), e
	return true
}

// runBatched is run with recvmmsg/sendmmsg.
func (w *worker) runBatched(ctx context.Context, conn *net.UDPConn) error {
	rc, err := conn.SyscallConn()
	if err != nil {
		return w.runSingle(ctx, conn)
	}
	b := newBatch(cap(w.out))
	for {
		err := rc.Read(b.recvFn)
		n, errno := b.n, b.errno
		if err != nil {
			if err := w.readErr(ctx, err); err != errKeepReading {
				return err
			}
			continue
		}
		if errno != 0 {
			if errno != unix.EINTR {
				if err := w.readErr(ctx, errno); err != errKeepReading {
					return err
				}
			}
			continue
		}
		k := 0
		if w.s.cfg.blocking {
			k = w.handleConcurrently(ctx, b, n)
		}
		for i := range n {
			if w.s.cfg.blocking {
				break
			}
			m := &b.recv[i]
			if m.hdr.Flags&unix.MSG_TRUNC != 0 {
				w.st.inc(cMalformed)
				continue
			}
			from, ok := addrPortOf(&b.names[i])
			if !ok {
				continue
			}
			k = b.addReply(k, i, w.handle(ctx, b.bufs[i][:m.len], from))
		}
		if k > 0 {
			if done := w.sendBatch(rc, b, k); done {
				return nil
			}
		}
	}
}

// addReply copies reply, the answer to datagram i, into send slot k and
// returns the next free slot; a nil reply (a dropped request) takes none.
func (b *batch) addReply(k, i int, reply []byte) int {
	if reply == nil {
		return k
	}
	m := &b.recv[i]
	// Answer the address exactly as received (mapped on a dual-stack
	// socket) so the kernel picks the same family.
	b.out[k] = append(b.out[k][:0], reply...)
	s := &b.send[k]
	s.hdr.Name = m.hdr.Name
	s.hdr.Namelen = m.hdr.Namelen
	b.siov[k].Base = &b.out[k][0]
	b.siov[k].SetLen(len(b.out[k]))
	return k + 1
}

// handleConcurrently answers the n datagrams of b when the store may
// block: the announces and scrapes each on a goroutine of their own, with
// a worker state of their own, so that their store calls are in flight
// together (and share round trips) instead of one after another. Connects
// need no store and are answered on the spot. Replies go into the send
// slots in datagram order; it returns how many there are.
func (w *worker) handleConcurrently(ctx context.Context, b *batch, n int) int {
	if w.slots == nil {
		w.slots = make([]*worker, batchSize)
		w.replies = make([][]byte, batchSize)
	}
	var wg sync.WaitGroup
	for i := range n {
		w.replies[i] = nil
		m := &b.recv[i]
		if m.hdr.Flags&unix.MSG_TRUNC != 0 {
			w.st.inc(cMalformed)
			continue
		}
		from, ok := addrPortOf(&b.names[i])
		if !ok {
			continue
		}
		pkt := b.bufs[i][:m.len]
		if w.slots[i] == nil {
			w.slots[i] = w.s.newWorkerOn(w.st)
		}
		slot := w.slots[i]
		if !needsStore(pkt) {
			w.replies[i] = slot.handle(ctx, pkt, from)
			continue
		}
		wg.Go(func() { w.replies[i] = slot.handle(ctx, pkt, from) })
	}
	wg.Wait()
	k := 0
	for i := range n {
		k = b.addReply(k, i, w.replies[i])
	}
	return k
}

// sendBatch sends the first k replies. A reply the kernel refuses (the
// sender vanished, a full buffer) is counted and skipped; the others still
// go. It reports whether the socket is closed.
func (w *worker) sendBatch(rc syscall.RawConn, b *batch, k int) bool {
	b.k = k
	for b.sent = 0; b.sent < k; {
		if err := rc.Write(b.sendFn); err != nil {
			return true // closed: nothing more can be sent
		}
		switch {
		case b.errno == unix.EINTR:
		case b.errno != 0:
			// The first remaining reply failed; skip it.
			w.st.inc(cWriteErrors)
			w.s.errLog.Warn().Err(b.errno).Msg("udp write failed")
			b.sent++
		default:
			b.sent += b.n
		}
	}
	return false
}

// addrPortOf reads the source address the kernel filled in.
func addrPortOf(sa *unix.RawSockaddrInet6) (netip.AddrPort, bool) {
	switch sa.Family {
	case unix.AF_INET6:
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port), true
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port), true
	}
	return netip.AddrPort{}, false
}
