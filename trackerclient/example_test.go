package trackerclient_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// Two peers announce to an HTTP tracker: the leecher gets the seeder's
// address, and a scrape counts both.
func ExampleHTTPClient() {
	tracker := must(startSwarmbridge())
	defer tracker.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c := must(trackerclient.NewHTTP(tracker.HTTPURL+"/announce", trackerclient.Options{}))
	defer c.Close()
	ih := bittorrent.InfoHash{0xde, 0xad, 0xbe, 0xef}
	seeder := trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID{'s'}, Port: 6881, Left: 0, Event: bittorrent.EventStarted}
	leecher := trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID{'l'}, Port: 6882, Left: 1000, Event: bittorrent.EventStarted}
	must(c.Announce(ctx, seeder))
	r := must(c.Announce(ctx, leecher))
	fmt.Println("interval:", r.Interval)
	fmt.Println("peers:", r.Peers[0].Addr)
	fmt.Printf("seeders %d, leechers %d\n", r.Counts.Complete, r.Counts.Incomplete)

	su := must(c.ScrapeURL())
	fmt.Println("scrape URL:", strings.TrimPrefix(su, tracker.HTTPURL))
	s := must(c.Scrape(ctx, []bittorrent.InfoHash{ih}))
	fmt.Printf("scrape: %+v\n", s.Files[ih])
	// Output:
	// interval: 30m0s
	// peers: 127.0.0.1:6881
	// seeders 1, leechers 1
	// scrape URL: /scrape
	// scrape: {Complete:1 Incomplete:1 Downloaded:0}
}

// A UDP tracker: the client connects by itself (and keeps the connection
// id for a minute), sends the URL path as BEP 41 URLData, and a refusal
// is a *FailureError.
func ExampleUDPClient() {
	tracker := must(startSwarmbridge("SWARMBRIDGE_INFOHASH_DENYLIST=testdata/deny.txt"))
	defer tracker.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c := must(trackerclient.NewUDP("udp://"+tracker.UDPAddr+"/announce", trackerclient.Options{
		Retransmit: trackerclient.Schedule{First: time.Second, Attempts: 3},
	}))
	defer c.Close()
	ih := bittorrent.InfoHash{0xde, 0xad, 0xbe, 0xef}
	r := must(c.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID{'s'}, Port: 6881, Event: bittorrent.EventStarted}))
	fmt.Printf("interval %s, seeders %d, leechers %d, %d peers\n", r.Interval, r.Counts.Complete, r.Counts.Incomplete, len(r.Peers))

	denied := bittorrent.InfoHash{0x01} // listed in testdata/deny.txt
	_, err := c.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: denied, PeerID: bittorrent.PeerID{'s'}, Port: 6881})
	var fe *trackerclient.FailureError
	if errors.As(err, &fe) {
		fmt.Println("refused:", fe.Reason)
	}
	// Output:
	// interval 30m0s, seeders 1, leechers 0, 0 peers
	// refused: info_hash not allowed
}

func ExampleScrapeURL() {
	for _, u := range []string{
		"http://tracker.example/announce",
		"https://tracker.example/KEY/announce.php?x=1",
		"http://tracker.example/announce/KEY",
	} {
		s, err := trackerclient.ScrapeURL(u)
		fmt.Println(s, err)
	}
	// Output:
	// http://tracker.example/scrape <nil>
	// https://tracker.example/KEY/scrape.php?x=1 <nil>
	//  no scrape URL for this announce URL: the last path segment "KEY" does not start with "announce" (BEP 48)
}
