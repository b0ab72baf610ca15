package trackerclient

import "time"

// SetClock replaces the clock that ages connection ids.
func SetClock(c *UDPClient, now func() time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
}

// ScheduleWait exposes Schedule.wait to the tests.
func ScheduleWait(s Schedule, n int) time.Duration { return s.wait(n) }
