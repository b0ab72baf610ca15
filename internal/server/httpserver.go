package server

import (
	"net"
	"net/http"
)

// HTTPServer returns the http.Server for the tracker's TCP port:
// HANDSHAKE_TIMEOUT bounds how long a new connection may take to send a
// request (TLS handshake included; the body too, so a body dripped a byte
// at a time cannot hold a connection) and how long an idle keep-alive
// connection is kept; HTTP_WRITE_TIMEOUT bounds sending a response to a
// client that does not read. A WebSocket upgrade hijacks the connection,
// which clears both deadlines.
func (s *Server) HTTPServer() *http.Server {
	srv := s.httpServer(s)
	srv.ConnState = s.HTTPConnState
	return srv
}

// MetricsServer returns the http.Server for SWARMBRIDGE_METRICS_ADDR, with
// the same timeouts as the tracker's port.
func (s *Server) MetricsServer() *http.Server { return s.httpServer(s.metricsHandler()) }

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.conf.HandshakeTimeout,
		ReadTimeout:       s.conf.HandshakeTimeout,
		WriteTimeout:      s.conf.HTTPWriteTimeout,
		IdleTimeout:       s.conf.HandshakeTimeout,
	}
}

// HTTPConnState counts HTTP connections for the metrics; set it as the
// http.Server's ConnState.
func (s *Server) HTTPConnState(_ net.Conn, state http.ConnState) {
	s.metrics.HTTPConnState(state)
}
