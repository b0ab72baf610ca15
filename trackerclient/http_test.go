package trackerclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

func newHTTP(t *testing.T, url string) *trackerclient.HTTPClient {
	t.Helper()
	c, err := trackerclient.NewHTTP(url, trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestHTTPAgainstSwarmbridge(t *testing.T) {
	tr := startTB(t)
	c := newHTTP(t, tr.HTTPURL+"/announce")
	ctx := ctxT(t, 10*time.Second)
	ih := bittorrent.InfoHash{0x2b, 0x20, 0xff, 0x00} // "+", " ": bytes that trip lax encoders
	a := trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID{'+', ' ', 0xff}, Port: 7001, Event: bittorrent.EventStarted}
	r, err := c.Announce(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if r.Interval != 30*time.Minute || r.MinInterval != 15*time.Minute || r.ExternalIP != netip.MustParseAddr("127.0.0.1") || len(r.Peers) != 0 || r.Counts.Complete != 1 {
		t.Fatalf("seeder's reply %+v", r)
	}
	b := trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID{'b'}, Port: 7002, Left: 10, Event: bittorrent.EventStarted, NonCompact: true}
	if r, err = c.Announce(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(r.Peers) != 1 || r.Peers[0].Addr.String() != "127.0.0.1:7001" || !r.Peers[0].HasID || r.Peers[0].ID != a.PeerID {
		t.Fatalf("non-compact peers %+v, want A with its peer id", r.Peers)
	}
	b.NoPeerID = true
	if r, err = c.Announce(ctx, b); err != nil || len(r.Peers) != 1 || r.Peers[0].HasID {
		t.Fatalf("no_peer_id: %+v, %v", r, err)
	}
	b.NumWant, b.NonCompact = trackerclient.NumWantNone, false
	if r, err = c.Announce(ctx, b); err != nil || len(r.Peers) != 0 || r.Counts != (bittorrent.Counts{Complete: 1, Incomplete: 1}) {
		t.Fatalf("numwant=0: %+v, %v", r, err)
	}
	s, err := c.Scrape(ctx, []bittorrent.InfoHash{ih, {7}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Files[ih] != (bittorrent.Counts{Complete: 1, Incomplete: 1}) || len(s.Quirks) != 0 {
		t.Fatalf("scrape %+v", s)
	}
	a.Event, b.Event = bittorrent.EventStopped, bittorrent.EventStopped
	if _, err := c.Announce(ctx, a); err != nil {
		t.Fatal(err)
	}
	if r, err = c.Announce(ctx, b); err != nil || r.Counts != (bittorrent.Counts{}) {
		t.Fatalf("last stopped: %+v, %v", r, err)
	}
}

func TestHTTPFailureReasons(t *testing.T) {
	tr := startTB(t, "SWARMBRIDGE_INFOHASH_DENYLIST=testdata/deny.txt")
	c := newHTTP(t, tr.HTTPURL+"/announce")
	_, err := c.Announce(ctxT(t, 5*time.Second), trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{1}, Port: 1})
	wantFailure("info_hash not allowed", "tracker failure: info_hash not allowed")(t, err)

	limited := startTB(t, "SWARMBRIDGE_ANNOUNCES_PER_IP=1")
	c = newHTTP(t, limited.HTTPURL+"/announce")
	_, _ = c.Announce(ctxT(t, 5*time.Second), trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{1}, Port: 1})
	_, err = c.Announce(ctxT(t, 5*time.Second), trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{1}, Port: 1})
	var fe *trackerclient.FailureError
	if !errors.As(err, &fe) || fe.RetryIn != time.Minute || !strings.Contains(err.Error(), "(retry in 1m0s)") {
		t.Fatalf("rate limited: %v, want a failure with retry in 1 minute", err)
	}
}

// Private keys in the path: BEP 48 keeps them in the scrape URL.
func TestHTTPPrivateKeyPath(t *testing.T) {
	keys := t.TempDir() + "/keys"
	writeFile(t, keys, "secretkey123\n")
	tr := startTB(t, "SWARMBRIDGE_KEYS_FILE="+keys)
	c := newHTTP(t, tr.HTTPURL+"/secretkey123/announce")
	ctx := ctxT(t, 5*time.Second)
	ih := bittorrent.InfoHash{5}
	if _, err := c.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: ih, Port: 1, Event: bittorrent.EventStarted}); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Scrape(ctx, []bittorrent.InfoHash{ih}); err != nil || s.Files[ih].Complete != 1 {
		t.Fatalf("keyed scrape: %+v, %v", s, err)
	}
	nokey := newHTTP(t, tr.HTTPURL+"/announce/secretkey123")
	if _, err := nokey.Scrape(ctx, []bittorrent.InfoHash{ih}); !errors.Is(err, trackerclient.ErrNoScrapeURL) || !strings.Contains(err.Error(), `"secretkey123"`) {
		t.Fatalf("scrape without a BEP 48 URL: %v", err)
	}
}

