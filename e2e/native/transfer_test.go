package native_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/torrenttest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// TestNativeTransferOverUDP and TestNativeTransferOverHTTP: two
// anacrolix/torrent clients, isolated from every other discovery mechanism,
// find each other only through Swarmbridge and move a 4 MiB file.
func TestNativeTransferOverUDP(t *testing.T) {
	tr := trackerproc.Start(t, trackerBin)
	testNativeTransfer(t, tr, "udp://"+tr.UDPAddr+"/announce")
}

func TestNativeTransferOverHTTP(t *testing.T) {
	tr := trackerproc.Start(t, trackerBin)
	testNativeTransfer(t, tr, tr.HTTPURL()+"/announce")
}

// createdBy marks the metainfo of this package's torrents.
const createdBy = "swarmbridge e2e/native"

func testNativeTransfer(t *testing.T, tr *trackerproc.Tracker, announceURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	seedDir := t.TempDir()
	data, mi := torrenttest.MakeTorrent(t, seedDir, "payload.bin", 4<<20, 256<<10, createdBy, announceURL)
	ih := id20(mi.HashInfoBytes())

	start := time.Now()
	seeder := startSeeder(ctx, t, tr, seedDir, mi)
	t.Logf("seeder verified and announced after %v", time.Since(start).Round(time.Millisecond))

	// Every connection the leecher makes is recorded with how it learned
	// the address.
	var (
		mu    sync.Mutex
		conns []string
	)
	leechDir := t.TempDir()
	leecher := newIsolatedClient(t, leechDir, false, func(pc *torrent.PeerConn) {
		mu.Lock()
		defer mu.Unlock()
		conns = append(conns, fmt.Sprintf("%v via %q", pc.RemoteAddr, pc.Discovery))
	})
	leechStart := time.Now()
	lt, _ := leecher.AddTorrentOpt(torrent.AddTorrentOpts{InfoHash: mi.HashInfoBytes(), InfoBytes: mi.InfoBytes})
	lt.DownloadAll()
	lt.AddTrackers(mi.UpvertedAnnounceList())
	select {
	case <-lt.Complete().On():
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("timed out: the leecher has %d of %d bytes; its connections: %q", lt.BytesCompleted(), len(data), conns)
	}

	t.Logf("leecher downloaded %d bytes in %v", len(data), time.Since(leechStart).Round(time.Millisecond))

	r := lt.NewReader()
	got, err := io.ReadAll(r)
	_ = r.Close()
	if err != nil {
		t.Fatalf("reading the downloaded torrent: %v", err)
	}
	checkSameBytes(t, "through the leecher's reader", got, data)
	onDisk, err := os.ReadFile(filepath.Join(leechDir, "payload.bin"))
	if err != nil {
		t.Fatalf("downloaded file: %v", err)
	}
	checkSameBytes(t, "in the leecher's file", onDisk, data)

	// The leecher reached the seeder's loopback listen address, learned
	// from the tracker (nothing else could have told it).
	want := fmt.Sprintf("127.0.0.1:%d via %q", seeder.LocalPort(), torrent.PeerSourceTracker)
	mu.Lock()
	if !slices.Contains(conns, want) {
		t.Errorf("leecher connections %q; want one to %s", conns, want)
	}
	mu.Unlock()

	// The tracker holds both clients at 127.0.0.1 with their listen ports:
	// an observer announcing over the same transport gets exactly those two.
	obsID := randomID(t)
	const obsPort = 43999
	var obsClient trackerclient.Client = httpTracker(t, tr)
	if strings.HasPrefix(announceURL, "udp://") {
		obsClient = udpTracker(t, tr.UDPAddr)
	}
	obs, err := obsClient.Announce(ctx, announceReq(ih, obsID, obsPort, 1, bittorrent.EventStarted))
	if err != nil {
		t.Fatalf("observer announce: %v", err)
	}
	loop := netip.MustParseAddr("127.0.0.1")
	wantPeers := []netip.AddrPort{
		netip.AddrPortFrom(loop, uint16(seeder.LocalPort())),
		netip.AddrPortFrom(loop, uint16(leecher.LocalPort())),
	}
	slices.SortFunc(wantPeers, netip.AddrPort.Compare)
	if got := sortedAddrs(obs); !slices.Equal(got, wantPeers) {
		t.Errorf("observer got peers %v; want the two clients %v", got, wantPeers)
	}
	if obs.Counts.Complete+obs.Counts.Incomplete != 3 {
		t.Errorf("observer got complete=%d incomplete=%d; want 3 peers in all", obs.Counts.Complete, obs.Counts.Incomplete)
	}
}

// newIsolatedClient returns a client that learns of peers only from
// trackers (see torrenttest.IsolatedConfig). onConn, if not nil, is called
// for every peer connection added.
func newIsolatedClient(t testing.TB, dataDir string, seed bool, onConn func(*torrent.PeerConn)) *torrent.Client {
	t.Helper()
	cfg := torrenttest.IsolatedConfig(dataDir, seed)
	// anacrolix v1.59.1 serves a connection's queued requests from one
	// goroutine that picks them in map order and blocks on that request's
	// share of MaxAllocPeerRequestDataPerConn (default 1 MiB), while the
	// limiter grants shares first come, first served. Once a leecher has
	// more than 1 MiB requested, the goroutine can wait on a request that
	// will never be granted and uploads stall until the connection drops
	// (observed: half the file, then nothing for 60 s, with the leecher
	// showing 126 requests outstanding). A budget above the whole torrent
	// keeps every share granted immediately.
	cfg.MaxAllocPeerRequestDataPerConn = 64 << 20
	if onConn != nil {
		cfg.Callbacks.PeerConnAdded = append(cfg.Callbacks.PeerConnAdded, onConn)
	}
	return torrenttest.NewClient(t, cfg)
}

// startSeeder starts an isolated client seeding mi from dataDir, and
// waits until it has verified the data and the tracker has it in the
// swarm: a leecher started later must find it there, since anacrolix does
// not announce again for a minute. Any announce registers it (a first
// "started" sent before verification counts it as a leecher).
func startSeeder(ctx context.Context, t testing.TB, tr *trackerproc.Tracker, dataDir string, mi *metainfo.MetaInfo) *torrent.Client {
	t.Helper()
	seeder := newIsolatedClient(t, dataDir, true, nil)
	st, err := seeder.AddTorrent(mi)
	if err != nil {
		t.Fatalf("seeder AddTorrent: %v", err)
	}
	if err := st.VerifyDataContext(ctx); err != nil {
		t.Fatalf("seeder VerifyData: %v", err)
	}
	waitFlag(ctx, t, st.Complete().On(), "the seeder to verify its data")
	waitSwarmSize(ctx, t, tr, id20(mi.HashInfoBytes()), 1)
	return seeder
}

func waitFlag(ctx context.Context, t testing.TB, on <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-on:
	case <-ctx.Done():
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitSwarmSize polls an HTTP scrape until ih has n peers.
func waitSwarmSize(ctx context.Context, t testing.TB, tr *trackerproc.Tracker, ih id20, n int) {
	t.Helper()
	c := httpTracker(t, tr)
	for {
		s, err := scrapeOne(ctx, c, ih)
		if err == nil && s.Complete+s.Incomplete == n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("swarm %x never reached %d peers (last scrape %+v, %v)", ih, n, s, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func checkSameBytes(t testing.TB, where string, got, want []byte) {
	t.Helper()
	gs, ws := sha256.Sum256(got), sha256.Sum256(want)
	if gs != ws || !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes with SHA-256 %x; want %d bytes with SHA-256 %x", where, len(got), gs, len(want), ws)
	}
}
