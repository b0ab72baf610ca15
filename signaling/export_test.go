package signaling

// Hooks for the black-box tests (package signaling_test); compiled only
// into tests.

// ServeWithReaderGoroutines makes h serve every connection with a reader
// goroutine, as it serves TLS connections and every connection where there
// is no epoll, so the relay tests cover both read paths. Call it before h
// serves a connection.
func ServeWithReaderGoroutines(h *Handler) {
	h.pollMu.Lock()
	h.noPoll = true
	h.pollMu.Unlock()
}

// PolledConns is how many open connections h's pollers serve.
func PolledConns(h *Handler) int {
	n := 0
	h.each(func(c *conn) {
		if c.poll != nil {
			n++
		}
	})
	return n
}

// CloseWait is how long a close handshake the tracker began may take.
const CloseWait = closeWait