// fakeHTTP serves body with status for every request; the function it
// returns gives the last query.
func fakeHTTP(t *testing.T, status int, body string) (string, func() string) {
	t.Helper()
	var mu sync.Mutex
	var q string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		q = r.URL.RawQuery
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/x/announce?passkey=k", func() string { mu.Lock(); defer mu.Unlock(); return q }
}

func TestHTTPReplies(t *testing.T) {
	peer := "\x0a\x00\x00\x01\x1a\xe1"
	peer6 := "\x20\x01\x0d\xb8" + strings.Repeat("\x00", 11) + "\x01\x1a\xe2"
	full := "d8:completei3e10:downloadedi4e11:external ip4:\xc0\x00\x02\x0710:incompletei5e8:intervali900e12:min intervali450e" +
		"5:peers6:" + peer + "6:peers618:" + peer6 + "10:tracker id3:T-115:warning message4:slowe"
	url, q := fakeHTTP(t, 200, full)
	c := newHTTP(t, url)
	ctx := ctxT(t, 5*time.Second)
	r, err := c.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{0xab}, Port: 1, Key: 0x1f, Left: bittorrent.LeftUnknown,
		IP: netip.MustParseAddr("192.0.2.9")})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%+v", &trackerclient.AnnounceResponse{Interval: 900 * time.Second, MinInterval: 450 * time.Second,
		Counts:     bittorrent.Counts{Complete: 3, Incomplete: 5, Downloaded: 4},
		Peers:      []trackerclient.Peer{{Addr: netip.MustParseAddrPort("10.0.0.1:6881")}, {Addr: netip.MustParseAddrPort("[2001:db8::1]:6882")}},
		ExternalIP: netip.MustParseAddr("192.0.2.7"), TrackerID: "T-1", Warning: "slow"})
	if got := fmt.Sprintf("%+v", r); got != want {
		t.Fatalf("reply\n%s\nwant\n%s", got, want)
	}
	if q := q(); !strings.HasPrefix(q, "passkey=k&info_hash=%AB%00") || !strings.Contains(q, "&key=0000001f&ip=192.0.2.9") || strings.Contains(q, "left=") || strings.Contains(q, "event=") {
		t.Fatalf("query %q", q)
	}
	if _, err := c.Announce(ctx, trackerclient.AnnounceRequest{Port: 1}); err != nil || !strings.HasSuffix(q(), "&trackerid=T-1") {
		t.Fatalf("the tracker id is not echoed: %q, %v", q(), err)
	}
}

