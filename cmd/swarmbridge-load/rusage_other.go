//go:build !unix

package main

import "time"

// cpuSelf is not measured on systems without getrusage.
func cpuSelf() time.Duration { return 0 }
