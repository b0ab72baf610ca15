package engine

import (
	"crypto/tls"
	"time"
)

// A TLS connection's crypto/tls buffers are let go once its read side has
// been idle for a while (tlsrelease.go), not after every read: the next
// record would need them again at once on a busy connection, at the cost
// of an allocation and an extra read. Each poller keeps the TLS
// connections it read lately and looks at them every tlsIdleAfter, by a
// read deadline on its epoll descriptor, only while there are any: a
// connection without a turn since the last look is idle. So an idle
// connection holds no buffer after one to two tlsIdleAfter, and a busy one
// costs a flag per turn.

// noteTLSBusy records a turn of c's read side; it runs there, on p.
func (p *poller) noteTLSBusy(c *Conn) {
	c.sock.busy = true
	if c.sock.listed {
		return
	}
	c.sock.listed = true
	p.tlsBusy = append(p.tlsBusy, c)
	if !p.sweepArmed {
		p.sweepArmed = true
		_ = p.file.SetReadDeadline(time.Now().Add(tlsIdleAfter))
	}
}

// sweepTLS lets go of the buffers of the listed connections that had no
// turn since the last sweep, and forgets them and the ones that ended.
func (p *poller) sweepTLS() {
	keep := p.tlsBusy[:0]
	for _, c := range p.tlsBusy {
		c.rmu.Lock()
		switch {
		case c.ended:
			c.sock.listed = false
		case c.sock.busy:
			c.sock.busy = false
			keep = append(keep, c)
		default:
			releaseTLSBuffers(c.nc.(*tls.Conn))
			c.sock.listed = false
		}
		c.rmu.Unlock()
	}
	clear(p.tlsBusy[len(keep):])
	p.tlsBusy = keep
	var next time.Time
	if p.sweepArmed = len(keep) > 0; p.sweepArmed {
		next = time.Now().Add(tlsIdleAfter)
	}
	_ = p.file.SetReadDeadline(next)
}
