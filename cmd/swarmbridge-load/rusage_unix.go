//go:build unix

package main

import (
	"syscall"
	"time"
)

// cpuSelf returns this process's user+system CPU time (getrusage).
func cpuSelf() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
