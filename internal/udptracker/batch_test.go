package udptracker

import (
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
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
	t.Run("DropsOversize", TestReaderDropsOversizeDatagrams)
}

// A datagram longer than maxRequestLen (here a connect padded to 3000
// bytes) is dropped as malformed by either reader, and the worker goes on
// serving; the largest scrape allowed still fits and is answered in one
// datagram.
func TestReaderDropsOversizeDatagrams(t *testing.T) {
	conn := listen(t, "udp4", "127.0.0.1:0")
	s := newTestServer(t, Config{Workers: 1, MaxScrapeHashes: MaxScrapeHashesLimit})
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
	hashes := make([]bittorrent.InfoHash, MaxScrapeHashesLimit)
	for i := range hashes {
		hashes[i] = ih(byte(i))
	}
	tx := c.nextTx()
	req := scrapePacket(c.cid, tx, hashes...)
	if len(req) > maxRequestLen {
		t.Fatalf("a scrape of %d hashes is %d bytes, over maxRequestLen", len(hashes), len(req))
	}
	c.send(req)
	reply := c.recv()
	if len(reply) > maxDatagram {
		t.Fatalf("scrape reply of %d bytes, over maxDatagram", len(reply))
	}
	if got := scrapeReply(t, reply, tx); len(got) != MaxScrapeHashesLimit {
		t.Fatalf("scrape of %d hashes after the oversize datagram: %d counts", MaxScrapeHashesLimit, len(got))
	}
}
