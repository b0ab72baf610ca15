package cluster

import (
	"context"
	"sync"

	"github.com/redis/rueidis"

	"github.com/swarmbridge/swarmbridge/signaling"
)

// Outgoing relays wait in one batch per destination node. Route appends to
// the batch and returns; one publisher goroutine sends every waiting batch
// in one DoMulti (a round trip per Redis node), one PUBLISH per
// destination (split past maxPublish), and meanwhile the next relays
// gather in fresh batches. So under load a publish carries many relays,
// and a quiet node sends each relay as soon as it comes.

// maxPublish bounds one published payload; a bigger batch is split at
// relay boundaries.
const maxPublish = 256 << 10

// relayMeta is what a batch remembers of each relay, to count it if it is
// lost.
type relayMeta struct {
	kind signaling.RelayKind
	to   signaling.ConnID
	end  int // where its record ends in the batch's buf
}

// batch is the relays waiting for one node.
type batch struct {
	node  uint16
	buf   []byte // batchVersion, then records
	relay []relayMeta
}

type outbox struct {
	mu      sync.Mutex
	pending map[uint16]*batch
	spare   []*batch
	wake    chan struct{}
}

func (o *outbox) init() {
	o.pending = make(map[uint16]*batch)
	o.wake = make(chan struct{}, 1)
}

// Route implements signaling.Router: it queues r for the node that holds
// r.To and returns at once. A node that is not live is refused with
// target_gone (its connections are gone); one for which MaxPending bytes
// already wait, with unavailable.
func (n *Node) Route(r *signaling.Relay) signaling.DropReason {
	node := r.To.Node()
	if !n.isLive(node) {
		return signaling.DropTargetGone
	}
	o := &n.out
	o.mu.Lock()
	b := o.pending[node]
	if b == nil {
		if k := len(o.spare); k > 0 {
			b, o.spare = o.spare[k-1], o.spare[:k-1]
		} else {
			b = &batch{}
		}
		b.node = node
		b.buf = append(b.buf[:0], batchVersion)
		o.pending[node] = b
	}
	if len(b.buf)+relaySize(r) > n.o.MaxPending {
		o.mu.Unlock()
		return signaling.DropUnavailable
	}
	b.buf = appendRelay(b.buf, r)
	b.relay = append(b.relay, relayMeta{kind: r.Kind, to: r.To, end: len(b.buf)})
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return 0
}

// take hands the publisher every waiting batch.
func (o *outbox) take(dst []*batch) []*batch {
	o.mu.Lock()
	defer o.mu.Unlock()
	for node, b := range o.pending {
		dst = append(dst, b)
		delete(o.pending, node)
	}
	return dst
}

// recycle keeps sent batches' memory for the next ones, unless it grew
// large.
func (o *outbox) recycle(bs []*batch) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, b := range bs {
		if cap(b.buf) > maxPublish || len(o.spare) >= 64 {
			continue
		}
		b.relay = b.relay[:0]
		o.spare = append(o.spare, b)
	}
}

// span is the relays one PUBLISH carries: batch b's relays [from, to).
type span struct {
	b        *batch
	from, to int
}

// publish sends waiting batches until ctx ends; what waits then is
// counted as lost.
func (n *Node) publish(ctx context.Context) {
	var bs []*batch
	for {
		select {
		case <-ctx.Done():
			bs = n.out.take(bs[:0])
			for _, b := range bs {
				n.lost(span{b, 0, len(b.relay)}, signaling.DropUnavailable)
			}
			return
		case <-n.out.wake:
		}
		bs = n.out.take(bs[:0])
		if len(bs) > 0 && n.send(ctx, bs) {
			n.out.recycle(bs)
		}
	}
}

// send publishes batches in one round trip per Redis node and counts the
// relays that did not arrive: unavailable when the publish failed,
// target_gone when no node listened on the channel (it died). It reports
// whether every publish was answered: only then may the batches' memory
// be reused, since rueidis may still hold a command whose call failed.
func (n *Node) send(ctx context.Context, bs []*batch) bool {
	var (
		cmds  rueidis.Commands
		spans []span
	)
	for _, b := range bs {
		if len(b.buf) <= maxPublish {
			cmds = append(cmds, n.publishCmd(b.node, b.buf))
			spans = append(spans, span{b, 0, len(b.relay)})
			continue
		}
		start, from := 1, 0
		for i, m := range b.relay {
			last := i == len(b.relay)-1
			if !last && b.relay[i+1].end-start+1 <= maxPublish {
				continue
			}
			p := append([]byte{batchVersion}, b.buf[start:m.end]...)
			cmds = append(cmds, n.publishCmd(b.node, p))
			spans = append(spans, span{b, from, i + 1})
			start, from = m.end, i+1
		}
	}
	ctx, cancel := context.WithTimeout(ctx, n.o.Timeout)
	defer cancel()
	failed := false
	for i, res := range n.o.Client.DoMulti(ctx, cmds...) {
		got, err := res.AsInt64()
		switch {
		case err != nil:
			failed = true
			n.errLog.Warn().Err(err).Uint16("to_node", spans[i].b.node).Msg("publishing relays failed")
			n.lost(spans[i], signaling.DropUnavailable)
		case got == 0:
			n.lost(spans[i], signaling.DropTargetGone)
		}
	}
	if failed {
		n.failed(opPublish)
	}
	return !failed
}

// publishCmd publishes payload on node's inbox. The payload is handed to
// rueidis without a copy; it must stay unchanged until the command is
// sent.
func (n *Node) publishCmd(node uint16, payload []byte) rueidis.Completed {
	c := n.o.Client.B()
	if n.sharded {
		return c.Spublish().Channel(n.inbox(node)).Message(rueidis.BinaryString(payload)).Build()
	}
	return c.Publish().Channel(n.inbox(node)).Message(rueidis.BinaryString(payload)).Build()
}

// lost counts the relays of s as not delivered.
func (n *Node) lost(s span, reason signaling.DropReason) {
	d := n.relay.Load()
	if d == nil {
		return
	}
	for _, m := range s.b.relay[s.from:s.to] {
		d.RelayDropped(m.kind, m.to, reason)
	}
}
