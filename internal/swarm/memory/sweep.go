package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Sweep removes expired entries from every swarm and deletes the swarms
// left empty. It locks one shard at a time, so announces to other shards go
// on meanwhile. Expired entries are already invisible before a sweep; it
// only gives their memory back and brings Totals up to date.
func (st *Store) Sweep() {
	for i := range st.shards {
		st.sweepShard(&st.shards[i], st.now().UnixNano())
	}
}

func (st *Store) sweepShard(sh *shard, now int64) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for ih, s := range sh.swarms {
		sh.expire(s, now)
		if s.size() == 0 {
			delete(sh.swarms, ih)
			continue
		}
		for list := range s.lists {
			s.lists[list] = shrink(s.lists[list])
		}
	}
}

// Run calls Sweep every interval until ctx is done, then returns nil. The
// Store never sweeps by itself; the caller decides where this runs.
func (st *Store) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("memory: sweep interval %v is not positive: %w", every, swarm.ErrInvalid)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			st.Sweep()
		}
	}
}
