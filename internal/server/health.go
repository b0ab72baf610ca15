package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// serveHealth answers /healthz: the process is alive and serving HTTP.
func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// listener names one of the sockets the tracker serves, for /readyz.
type listener uint8

const (
	tcpListener     listener = iota // SWARMBRIDGE_HTTP_ADDR
	udpListener                     // SWARMBRIDGE_UDP_ADDR
	metricsListener                 // SWARMBRIDGE_METRICS_ADDR
	listenerCount
)

// String is the word /readyz prints ("udp listener down").
func (l listener) String() string {
	switch l {
	case tcpListener:
		return "tcp"
	case udpListener:
		return "udp"
	case metricsListener:
		return "metrics"
	}
	return fmt.Sprintf("listener(%d)", uint8(l))
}

// readiness tracks which listeners are up and whether the tracker is
// draining, for /readyz.
type readiness struct {
	mu       sync.Mutex
	serving  [listenerCount]bool // the listener was ever started
	up       [listenerCount]bool
	draining bool
}

// setListener records that l is serving (true) or has failed or stopped
// (false). Every listener ever started must be up for /readyz to pass; one
// that is off (UDP with SWARMBRIDGE_UDP_ADDR empty) is never started.
func (s *Server) setListener(l listener, up bool) {
	s.ready.mu.Lock()
	defer s.ready.mu.Unlock()
	s.ready.serving[l] = true
	s.ready.up[l] = up
}

// drain makes /readyz fail from now on, so load balancers stop sending new
// clients while shutdown closes the existing ones.
func (s *Server) drain() {
	s.ready.mu.Lock()
	s.ready.draining = true
	s.ready.mu.Unlock()
}

// serveReady answers /readyz: 200 when every listener is up, the tracker is
// not draining, the swarm store answers and, in a cluster, the node is in
// it; 503 with the reasons otherwise.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	var problems []string
	s.ready.mu.Lock()
	if s.ready.draining {
		problems = append(problems, "shutting down")
	}
	started := false
	for l := range listenerCount {
		started = started || s.ready.serving[l]
		if s.ready.serving[l] && !s.ready.up[l] {
			problems = append(problems, l.String()+" listener down")
		}
	}
	if !started {
		problems = append(problems, "no listener up yet")
	}
	s.ready.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	problems = append(problems, s.storeProblems(ctx)...)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(strings.Join(problems, "\n") + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
