//go:build !linux

package engine

// Without epoll every connection is served by a reader goroutine
// (reader.go); these stand-ins are never used.

type pollerSet struct{}

type poller struct{}

const maxReadsPerWake = 4

// startPollers reports that there are no pollers here.
func startPollers(*Engine, int) (*pollerSet, error) { return nil, nil }

func (*pollerSet) pick(uint64) *poller { return nil }
func (*pollerSet) stop()               {}
func (*poller) add(*Conn) error        { return nil }
func (*poller) remove(*Conn)           {}
