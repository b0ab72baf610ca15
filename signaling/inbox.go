package signaling

import (
	"sync"

	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
)

// When Swarms may block (a store across the network), a message is not
// handled on the goroutine that read it: a poller serves hundreds of
// connections, and one round trip to the store would stall them all.
// Instead:
//
//   - Session.Message copies the message into the session's inbox (a
//     pooled buffer) and returns at once. The inbox is bounded
//     (Config.InboxLen messages, Config.InboxBytes bytes); a client that
//     fills it, by sending faster than the store answers, is closed with
//     1008 (CloseInboxFull) and what it queued is dropped.
//   - A session with work is put on the Handler's run queue, once. At most
//     Config.Workers worker goroutines take sessions from it and run their
//     inboxes in order, one message at a time; a session is held by one
//     worker at a time, so each connection's messages are handled in the
//     order they came, and its replies go out in that order. Many
//     connections wait on the store at once, so a store that pipelines
//     (the Redis store) shares its round trips between them. A worker
//     hands a session back to the end of the queue after a few messages,
//     so one busy connection cannot keep a worker from the others; workers
//     exist only while there is work and exit when the queue is empty.
//   - Finish and Closed, which the engine calls on the read side when the
//     connection ends, do not touch the store there either: Finish cancels
//     the connection's context (a store call in flight for it returns at
//     once) and queues the end behind what is queued. Messages still
//     waiting then are dropped (no reply could reach the client, and their
//     swarm changes would be undone at once); the worker then removes the
//     connection's peers (Swarms.Leave, several at a time), and runs
//     Closed's work last: the admission slot is given back and the close
//     is counted and logged only after the peers are gone.
//   - Offers and answers for a connection go to its send queue directly
//     (they need no store), so a store that hangs does not hold up pings,
//     closes, or answers between connections whose own inbox is idle.
//
// With a store that answers at memory speed, none of this is used:
// messages are handled where they are read, as they always were.

// inboxItem is one thing a session's worker does.
type inboxItem struct {
	kind   itemKind
	msg    *[]byte            // itemMessage: a copy of the message, pooled
	reason engine.CloseReason // itemClosed
}

type itemKind uint8

const (
	itemMessage itemKind = iota + 1
	itemFinish
	itemClosed
)

// drainBudget is how many items a worker handles for one session before
// it serves the others.
const drainBudget = 8

// msgPool recycles inbox copies. Most messages are announces of a few KiB.
var msgPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 4096)
	return &b
}}

func copyMessage(payload []byte) *[]byte {
	b := msgPool.Get().(*[]byte)
	*b = append((*b)[:0], payload...)
	return b
}

func freeMessage(b *[]byte) {
	if cap(*b) > 64<<10 {
		return // do not keep rare huge buffers alive
	}
	*b = (*b)[:0]
	msgPool.Put(b)
}

// inbox is a session's queue of work when Swarms may block. Its fields are
// guarded by mu.
type inbox struct {
	mu        sync.Mutex
	items     []inboxItem // FIFO from head
	head      int
	bytes     int  // message bytes queued
	scheduled bool // on the run queue or held by a worker
	ending    bool // the connection ends: messages are not taken any more
}

// queueMessage copies a client message into s's inbox, or closes the
// connection when the inbox is full. It runs on the read side.
func (s *session) queueMessage(payload []byte) {
	in := &s.inbox
	in.mu.Lock()
	if in.ending {
		in.mu.Unlock()
		return
	}
	if in.len() >= s.h.cfg.InboxLen || in.bytes+len(payload) > s.h.cfg.InboxBytes {
		in.mu.Unlock()
		s.closeWith(CloseInboxFull)
		return
	}
	in.items = append(in.items, inboxItem{kind: itemMessage, msg: copyMessage(payload)})
	in.bytes += len(payload)
	s.scheduleLocked()
}

