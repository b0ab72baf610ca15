package browser_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/pion/webrtc/v4"

	"github.com/swarmbridge/swarmbridge/internal/testkit/torrenttest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// TestHybridSeederServesBrowserAndNativePeers is the promise of one shared
// swarm: a hybrid anacrolix/torrent client that speaks both TCP and WebRTC
// seeds a file and announces it over WebSocket and UDP; then, at the same
// time, a browser tab running the unmodified WebTorrent 3 bundle (which
// only knows the ws:// tracker) downloads it over WebRTC, and a TCP-only
// anacrolix client (which only knows the http:// tracker) downloads it over
// TCP. Nothing but Swarmbridge introduces any of them: the browser reaches
// the seeder through offers and answers relayed over WebSocket, the native
// leecher learns the seeder's TCP address from an HTTP announce whose peer
// list comes from the seeder's UDP announce. Both copies are checked
// against the original, the seeder must have sent the whole file over each
// transport, and the tracker must count peers of both kinds in the swarm.
func TestHybridSeederServesBrowserAndNativePeers(t *testing.T) {
	// anacrolix's WebRTC side must gather loopback candidates; see
	// bridge_webrtc_test.go for why this takes a linkname.
	bridgeEnableLoopbackWebRTC()
	start := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }

	tr := trackerproc.Start(t, trackerBin)
	pages := pageServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	const size = 4 << 20
	udpURL := "udp://" + tr.UDPAddr + "/announce"
	seedDir := t.TempDir()
	data, mi := torrenttest.MakeTorrent(t, seedDir, "payload.bin", size, 64<<10, "swarmbridge e2e/browser", tr.WSURL(), udpURL)
	ih := mi.HashInfoBytes()
	sum := sha256.Sum256(data)
	wantSHA := hex.EncodeToString(sum[:])

	// The hybrid seeder: TCP on 127.0.0.1 plus WebTorrent (WebRTC data,
	// WebSocket signaling). It records its peer connections so the test can
	// tell afterwards how much it sent over each transport.
	var seederConns bridgeConnLog
	seeder := bridgeNewClient(t, seedDir, true, true, &seederConns)
	st, err := seeder.AddTorrent(mi)
	if err != nil {
		t.Fatalf("seeder AddTorrent: %v", err)
	}
	bridgeWaitFlag(ctx, t, st.Complete().On(), func() string { return "the seeder to verify its data" })
	// Both leechers must find the seeder already registered: anacrolix does
	// not announce again for a while. A hybrid that announces over WS and
	// over UDP is two entries of the swarm (docs/protocol.md §6.1), one of
	// each kind.
	bridgeWaitStats(ctx, t, tr, ih, "the seeder's WebSocket and UDP announces", func(s bridgeStats) bool {
		return s.PeersByKind["webrtc"] == 1 && s.PeersByKind["native"] == 1 && s.total(ih) == 2
	})
	step("seeder verified and announced over WebSocket and UDP")

	// The browser leecher knows only the magnet and the ws:// tracker. Its
	// offers reach the seeder only through Swarmbridge's WebSocket relay.
	magnet := metainfo.Magnet{InfoHash: ih, DisplayName: "payload.bin", Trackers: []string{tr.WSURL()}}
	b := newBrowser(t)
	leech := b.newTab("browser leecher")
	leech.navigate(pages + "/webtorrent.html?role=leech&tracker=" + url.QueryEscape(tr.WSURL()) + "&magnet=" + url.QueryEscape(magnet.String()))
	bridgeWaitStats(ctx, t, tr, ih, "the browser's WebSocket announce", func(s bridgeStats) bool {
		return s.PeersByKind["webrtc"] >= 2
	})
	step("browser announced; starting the native leecher")

	// The native leecher announces over HTTP (the seeder used UDP, so its
	// TCP address crosses from the UDP side of the store to the HTTP side;
	// an HTTP announce never returns the browser). It gets a copy of the
	// metainfo whose only tracker is the HTTP one.
	leechDir := t.TempDir()
	leecher := bridgeNewClient(t, leechDir, false, false, nil)
	nativeMI := *mi
	nativeMI.Announce = tr.HTTPURL() + "/announce"
	nativeMI.AnnounceList = [][]string{{nativeMI.Announce}}
	lt, err := leecher.AddTorrent(&nativeMI)
	if err != nil {
		t.Fatalf("native leecher AddTorrent: %v", err)
	}
	lt.DownloadAll()

	// While both are in the swarm, the tracker counts two peers of each
	// kind for this torrent (the only one on this tracker): the seeder's WS
	// and UDP entries, the browser's WS entry, the native leecher's HTTP
	// entry. Nobody sends "stopped" before the end of the test, so this
	// holds from the moment both leechers have announced until cleanup.
	during := bridgeWaitStats(ctx, t, tr, ih, "both leechers to be in the swarm", func(s bridgeStats) bool {
		return s.PeersByKind["webrtc"] >= 2 && s.PeersByKind["native"] >= 2
	})
	step("both leechers counted in the swarm")
	if during.PeersByKind["webrtc"] != 2 || during.PeersByKind["native"] != 2 || during.total(ih) != 4 {
		t.Errorf("/stats while both leechers are in the swarm: peers_by_kind %v, torrent %+v; want 2 webrtc and 2 native peers, 4 in the swarm",
			during.PeersByKind, during.Torrents[ih.HexString()])
	}

	// Both downloads run at once; poll both until each is done. Only the
	// order and the times are logged: nothing here depends on speed.
	browserDone, nativeDone := false, false
	for !browserDone || !nativeDone {
		if !nativeDone && lt.Complete().Bool() {
			nativeDone = true
			step("native download done")
		}
		if !browserDone && eval[bool](leech, "window.result !== null") {
			browserDone = true
			step("browser download done")
		}
		if browserDone && nativeDone {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out: browser done %v, native leecher %d/%d bytes\nbrowser console:\n%s\npage log:\n%s",
				browserDone, lt.BytesCompleted(), size, leech.consoleText(), leech.text("#log"))
		case <-time.After(100 * time.Millisecond):
		}
	}
	type got struct {
		SHA   string `json:"sha"`
		Size  int    `json:"size"`
		Peers int    `json:"peers"`
	}
	res := eval[got](leech, "window.result")
	leech.screenshot("bridge-hybrid-browser-leecher.png")

	// Browser: the page hashed what WebTorrent assembled.
	if res.Size != size || res.SHA != wantSHA {
		t.Errorf("browser downloaded %d bytes with SHA-256 %s; want %d bytes with %s", res.Size, res.SHA, size, wantSHA)
	}
	if res.Peers < 1 {
		t.Errorf("browser finished with %d peers; want the seeder", res.Peers)
	}
	if fails := eval[[]string](leech, "window.failures"); len(fails) > 0 {
		t.Errorf("browser reported errors: %v", fails)
	}
	// Native: full byte comparison, through the client and on disk.
	r := lt.NewReader()
	viaReader, err := io.ReadAll(r)
	_ = r.Close()
	if err != nil {
		t.Fatalf("reading the native leecher's torrent: %v", err)
	}
	bridgeSameBytes(t, "native leecher (reader)", viaReader, data)
	onDisk, err := os.ReadFile(filepath.Join(leechDir, "payload.bin"))
	if err != nil {
		t.Fatalf("native leecher's file: %v", err)
	}
	bridgeSameBytes(t, "native leecher (file)", onDisk, data)

	// The only holder of the data is the seeder and neither leecher can
	// reach the other, so each got the whole file from the seeder: check
	// that the seeder itself saw it leave over each transport.
	sent := seederConns.dataSent()
	t.Logf("seeder sent piece data: %v", sent)
	if sent["webrtc"] < size {
		t.Errorf("seeder sent %d bytes of piece data over WebRTC; want at least %d (the browser's copy)", sent["webrtc"], size)
	}
	if sent["tcp"] < size {
		t.Errorf("seeder sent %d bytes of piece data over TCP; want at least %d (the native leecher's copy)", sent["tcp"], size)
	}

	// Any transport's scrape counts the whole swarm: the HTTP scrape a
	// native client would do sees the browser too.
	sc, err := bridgeHTTPScrape(ctx, tr.HTTPURL(), ih)
	if err != nil {
		t.Fatalf("HTTP scrape: %v", err)
	}
	if sc.Complete+sc.Incomplete != 4 {
		t.Errorf("HTTP scrape after both downloads: %+v; want 4 peers (hybrid seeder ×2, browser, native leecher)", sc)
	}
	t.Logf("browser result %+v; /stats during transfer %+v; HTTP scrape after %+v", res, during, sc)
}

