// Command swarmbridge runs the tracker: WebTorrent signaling over
// WebSocket, HTTP and UDP announces, and the demo page, on one swarm store.
// It is configured by SWARMBRIDGE_* environment variables; run it with -h
// for the list.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/certs"
	"github.com/swarmbridge/swarmbridge/internal/check"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args, environ []string, stdout, stderr io.Writer) int {
	for i, a := range args {
		switch a {
		case "-h", "-help", "--help", "help":
			usage(stdout)
			return 0
		case "healthcheck":
			return healthcheck(environ, stderr)
		case "check":
			return check.Command(args[i+1:], stdout, stderr)
		default:
			fmt.Fprintf(stderr, "swarmbridge: unknown argument %q; it takes no arguments, only SWARMBRIDGE_* environment variables (see -h)\n", a)
			return 2
		}
	}
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ls, err := listen(cfg)
	if err != nil {
		log.Error().Err(err).Msg("swarmbridge cannot start")
		return 1
	}
	if err := serve(ctx, cfg, log, ls); err != nil {
		log.Error().Err(err).Msg("swarmbridge stopped with an error")
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "swarmbridge: a WebTorrent (WebSocket), HTTP and UDP BitTorrent tracker.\n\n")
	fmt.Fprintf(w, "Usage: swarmbridge             run the tracker\n")
	fmt.Fprintf(w, "       swarmbridge healthcheck exit 0 if the tracker configured by the same variables answers /healthz\n")
	fmt.Fprintf(w, "       swarmbridge check URL...  check HTTP and UDP trackers step by step (swarmbridge check -h)\n\n")
	fmt.Fprintf(w, "Configure it with environment variables:\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, v := range config.Vars() {
		def := v.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, def, v.Help)
	}
	_ = tw.Flush()
}

func newLogger(cfg config.Config, w io.Writer) zerolog.Logger {
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		level = zerolog.InfoLevel // Validate already refused anything else
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// serve runs the tracker until ctx ends, then shuts it down in order: stop
// accepting, close WebSockets with 1001, stop the UDP readers and the
// store's sweeper, and wait for all of them.
func serve(ctx context.Context, cfg config.Config, log zerolog.Logger, ls *listeners) error {
	store := memory.New(memory.Options{})
	srv, err := server.New(server.Options{Config: cfg, Logger: log, Store: store})
	if err != nil {
		ls.close()
		return err
	}

	ln, udpConn, metricsLn := ls.http, ls.udp, ls.metrics
	var tlsCerts *certs.Reloader
	if cfg.TLSCert != "" {
		if tlsCerts, err = certs.New(cfg.TLSCert, cfg.TLSKey); err != nil {
			ls.close()
			return err
		}
		ln = tls.NewListener(ln, tlsCerts.TLSConfig())
	}
	httpSrv := srv.HTTPServer()

	var wg sync.WaitGroup
	errc := make(chan error, 1)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	if udpConn != nil {
		srv.SetListener("udp", true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := srv.ServeUDP(runCtx, udpConn)
			if runCtx.Err() == nil {
				// The socket died under us. HTTP and WebSocket go on;
				// /readyz reports it so the instance leaves rotation.
				srv.SetListener("udp", false)
				log.Error().Err(err).Msg("UDP listener stopped; /readyz now fails")
			}
		}()
	}
	var metricsSrv *http.Server
	if metricsLn != nil {
		metricsSrv = srv.MetricsServer()
		srv.SetListener("metrics", true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := metricsSrv.Serve(metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				srv.SetListener("metrics", false)
				log.Error().Err(err).Msg("metrics listener stopped; /readyz now fails")
			}
		}()
	}
	srv.SetListener("tcp", true)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.SetListener("tcp", false)
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		_ = store.Run(runCtx, 30*time.Second)
	}()
	pageURL, wsURL := trackerURLs(cfg, ln.Addr())
	ev := log.Info().Str("http_addr", ln.Addr().String())
	if udpConn != nil {
		ev = ev.Str("udp_addr", udpConn.LocalAddr().String())
	} else {
		ev = ev.Str("udp", "disabled")
	}
	if metricsLn != nil {
		ev = ev.Str("metrics_addr", metricsLn.Addr().String())
	}
	ev.Str("page_url", pageURL).
		Str("ws_url", wsURL).
		Str("access", srv.AccessSummary()).
		Msg("swarmbridge listening")

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var runErr error
wait:
	for {
		select {
		case <-ctx.Done():
			log.Info().Msg("shutting down")
			break wait
		case runErr = <-errc:
			log.Error().Err(runErr).Msg("the HTTP listener failed; shutting down")
			break wait
		case <-hup:
			reload(log, tlsCerts, srv)
		}
	}
	srv.Drain()

	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancelShutdown()
	var sw sync.WaitGroup
	sw.Add(2)
	go func() {
		defer sw.Done()
		if err := httpSrv.Shutdown(shutdownCtx); err != nil {
			log.Warn().Err(err).Msg("http shutdown incomplete")
			_ = httpSrv.Close()
		}
	}()
	go func() {
		defer sw.Done()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn().Err(err).Msg("websocket shutdown incomplete")
		}
	}()
	sw.Wait()
	if metricsSrv != nil {
		_ = metricsSrv.Close()
	}
	cancel() // stops the UDP readers and the sweeper
	wg.Wait()
	if udpConn != nil {
		_ = udpConn.Close()
	}
	log.Info().Msg("stopped")
	return runErr
}
