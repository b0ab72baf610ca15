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

// Two WebTorrent peers meet through a WebSocket tracker: the seeder is in
// the swarm, the leecher announces with an offer, the tracker relays it to
// the seeder, and the seeder's answer comes back to the leecher. (Real
// peers put WebRTC session descriptions where these say "v=0 …".)
func ExampleWSClient() {
	tracker := must(startSwarmbridge())
	defer tracker.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	seeder := must(trackerclient.NewWS(tracker.WSURL, trackerclient.Options{}))
	defer seeder.Close()
	leecher := must(trackerclient.NewWS(tracker.WSURL, trackerclient.Options{}))
	defer leecher.Close()

	ih := bittorrent.InfoHash{0xde, 0xad, 0xbe, 0xef}
	seederID, leecherID := bittorrent.PeerID{'s'}, bittorrent.PeerID{'l'}
	r := must(seeder.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: ih, PeerID: seederID, Left: 0, Event: bittorrent.EventStarted}))
	fmt.Printf("seeder: interval %s, seeders %d, leechers %d\n", r.Interval, r.Counts.Complete, r.Counts.Incomplete)

	// A magnet link: the leecher does not know its size yet ("left": null).
	offer := trackerclient.Offer{ID: trackerclient.OfferID{0x0f}, SDP: "v=0 (the leecher's offer)"}
	r = must(leecher.Announce(ctx, trackerclient.AnnounceRequest{
		InfoHash: ih, PeerID: leecherID, Left: bittorrent.LeftUnknown, Event: bittorrent.EventStarted,
		Offers: []trackerclient.Offer{offer},
	}))
	fmt.Printf("leecher: seeders %d, leechers %d\n", r.Counts.Complete, r.Counts.Incomplete)

	m := <-seeder.Messages()
	fmt.Printf("seeder got an %s from %q: %s\n", m.Kind, m.PeerID[:1], m.SDP)
	err := seeder.Answer(ctx, trackerclient.Answer{
		InfoHash: m.InfoHash, PeerID: seederID, ToPeerID: m.PeerID, OfferID: m.OfferID, SDP: "v=0 (the seeder's answer)",
	})
	if err != nil {
		panic(err)
	}
	m = <-leecher.Messages()
	fmt.Printf("leecher got an %s from %q for offer %s: %s\n", m.Kind, m.PeerID[:1], m.OfferID.String()[:4], m.SDP)

	s := must(leecher.Scrape(ctx, []bittorrent.InfoHash{ih}))
	fmt.Printf("scrape: %+v\n", s.Files[ih])
	// Output:
	// seeder: interval 2m0s, seeders 1, leechers 0
	// leecher: seeders 1, leechers 1
	// seeder got an offer from "l": v=0 (the leecher's offer)
	// leecher got an answer from "s" for offer 0f00: v=0 (the seeder's answer)
	// scrape: {Complete:1 Incomplete:1 Downloaded:0}
}
