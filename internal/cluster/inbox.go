package cluster

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// subscribe keeps the node subscribed to its inbox until ctx ends. When
// the subscription breaks (Redis restarts, fails over, or the connection
// drops) it subscribes again, waiting a little longer after each failure
// in a row, up to a second.
func (n *Node) subscribe(ctx context.Context) {
	const minWait, maxWait = 50 * time.Millisecond, time.Second
	wait := minWait
	var failing atomic.Bool // since the subscription was lost, until it is back
	for {
		hooked := rueidis.WithOnSubscriptionHook(ctx, func(s rueidis.PubSubSubscription) {
			if s.Kind != "subscribe" && s.Kind != "ssubscribe" {
				return
			}
			n.inboxUp.Store(true)
			if failing.Swap(false) {
				n.log.Info().Uint16("node", n.id).Msg("relay inbox subscribed again")
			}
		})
		err := n.o.Client.Receive(hooked, n.subscribeCmd(), n.receive)
		if n.inboxUp.Swap(false) {
			wait = minWait // it worked for a while: a new failure
		}
		if ctx.Err() != nil {
			return
		}
		n.failed(opSubscribe)
		if !failing.Swap(true) {
			n.log.Warn().Err(err).Uint16("node", n.id).Msg("relay inbox subscription lost; subscribing again")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxWait)
	}
}

func (n *Node) subscribeCmd() rueidis.Completed {
	c := n.o.Client.B()
	if n.sharded {
		return c.Ssubscribe().Channel(n.inbox(n.id)).Build()
	}
	return c.Subscribe().Channel(n.inbox(n.id)).Build()
}

// receive delivers the relays of one published batch. It runs on the
// Redis client's reading goroutine, so it must not block; Deliver does
// not.
func (n *Node) receive(m rueidis.PubSubMessage) {
	d := n.relay.Load()
	if d == nil {
		return
	}
	if err := readBatch([]byte(m.Message), d.Deliver); err != nil {
		n.failed(opInbox)
		n.errLog.Warn().Err(err).Str("channel", m.Channel).Msg("unreadable relay batch")
	}
}