// queueEnd queues Finish's or Closed's work. Messages still queued are
// dropped.
func (s *session) queueEnd(it inboxItem) {
	in := &s.inbox
	in.mu.Lock()
	in.dropMessagesLocked()
	in.items = append(in.items, it)
	s.scheduleLocked()
}

// scheduleLocked puts s on the run queue unless it is there or held by a
// worker, and releases the inbox lock.
func (s *session) scheduleLocked() {
	in := &s.inbox
	run := !in.scheduled
	in.scheduled = true
	in.mu.Unlock()
	if run {
		s.h.pool.run(s)
	}
}

// stopMessages makes the inbox take no more messages and drops those
// queued: the relay is closing the connection.
func (s *session) stopMessages() {
	in := &s.inbox
	in.mu.Lock()
	in.dropMessagesLocked()
	in.mu.Unlock()
}

func (in *inbox) len() int { return len(in.items) - in.head }

// dropMessagesLocked frees the queued messages, keeps any end item, and
// refuses further messages.
func (in *inbox) dropMessagesLocked() {
	in.ending = true
	kept := in.items[:in.head]
	for _, it := range in.items[in.head:] {
		if it.kind == itemMessage {
			freeMessage(it.msg)
			continue
		}
		kept = append(kept, it)
	}
	clear(in.items[len(kept):])
	in.items = kept
	in.bytes = 0
}

// next takes the next item, or reports false and unschedules s when the
// inbox is empty.
func (in *inbox) next() (inboxItem, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.head == len(in.items) {
		in.items, in.head = in.items[:0], 0
		in.scheduled = false
		return inboxItem{}, false
	}
	it := in.items[in.head]
	in.items[in.head] = inboxItem{}
	in.head++
	if it.kind == itemMessage {
		in.bytes -= len(*it.msg)
	}
	if in.head > 64 && in.head*2 > len(in.items) {
		// Move what is left to the front, so a connection that always has
		// something queued does not grow the slice forever.
		n := copy(in.items, in.items[in.head:])
		clear(in.items[n:])
		in.items, in.head = in.items[:n], 0
	}
	return it, true
}

// drain runs up to drainBudget items of s's inbox on a worker. It reports
// whether items are left (s stays scheduled: the caller queues it again).
func (s *session) drain() bool {
	for range drainBudget {
		it, ok := s.inbox.next()
		if !ok {
			return false
		}
		switch it.kind {
		case itemMessage:
			s.handle(*it.msg)
			freeMessage(it.msg)
		case itemFinish:
			s.finish()
		case itemClosed:
			s.closed(it.reason)
		}
	}
	return true
}

// workerPool runs sessions' inboxes on at most max goroutines, which exist
// only while there is work.
type workerPool struct {
	max int

	mu      sync.Mutex
	queue   []*session // FIFO from head; a session is in it at most once
	head    int
	running int
	wg      sync.WaitGroup
}

// run queues s and starts a worker if fewer than max run.
func (p *workerPool) run(s *session) {
	p.mu.Lock()
	p.queue = append(p.queue, s)
	start := p.running < p.max
	if start {
		p.running++
		p.wg.Add(1)
	}
	p.mu.Unlock()
	if start {
		go p.work()
	}
}

// work takes sessions from the queue until it is empty.
func (p *workerPool) work() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		if p.head == len(p.queue) {
			p.queue, p.head = p.queue[:0], 0
			p.running--
			p.mu.Unlock()
			return
		}
		s := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		if p.head > 1024 && p.head*2 > len(p.queue) {
			n := copy(p.queue, p.queue[p.head:])
			clear(p.queue[n:])
			p.queue, p.head = p.queue[:n], 0
		}
		p.mu.Unlock()
		if s.drain() {
			// Still scheduled: to the back of the queue, behind the
			// sessions that waited meanwhile.
			p.mu.Lock()
			p.queue = append(p.queue, s)
			p.mu.Unlock()
		}
	}
}

// wait waits until no worker runs. Call it once nothing can queue work any
// more.
func (p *workerPool) wait() { p.wg.Wait() }
