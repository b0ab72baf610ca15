package udptracker

import (
	"time"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
)

// newTestStore returns the store the tests run against: the real
// in-memory store, so the tests also cover how this package drives it.
func newTestStore(now func() time.Time) swarm.Store {
	return memory.New(memory.Options{Now: now})
}
