package cluster

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

//go:embed registry.lua
var registryScript string

// liveSet is the cluster as one heartbeat read it.
type liveSet struct {
	packed string         // ids, 2 big-endian bytes each
	bits   [1024]uint64   // one bit per id
	conns  map[uint16]int // WebSocket connections per node
}

// errIDTaken says another live node holds the id this node asked for.
var errIDTaken = errors.New("node id held by another node")

// beat renews the node's registration (claiming an id when it has none)
// and reads the live nodes. It returns the node's id.
func (n *Node) beat(ctx context.Context) (uint16, error) {
	ctx, cancel := context.WithTimeout(ctx, n.o.Timeout)
	defer cancel()
	args := []string{
		strconv.Itoa(int(n.id)), n.token,
		strconv.FormatInt(n.o.TTL.Milliseconds(), 10),
		strconv.Itoa(max(n.conns(), 0)),
		strconv.FormatUint(uint64(rand.Uint32()>>1), 10),
	}
	vals, err := heartbeatScript.Exec(ctx, n.o.Client, []string{n.registry}, args).AsIntSlice()
	// Each pooled connection that Redis dropped (it restarted) fails its
	// first call; a heartbeat may simply run again.
	for range 5 {
		if !brokenConn(ctx, err) {
			break
		}
		vals, err = heartbeatScript.Exec(ctx, n.o.Client, []string{n.registry}, args).AsIntSlice()
	}
	if err != nil {
		return 0, fmt.Errorf("heartbeat: %w", err)
	}
	if len(vals) < 2 || len(vals)%2 != 0 {
		return 0, fmt.Errorf("heartbeat: unexpected reply of %d values", len(vals))
	}
	id := vals[0]
	if id == 0 {
		return 0, errIDTaken
	}
	if id < 1 || id > 65535 {
		return 0, fmt.Errorf("heartbeat: node id %d out of range", id)
	}
	ls := &liveSet{conns: make(map[uint16]int, len(vals)/2)}
	buf := make([]byte, 0, len(vals)-2)
	for i := 2; i+1 < len(vals); i += 2 {
		if vals[i] < 1 || vals[i] > 65535 {
			continue
		}
		node := uint16(vals[i])
		ls.conns[node] = int(vals[i+1])
		ls.bits[node>>6] |= 1 << (node & 63)
		buf = append(buf, byte(node>>8), byte(node))
	}
	ls.packed = string(buf)
	n.live.Store(ls)
	n.beatAt.Store(time.Now().UnixNano())
	return uint16(id), nil
}

// brokenConn reports whether err says the call's connection broke, rather
// than Redis answering or the call's time running out.
func brokenConn(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.Is(err, rueidis.ErrClosing) {
		return false
	}
	_, isReply := rueidis.IsRedisErr(err)
	return !isReply
}

// heartbeats renews the registration every Heartbeat until ctx ends. A
// failure is logged when it starts and when it ends, not every second.
func (n *Node) heartbeats(ctx context.Context) {
	t := time.NewTicker(n.o.Heartbeat)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := n.beat(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errIDTaken):
			// This node missed heartbeats for longer than the TTL and a
			// new node took its id: connections of both now share ids.
			// It keeps trying to get the id back; /readyz fails meanwhile.
			if !n.idLost.Swap(true) {
				n.log.Error().Uint16("node", n.id).Msg("another node took this node's id while its heartbeats failed; offers and answers for its connections may go astray until it is restarted")
			}
		case err != nil:
			n.failed(opHeartbeat)
			n.mu.Lock()
			n.lastErr = err
			n.mu.Unlock()
			if !failing {
				failing = true
				n.log.Warn().Err(err).Uint16("node", n.id).Msg("redis unreachable: cluster heartbeat failed")
			}
		default:
			if n.idLost.Swap(false) {
				n.log.Info().Uint16("node", n.id).Msg("this node's id is its own again")
			}
			if failing {
				failing = false
				n.log.Info().Uint16("node", n.id).Msg("cluster heartbeat recovered")
			}
		}
	}
}
