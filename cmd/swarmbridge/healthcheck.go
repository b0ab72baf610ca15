package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
)

// healthcheck asks the tracker that the same SWARMBRIDGE_* variables
// describe for /healthz (the container's HEALTHCHECK): 0 when it answers,
// 1 when it does not, 2 when the variables are not a valid configuration.
func healthcheck(environ []string, stderr io.Writer) int {
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge healthcheck: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.CheckHealth(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "swarmbridge healthcheck: %v\n", err)
		return 1
	}
	return 0
}
