package signaling

import "github.com/swarmbridge/swarmbridge/signaling/internal/engine"

// Hooks for the black-box tests (package signaling_test); compiled only
// into tests.

// ServeWithReaderGoroutines makes h serve every connection with a reader
// goroutine, as it serves TLS connections and every connection where there
// is no epoll, so the relay tests cover both read paths. Call it before h
// serves a connection.
func ServeWithReaderGoroutines(h *Handler) { h.eng.ServeWithReaderGoroutines() }

// PolledConns is how many open connections h's pollers serve.
func PolledConns(h *Handler) int { return h.eng.PolledConns() }

// CloseWait is how long a close handshake the tracker began may take.
const CloseWait = engine.CloseWait
