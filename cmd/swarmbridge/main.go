// Command swarmbridge runs the tracker: WebTorrent signaling over
// WebSocket, HTTP and UDP announces, and the demo page, on one swarm store.
// It is configured by SWARMBRIDGE_* environment variables; run it with -h
// for the list.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/check"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code (0 after a
// clean shutdown, 1 when the tracker cannot start or stops with an error,
// 2 for a usage or configuration error).
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
		case "migrate":
			return migrate(args[i+1:], environ, stdout, stderr)
		case "admin":
			return adminCommand(args[i+1:], environ, stdout, stderr)
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	// The database (SWARMBRIDGE_DATABASE_URL), migrated and read before
	// any port is taken; nil without one.
	database, closeDB, err := openDatabase(ctx, cfg, log)
	if err != nil {
		log.Error().Err(err).Msg("swarmbridge cannot start")
		return 1
	}
	defer closeDB()

	// In Redis mode this connects and joins the cluster: an unreachable
	// Redis stops start-up with the reason.
	backend, err := server.OpenBackend(ctx, cfg, log)
	if err != nil {
		log.Error().Err(err).Msg("swarmbridge cannot start")
		return 1
	}
	defer backend.Close()

	// New reads the certificate, the list files and the admin token, so a
	// bad one stops start-up before any port is taken.
	srv, err := server.New(server.Options{Config: cfg, Logger: log, Store: backend.Store, Cluster: backend.Cluster, Database: database})
	if err != nil {
		log.Error().Err(err).Msg("swarmbridge cannot start")
		return 1
	}
	ls, err := server.Listen(ctx, cfg)
	if err != nil {
		log.Error().Err(err).Msg("swarmbridge cannot start")
		return 1
	}
	if err := srv.Run(ctx, ls, hup); err != nil {
		log.Error().Err(err).Msg("swarmbridge stopped with an error")
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "swarmbridge: a WebTorrent (WebSocket), HTTP and UDP BitTorrent tracker.\n\n")
	fmt.Fprintf(w, "Usage: swarmbridge             run the tracker\n")
	fmt.Fprintf(w, "       swarmbridge healthcheck exit 0 if the tracker configured by the same variables answers /healthz\n")
	fmt.Fprintf(w, "       swarmbridge check URL...  check HTTP, UDP and WebSocket trackers step by step (swarmbridge check -h)\n")
	fmt.Fprintf(w, "       swarmbridge migrate       bring the database of SWARMBRIDGE_DATABASE_URL to this release's schema and exit\n")
	fmt.Fprintf(w, "       swarmbridge admin ...     manage keys, info hashes and stats of a running tracker (swarmbridge admin -h)\n\n")
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