func TestHTTPBadReplies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		check  func(*testing.T, error)
	}{
		{"failure with 400", 400, "d14:failure reason3:bad8:retry in5:nevere", func(t *testing.T, err error) {
			var fe *trackerclient.FailureError
			if !errors.As(err, &fe) || fe.StatusCode != 400 || !fe.RetryNever {
				t.Fatalf("%v", err)
			}
		}},
		{"html error page", 404, "<html>not found</html>", func(t *testing.T, err error) {
			var se *trackerclient.StatusError
			if !errors.As(err, &se) || se.StatusCode != 404 || !strings.Contains(err.Error(), "HTTP 404: <html>not found</html>") {
				t.Fatalf("%v", err)
			}
		}},
		{"garbage", 200, "<html>hello</html>", wantMalformed(`bencode at byte 0: unexpected byte '<'`)},
		{"not a dictionary", 200, "li1ee", wantMalformed("a bencoded list, not a dictionary")},
		{"trailing bytes", 200, "d8:intervali1ee\n", wantMalformed("1 bytes after the end of the value")},
		{"truncated", 200, "d8:intervali1e5:peers6:abc", wantMalformed("string of 6 bytes but only 3 left")},
		{"peers not a multiple of 6", 200, "d8:intervali1e5:peers5:abcdee", wantMalformed(`"peers" is 5 bytes, not a multiple of 6`)},
		{"interval a string", 200, "d8:interval2:10e", wantMalformed(`"interval" is a string, not an integer`)},
		{"negative count", 200, "d8:completei-1e8:intervali1ee", wantMalformed(`"complete" is -1, out of range`)},
		{"failure not a string", 200, "d14:failure reasoni1ee", wantMalformed(`"failure reason" is a integer`)},
		{"bad external ip", 200, "d11:external ip3:abc8:intervali1ee", wantMalformed(`"external ip" of 3 bytes`)},
		{"too deep", 200, strings.Repeat("l", 40) + strings.Repeat("e", 40), wantMalformed("nested more than 32 deep")},
		{"too big", 200, "d8:intervali1e5:peers" + fmt.Sprint(2<<20) + ":" + strings.Repeat("x", 2<<20) + "e", wantMalformed("larger than 1048576 bytes")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := fakeHTTP(t, tc.status, tc.body)
			_, err := newHTTP(t, url).Announce(ctxT(t, 5*time.Second), trackerclient.AnnounceRequest{Port: 1})
			tc.check(t, err)
		})
	}
}

func TestHTTPQuirks(t *testing.T) {
	ih := bittorrent.InfoHash{0xff, 0x41}
	latin1 := "\xc3\xbfA" + strings.Repeat("\x00", 18)
	for _, tc := range []struct {
		name, body string
		want       trackerclient.Quirk
	}{
		{"utf8 keys", "d5:filesd20:" + "x" + "\x00" + strings.Repeat("y", 18) + "d8:completei9ee21:" + latin1 + "d8:completei1e10:downloadedi1e10:incompletei2eeee", trackerclient.QuirkScrapeKeysUTF8},
		{"hex keys", "d5:filesd40:ff41000000000000000000000000000000000000d8:completei1e10:downloadedi1e10:incompletei2eeee", trackerclient.QuirkScrapeKeysHex},
		{"unsorted keys", "d5:filesd20:\xffA" + strings.Repeat("\x00", 18) + "d10:incompletei2e8:completei1e10:downloadedi1eeee", trackerclient.QuirkUnsortedKeys},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := fakeHTTP(t, 200, tc.body)
			s, err := newHTTP(t, url).Scrape(ctxT(t, 5*time.Second), []bittorrent.InfoHash{ih})
			if err != nil {
				t.Fatal(err)
			}
			if s.Files[ih] != (bittorrent.Counts{Complete: 1, Incomplete: 2, Downloaded: 1}) || len(s.Quirks) != 1 || s.Quirks[0] != tc.want {
				t.Fatalf("%+v, want counts 1/2/1 and quirk %s", s, tc.want)
			}
		})
	}
	url, _ := fakeHTTP(t, 200, "d5:peers0:e")
	r, err := newHTTP(t, url).Announce(ctxT(t, 5*time.Second), trackerclient.AnnounceRequest{Port: 1})
	if err != nil || len(r.Quirks) != 1 || r.Quirks[0] != trackerclient.QuirkNoInterval {
		t.Fatalf("no interval: %+v, %v", r, err)
	}
	url, _ = fakeHTTP(t, 200, "d8:completei1e5:filesdee")
	if _, err := newHTTP(t, url).Scrape(ctxT(t, 5*time.Second), nil); err != nil {
		t.Fatalf("full scrape reply: %v", err)
	}
	url, _ = fakeHTTP(t, 200, "d8:completei1ee")
	if _, err := newHTTP(t, url).Scrape(ctxT(t, 5*time.Second), nil); !errors.Is(err, trackerclient.ErrMalformed) {
		t.Fatalf("scrape reply without files: %v", err)
	}
}

func TestHTTPContextAndClose(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	defer close(release)
	c, err := trackerclient.NewHTTP(ts.URL+"/announce", trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Announce(ctx, trackerclient.AnnounceRequest{Port: 1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow tracker: %v, want DeadlineExceeded", err)
	}
	_ = c.Close()
	if _, err := c.Announce(context.Background(), trackerclient.AnnounceRequest{Port: 1}); !errors.Is(err, trackerclient.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
