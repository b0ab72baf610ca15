//go:build !linux

package signaling

// Without epoll every connection is served by a reader goroutine
// (reader.go); these stand-ins are never used.

type pollerSet struct{}

type poller struct{}

// startPollers reports that there are no pollers here.
func startPollers(*Handler, int) (*pollerSet, error) { return nil, nil }

func (*pollerSet) pick(ConnID) *poller { return nil }
func (*pollerSet) stop()               {}
func (*poller) add(*conn) error        { return nil }
func (*poller) remove(*conn)           {}
