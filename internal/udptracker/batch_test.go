package udptracker

import (
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// singleReads makes startServer use one datagram per system call, the path
// platforms without recvmmsg/sendmmsg take.
var singleReads bool

// The socket tests run again on the one-datagram path, so both readers are
// covered wherever the tests run.
func TestServeSingleReadsPath(t *testing.T) {
	if !batching {
		t.Skip("this platform only has the one-datagram path, which the other tests cover")
	}
	singleReads = true
	defer func() { singleReads = false }()
	t.Run("TwoPeers", TestServeTwoPeers)
	t.Run("DualStack", TestServeDualStack)
	t.Run("DropsGarbage", TestServeDropsGarbage)
	t.Run("Stopped", TestServeStopped)
	t.Run("ConcurrentClients", TestServeConcurrentClients)
	t.Run("Stops", TestServeStops)
}

// A datagram longer than a batch slot (here a connect padded to 3000
// bytes, which the one-datagram reader would answer) arrives truncated; it
// is dropped as malformed and the worker goes on serving.
func TestBatchedReaderDropsOversizeDatagrams(t *testing.T) {
	if !batching {
		t.Skip("no batched reader on this platform")
	}
	conn := listen(t, "udp4", "127.0.0.1:0")
	s := newTestServer(t, Config{Workers: 1})
	startServer(t, s, conn)
	c := dial(t, serverAddr(conn, swarm.IPv4))
	before := s.Stats()
	c.send(append(connectPacket(5), make([]byte, 3000)...))
	c.connect() // answered: the oversize datagram did not stop the worker
	if got := s.Stats().Malformed - before.Malformed; got != 1 {
		t.Fatalf("%d malformed datagrams counted, want 1", got)
	}
	// The reply to the oversize connect never came: the next reply read
	// is the scrape's.
	tx := c.nextTx()
	c.send(scrapePacket(c.cid, tx, ih(9)))
	if got := scrapeReply(t, c.recv(), tx); len(got) != 1 {
		t.Fatalf("scrape after oversize datagram: %+v", got)
	}
}