// bridgeNewClient returns a client that learns of peers only from trackers
// (see torrenttest.IsolatedConfig). With webtorrent it also announces to
// ws:// trackers and speaks WebRTC, with no STUN/TURN servers (loopback
// host candidates are all there is). If conns is not nil it records every
// peer connection.
func bridgeNewClient(t *testing.T, dataDir string, seed, webtorrent bool, conns *bridgeConnLog) *torrent.Client {
	t.Helper()
	cfg := torrenttest.IsolatedConfig(dataDir, seed)
	cfg.DisableWebtorrent = !webtorrent
	cfg.ICEServerList = []webrtc.ICEServer{}
	// With the default 1 MiB, anacrolix v1.59.1 stalls a seeder that has
	// more than 1 MiB of requests queued from one peer (a TCP leecher
	// queues up to 2 MiB): peerRequestServer waits for the allocation of a
	// randomly chosen request (map order) while the reservations ahead of
	// it belong to requests it has not read yet, until the connection dies
	// a minute later. Room for a full request queue (localClientReqq 1024
	// chunks × 16 KiB) avoids that; it is a client quirk, not the tracker.
	cfg.MaxAllocPeerRequestDataPerConn = 16 << 20
	if conns != nil {
		cfg.Callbacks.PeerConnAdded = append(cfg.Callbacks.PeerConnAdded, conns.add)
	}
	return torrenttest.NewClient(t, cfg)
}

