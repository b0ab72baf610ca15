package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// watch runs the checks every o.watch until ctx ends, printing each run
// and serving the latest results on o.metricsAddr/metrics.
func watch(ctx context.Context, c *Checker, o *options, stdout, stderr io.Writer) int {
	col := newCollector()
	reg := prometheus.NewRegistry()
	if err := reg.Register(col); err != nil {
		fmt.Fprintf(stderr, "swarmbridge check: %v\n", err)
		return exitFail
	}
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge check: -metrics-addr: %v\n", err)
		return exitFail
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "swarmbridge check: serving metrics on http://%s/metrics, checking every %s\n", ln.Addr(), o.watch)

	code := exitOK
	for {
		rep := c.Run(ctx, o.urls)
		if ctx.Err() != nil {
			break // an interrupted run proves nothing about the trackers
		}
		col.update(rep.Trackers)
		if err := write(stdout, rep, o.json); err != nil {
			fmt.Fprintf(stderr, "swarmbridge check: %v\n", err)
		}
		t := time.NewTimer(o.watch)
		select {
		case <-ctx.Done():
			t.Stop()
		case err := <-served:
			t.Stop()
			fmt.Fprintf(stderr, "swarmbridge check: metrics server: %v\n", err)
			return exitFail
		case <-t.C:
			continue
		}
		break
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "swarmbridge check: metrics server: %v\n", err)
		code = exitFail
	}
	return code
}
