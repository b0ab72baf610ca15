package main

import (
	"sync"
	"sync/atomic"
)

// kicker paces one connection at fixed rate: the scheduler's tryKick wakes
// the connection's sender goroutine, and a kick that finds a request still
// outstanding is refused rather than queued, so the scheduler can try
// another connection or count the send as missed. The kick channel holds
// one token so tryKick never blocks on a sender that is between requests.
type kicker struct {
	busy atomic.Bool // a request is outstanding or about to be sent
	kick chan struct{}
}

func (k *kicker) tryKick() bool {
	if !k.busy.CompareAndSwap(false, true) {
		return false
	}
	k.kick <- struct{}{}
	return true
}

// release frees the connection for the next kick.
func (k *kicker) release() { k.busy.Store(false) }

// serveKicks starts the sender goroutine, tracked by wg, which calls send
// once per kick until done is closed. send returns whether the request has
// settled; if not, whatever settles it later must call release.
func (k *kicker) serveKicks(wg *sync.WaitGroup, done <-chan struct{}, send func() (settled bool)) {
	k.kick = make(chan struct{}, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-k.kick:
			}
			if send() {
				k.release()
			}
		}
	}()
}
