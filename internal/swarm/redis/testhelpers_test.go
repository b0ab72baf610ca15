package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// DeleteKeys removes every key that starts with prefix from every node,
// so tests on a shared Redis leave nothing behind. It scans: tests only.
func (st *Store) DeleteKeys(ctx context.Context, prefix string) error {
	for addr, n := range st.client.Nodes() {
		cursor := uint64(0)
		for {
			e, err := n.Do(ctx, n.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return fmt.Errorf("scan %s: %w", addr, err)
			}
			for _, k := range e.Elements {
				if err := n.Do(ctx, n.B().Unlink().Key(k).Build()).Error(); err != nil {
					return fmt.Errorf("unlink on %s: %w", addr, err)
				}
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
	return nil
}

// CountKeys returns how many keys start with prefix, over every node, and
// how many of them have no TTL.
func (st *Store) CountKeys(ctx context.Context, prefix string) (keys, persistent int, err error) {
	for addr, n := range st.client.Nodes() {
		cursor := uint64(0)
		for {
			e, err := n.Do(ctx, n.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return 0, 0, fmt.Errorf("scan %s: %w", addr, err)
			}
			for _, k := range e.Elements {
				keys++
				ttl, err := n.Do(ctx, n.B().Pttl().Key(k).Build()).AsInt64()
				if err != nil {
					return 0, 0, fmt.Errorf("pttl on %s: %w", addr, err)
				}
				if ttl < 0 {
					persistent++
				}
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
	return keys, persistent, nil
}

// UsedMemory returns used_memory from INFO memory, summed over every node.
func (st *Store) UsedMemory(ctx context.Context) (int64, error) {
	var total int64
	for addr, n := range st.client.Nodes() {
		info, err := n.Do(ctx, n.B().Info().Section("memory").Build()).ToString()
		if err != nil {
			return 0, fmt.Errorf("info on %s: %w", addr, err)
		}
		var v int64
		for _, line := range strings.Split(info, "\n") {
			if s, ok := strings.CutPrefix(line, "used_memory:"); ok {
				if v, err = strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil {
					return 0, fmt.Errorf("used_memory on %s: %w", addr, err)
				}
			}
		}
		total += v
	}
	return total, nil
}

// RedisCPU returns used_cpu_user + used_cpu_sys from INFO cpu, in seconds,
// summed over every node.
func (st *Store) RedisCPU(ctx context.Context) (float64, error) {
	var total float64
	for addr, n := range st.client.Nodes() {
		info, err := n.Do(ctx, n.B().Info().Section("cpu").Build()).ToString()
		if err != nil {
			return 0, fmt.Errorf("info on %s: %w", addr, err)
		}
		for _, line := range strings.Split(info, "\n") {
			for _, f := range []string{"used_cpu_user:", "used_cpu_sys:"} {
				if s, ok := strings.CutPrefix(strings.TrimSpace(line), f); ok {
					v, err := strconv.ParseFloat(s, 64)
					if err != nil {
						return 0, fmt.Errorf("%s on %s: %w", f, addr, err)
					}
					total += v
				}
			}
		}
	}
	return total, nil
}
