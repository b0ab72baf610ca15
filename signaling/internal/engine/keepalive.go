package engine

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// One timer per connection does all its timekeeping, so an idle connection
// costs no goroutine:
//
//   - a ping every PingInterval: pings keep proxies from closing idle
//     connections and find peers that vanished without closing;
//   - ClosePingTimeout when nothing at all (pongs included) came for
//     PingInterval + PongTimeout;
//   - CloseIdle when no message came for IdleTimeout (pongs do not count:
//     an abandoned page that still answers pings is idle);
//   - during a close handshake the tracker began, dropping the socket when
//     the client has not answered within CloseWait.
//
// The read side only records when bytes and messages came (consume); the
// timer compares, so busy connections cost no timer resets.

// armTimer starts the timer when pings or IdleTimeout need it.
func (c *Conn) armTimer() {
	ping, idle := c.e.cfg.PingInterval, c.e.cfg.IdleTimeout
	if ping <= 0 && idle <= 0 {
		return
	}
	next := time.Duration(math.MaxInt64)
	c.mu.Lock()
	defer c.mu.Unlock()
	if ping > 0 {
		// Spread the first ping so connections opened together do not
		// ping together forever.
		next = ping/2 + rand.N(ping/2+1)
		c.nextPing = int64(next)
	}
	if idle > 0 {
		next = min(next, idle)
	}
	c.timer = time.AfterFunc(next, c.tick)
}

// armCloseWait gives the client CloseWait to answer the close frame the
// tracker sent.
func (c *Conn) armCloseWait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.closeBy = c.since() + int64(CloseWait)
	if c.timer == nil {
		c.timer = time.AfterFunc(CloseWait, c.tick)
		return
	}
	c.timer.Reset(CloseWait)
}

// tick is the timer's callback.
func (c *Conn) tick() {
	now := c.since()
	c.mu.Lock()
	switch {
	case c.done:
		c.mu.Unlock()
		return
	case c.reason != closeReasonNone:
		if c.closeBy == 0 || now < c.closeBy {
			if c.closeBy != 0 {
				c.timer.Reset(time.Duration(c.closeBy - now))
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.abort()
		return
	}
	reason, ping, next := c.checkLocked(now)
	if reason == closeReasonNone {
		c.timer.Reset(time.Duration(next))
	}
	c.mu.Unlock()
	if reason != closeReasonNone {
		c.Close(reason)
		return
	}
	if ping {
		c.sendControl(wsproto.OpPing, nil)
	}
}

// checkLocked decides, at now, whether the connection must close, whether
// to ping it, and in how many ns to look again.
func (c *Conn) checkLocked(now int64) (reason CloseReason, ping bool, next int64) {
	cfg := &c.e.cfg
	next = math.MaxInt64
	if cfg.PingInterval > 0 {
		limit := int64(cfg.PingInterval + cfg.PongTimeout)
		quiet := now - c.lastSeen.Load()
		if quiet >= limit {
			return ClosePingTimeout, false, 0
		}
		if now >= c.nextPing {
			ping = true
			c.nextPing = now + int64(cfg.PingInterval)
		}
		next = min(c.nextPing-now, limit-quiet)
	}
	if cfg.IdleTimeout > 0 {
		quiet := now - c.lastMsg.Load()
		if quiet >= int64(cfg.IdleTimeout) {
			return CloseIdle, false, 0
		}
		next = min(next, int64(cfg.IdleTimeout)-quiet)
	}
	return closeReasonNone, ping, next
}
