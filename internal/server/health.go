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

// readiness tracks which listeners are up and whether the tracker is
// draining, for /readyz.
type readiness struct {
	mu       sync.Mutex
	up       map[string]bool
	draining bool
}

// SetListener records that the named listener ("tcp", "udp", "metrics")
// is serving (true) or has failed or stopped (false). Every listener ever
// named must be up for /readyz to pass.
func (s *Server) SetListener(name string, up bool) {
	s.ready.mu.Lock()
	defer s.ready.mu.Unlock()
	if s.ready.up == nil {
		s.ready.up = map[string]bool{}
	}
	s.ready.up[name] = up
}

// Drain makes /readyz fail from now on, so load balancers stop sending new
// clients while shutdown closes the existing ones.
func (s *Server) Drain() {
	s.ready.mu.Lock()
	s.ready.draining = true
	s.ready.mu.Unlock()
}

// serveReady answers /readyz: 200 when every listener is up, the tracker is
// not draining and the swarm store answers; 503 with the reasons otherwise.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	var problems []string
	s.ready.mu.Lock()
	if s.ready.draining {
		problems = append(problems, "shutting down")
	}
	if len(s.ready.up) == 0 {
		problems = append(problems, "no listener up yet")
	}
	for name, up := range s.ready.up {
		if !up {
			problems = append(problems, name+" listener down")
		}
	}
	s.ready.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Totals(ctx); err != nil {
		problems = append(problems, fmt.Sprintf("swarm store unreachable: %v", err))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(strings.Join(problems, "\n") + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