// bridgeConnLog remembers a client's peer connections, closed ones too.
// The callback runs under the client's lock, so it only stores the
// pointer; stats are read later from the test goroutine.
type bridgeConnLog struct {
	mu    sync.Mutex
	conns []*torrent.PeerConn
}

func (l *bridgeConnLog) add(pc *torrent.PeerConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns = append(l.conns, pc)
}

// dataSent sums piece data written per transport ("webrtc", "tcp").
func (l *bridgeConnLog) dataSent() map[string]int64 {
	l.mu.Lock()
	conns := append([]*torrent.PeerConn(nil), l.conns...)
	l.mu.Unlock()
	out := map[string]int64{}
	for _, pc := range conns {
		kind := pc.Network
		if strings.HasPrefix(kind, "tcp") {
			kind = "tcp"
		}
		stats := pc.Stats()
		out[kind] += stats.BytesWrittenData.Int64()
	}
	return out
}

// bridgeStats is the part of GET /stats this test reads.
type bridgeStats struct {
	PeersByKind map[string]int `json:"peers_by_kind"`
	Torrents    map[string]struct {
		Complete   int `json:"complete"`
		Incomplete int `json:"incomplete"`
	} `json:"torrents"`
}

func (s bridgeStats) total(ih metainfo.Hash) int {
	c := s.Torrents[ih.HexString()]
	return c.Complete + c.Incomplete
}

func bridgeGetStats(ctx context.Context, base string, ih metainfo.Hash) (bridgeStats, error) {
	var s bridgeStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/stats?info_hash="+ih.HexString(), nil)
	if err != nil {
		return s, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET /stats: %s", resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s, err
}

// bridgeWaitStats polls /stats until ok holds and returns that sample.
func bridgeWaitStats(ctx context.Context, t *testing.T, tr *trackerproc.Tracker, ih metainfo.Hash, what string, ok func(bridgeStats) bool) bridgeStats {
	t.Helper()
	for {
		s, err := bridgeGetStats(ctx, tr.HTTPURL(), ih)
		if err == nil && ok(s) {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s (last /stats %+v, %v)", what, s, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

type bridgeScrape struct {
	Complete   int64 `bencode:"complete"`
	Incomplete int64 `bencode:"incomplete"`
	Downloaded int64 `bencode:"downloaded"`
}

// bridgeHTTPScrape does a BEP 48 scrape of one info hash.
func bridgeHTTPScrape(ctx context.Context, base string, ih metainfo.Hash) (bridgeScrape, error) {
	var out bridgeScrape
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/scrape?info_hash="+url.QueryEscape(string(ih[:])), nil)
	if err != nil {
		return out, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, err
	}
	var r struct {
		Files   map[string]bridgeScrape `bencode:"files"`
		Failure string                  `bencode:"failure reason"`
	}
	if err := bencode.Unmarshal(body, &r); err != nil {
		return out, fmt.Errorf("scrape response %q: %w", body, err)
	}
	if r.Failure != "" {
		return out, fmt.Errorf("scrape failed: %s", r.Failure)
	}
	f, ok := r.Files[string(ih[:])]
	if !ok {
		return out, fmt.Errorf("scrape response has no entry for %x: %q", ih, body)
	}
	return f, nil
}

func bridgeWaitFlag(ctx context.Context, t *testing.T, on <-chan struct{}, what func() string) {
	t.Helper()
	select {
	case <-on:
	case <-ctx.Done():
		t.Fatalf("timed out waiting for %s", what())
	}
}

func bridgeSameBytes(t *testing.T, where string, got, want []byte) {
	t.Helper()
	gs, ws := sha256.Sum256(got), sha256.Sum256(want)
	if gs != ws || !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes with SHA-256 %x; want %d bytes with SHA-256 %x", where, len(got), gs, len(want), ws)
	}
}
