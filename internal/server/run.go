package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/swarmbridge/swarmbridge/signaling"
)

// sweepEvery is how often a store that sweeps itself forgets expired peers.
const sweepEvery = 30 * time.Second

// sweeper is a swarm store that forgets expired peers only while its Run
// is running (memory.Store).
type sweeper interface {
	Run(ctx context.Context, every time.Duration) error
}

// Run serves ls until ctx ends, then shuts the tracker down in order:
// /readyz fails, the TCP port stops accepting, every WebSocket is closed
// with 1001 (both bounded by SWARMBRIDGE_SHUTDOWN_TIMEOUT), then the UDP
// readers, the store's sweeper and, in a cluster, the node's heartbeat,
// inbox and publisher stop, and the node leaves the cluster. Every goroutine it starts has
// returned when Run returns, and every listener of ls is closed.
//
// Each value received on reload re-reads the certificate and the access
// lists (main passes SIGHUP notifications; nil never reloads). Run itself
// installs no signal handler.
//
// With a database, the watcher that keeps keys and the info hash list
// current and the download flusher run until the transports have drained;
// a last flush follows once everything has stopped. The management API's
// own listener, when it has one, shuts down together with the TCP port.
//
// A UDP or metrics listener that dies makes /readyz fail while the rest
// keeps serving. A TCP listener that dies stops the tracker: Run shuts down
// as above and returns the error. After a shutdown asked by ctx it returns
// nil. Call Run once per Server.
func (s *Server) Run(ctx context.Context, ls Listeners, reload <-chan os.Signal) error {
	if ls.HTTP == nil {
		_ = ls.Close()
		return errors.New("server: Run needs a TCP listener")
	}
	tcp := ls.HTTP
	if s.certs != nil {
		// wss:// connections are then read by the relay's pollers.
		tcp = signaling.NewTLSListener(tcp, s.certs.TLSConfig())
	}
	httpSrv := s.HTTPServer()
	var metricsSrv *http.Server
	if ls.Metrics != nil {
		metricsSrv = s.MetricsServer()
	}
	// UDP and the sweeper outlive ctx until the TCP port has drained.
	background, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()

	// g's context ends with ctx or with the first error, which only the TCP
	// server returns.
	g, stopping := errgroup.WithContext(ctx)
	s.setListener(tcpListener, true)
	g.Go(func() error {
		err := httpSrv.Serve(tcp)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		s.setListener(tcpListener, false)
		err = fmt.Errorf("http server: %w", err)
		s.log.Error().Err(err).Msg("the HTTP listener failed; shutting down")
		return err
	})
	if ls.UDP != nil {
		s.setListener(udpListener, true)
		g.Go(func() error {
			err := s.ServeUDP(background, ls.UDP)
			if background.Err() == nil {
				// The socket died under us. HTTP and WebSocket go on;
				// /readyz reports it so the instance leaves rotation.
				s.setListener(udpListener, false)
				s.log.Error().Err(err).Msg("UDP listener stopped; /readyz now fails")
			}
			return nil
		})
	}
	if metricsSrv != nil {
		s.setListener(metricsListener, true)
		g.Go(func() error {
			if err := metricsSrv.Serve(ls.Metrics); !errors.Is(err, http.ErrServerClosed) {
				s.setListener(metricsListener, false)
				s.log.Error().Err(err).Msg("metrics listener stopped; /readyz now fails")
			}
			return nil
		})
	}
	// The database's watcher and download flusher, and the management
	// API's own listener (database.go, admin.go).
	s.runDatabase(g, background, ls)
	g.Go(func() error {
		s.runCluster(background)
		return nil
	})
	if sw, ok := s.store.(sweeper); ok {
		g.Go(func() error {
			_ = sw.Run(background, sweepEvery) // fails only for a bad interval
			return nil
		})
	}
	s.logListening(ls)

	g.Go(func() error {
		s.serveReloads(stopping, reload)
		if ctx.Err() != nil {
			s.log.Info().Msg("shutting down")
		}
		s.shutdown(ctx, httpSrv, metricsSrv)
		stopBackground()
		return nil
	})
	err := g.Wait()
	if ls.UDP != nil {
		_ = ls.UDP.Close()
	}
	if s.data != nil {
		s.data.finalFlush() // what was counted while the transports drained
	}
	s.log.Info().Msg("stopped")
	return err
}

// serveReloads reloads on every value from reload until ctx ends.
func (s *Server) serveReloads(ctx context.Context, reload <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-reload:
			if !ok {
				reload = nil // closed: nothing more will come
				continue
			}
			s.Reload()
		}
	}
}

// shutdown fails /readyz, then stops the TCP port and closes every
// WebSocket with 1001 at once, waiting at most SHUTDOWN_TIMEOUT; what is
// still open then is dropped. The metrics listener goes last, so /readyz
// reports the drain there until the end.
func (s *Server) shutdown(ctx context.Context, httpSrv, metricsSrv *http.Server) {
	s.drain()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.conf.ShutdownTimeout)
	defer cancel()
	var g errgroup.Group
	g.Go(func() error {
		if err := httpSrv.Shutdown(ctx); err != nil {
			s.log.Warn().Err(err).Msg("http shutdown incomplete")
			_ = httpSrv.Close()
		}
		return nil
	})
	g.Go(func() error {
		if err := s.Shutdown(ctx); err != nil {
			s.log.Warn().Err(err).Msg("websocket shutdown incomplete")
		}
		return nil
	})
	if s.adminSrv != nil {
		g.Go(func() error {
			if err := s.adminSrv.Shutdown(ctx); err != nil {
				_ = s.adminSrv.Close()
			}
			return nil
		})
	}
	_ = g.Wait()
	if metricsSrv != nil {
		_ = metricsSrv.Close()
	}
}

// logListening says where the tracker listens: the start-up line that
// operators and tests read the bound addresses from.
func (s *Server) logListening(ls Listeners) {
	pageURL, wsURL := trackerURLs(s.conf, ls.HTTP.Addr())
	ev := s.log.Info().Str("http_addr", ls.HTTP.Addr().String())
	if ls.UDP != nil {
		ev = ev.Str("udp_addr", ls.UDP.LocalAddr().String())
	} else {
		ev = ev.Str("udp", "disabled")
	}
	if ls.Metrics != nil {
		ev = ev.Str("metrics_addr", ls.Metrics.Addr().String())
	}
	if ls.Admin != nil {
		ev = ev.Str("admin_addr", ls.Admin.Addr().String())
	}
	if s.data != nil {
		ev = ev.Str("database", s.data.db.String())
	}
	ev = ev.Str("page_url", pageURL).
		Str("ws_url", wsURL).
		Str("access", s.AccessSummary())
	s.logStore(ev).Msg("swarmbridge listening")
}
