package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/admin"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/server"
)

// openTimeout bounds connecting to the database, migrating it and reading
// the keys, lists and counts at start-up.
const openTimeout = 60 * time.Second

// openDatabase opens SWARMBRIDGE_DATABASE_URL, applies pending migrations
// (db.Open logs the schema version, and refuses a schema newer than this
// binary) and reads what the tracker starts from. Without a database it
// returns nil and a no-op close.
func openDatabase(ctx context.Context, cfg config.Config, log zerolog.Logger) (*server.Database, func(), error) {
	if cfg.DatabaseURL == "" {
		return nil, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	d, err := db.Open(ctx, cfg.DatabaseURL, db.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	database, err := server.LoadDatabase(ctx, d, nil)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return database, func() { _ = d.Close() }, nil
}

// migrate is `swarmbridge migrate`: it brings the database to the schema
// this binary knows and exits, for operators who upgrade the schema as a
// step of its own (the tracker also migrates at start-up). Exit codes: 0
// done, 1 the database failed or is newer than this binary, 2 usage.
func migrate(args, environ []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "swarmbridge migrate: takes no arguments, only SWARMBRIDGE_DATABASE_URL\n")
		return 2
	}
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge migrate: %v\n", err)
		return 2
	}
	if cfg.DatabaseURL == "" {
		fmt.Fprintf(stderr, "swarmbridge migrate: SWARMBRIDGE_DATABASE_URL is not set (sqlite:///path/swarmbridge.db or postgres://user:password@host:5432/dbname)\n")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	d, err := db.Open(ctx, cfg.DatabaseURL, db.WithoutMigrate())
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge migrate: %v\n", err)
		return 1
	}
	defer d.Close()
	from, to, err := d.Migrate(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge migrate: %v\n", err)
		return 1
	}
	if from == to {
		fmt.Fprintf(stdout, "%s: schema version %d, already current\n", d, to)
	} else {
		fmt.Fprintf(stdout, "%s: schema version %d (migrated from %d)\n", d, to, from)
	}
	return 0
}

// adminCommand is `swarmbridge admin`: the management API's command line,
// against SWARMBRIDGE_ADMIN_URL or the local SWARMBRIDGE_ADMIN_ADDR, with
// the token from SWARMBRIDGE_ADMIN_TOKEN_FILE (or its flags).
func adminCommand(args, environ []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return admin.RunCLIEnv(ctx, args, getenv(environ), stdout, stderr)
}

// getenv looks names up in environ (os.Environ's form); the last
// assignment wins, as in a shell.
func getenv(environ []string) func(string) string {
	return func(name string) string {
		v := ""
		for _, kv := range environ {
			if k, val, ok := strings.Cut(kv, "="); ok && k == name {
				v = val
			}
		}
		return v
	}
}
