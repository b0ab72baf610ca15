package signaling

import (
	"crypto/tls"
	"net"

	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
)

// NewTLSListener is tls.NewListener for a Handler's port when the tracker
// terminates TLS itself. The WebSocket connections upgraded from it are
// read by the Handler's pollers where there are any (Linux), so an idle
// wss:// connection costs what an idle ws:// one does: no goroutine and no
// read buffer. TLS handshakes and HTTPS requests are served as through
// tls.NewListener, in the http.Server's goroutine per connection, bounded
// by its timeouts. (TLS connections from any other listener are served
// too, by a reader goroutine each.)
func NewTLSListener(inner net.Listener, config *tls.Config) net.Listener {
	return engine.NewTLSListener(inner, config)
}
