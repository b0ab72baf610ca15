package trackerclient

import "time"

// SetClock replaces the clock that ages connection ids.
func SetClock(c *UDPClient, now func() time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
}
