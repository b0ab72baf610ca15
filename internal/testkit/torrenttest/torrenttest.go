// Package torrenttest builds torrents and anacrolix/torrent clients for the
// end-to-end tests. Only tests may import it, so that anacrolix never
// becomes part of the tracker binary.
package torrenttest

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	g "github.com/anacrolix/generics"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// MakeTorrent writes size random bytes to dir/name and returns them with a
// single-file metainfo announcing to trackers, one tier each (anacrolix
// announces to every URL of every tier, not just the first working tier).
func MakeTorrent(t testing.TB, dir, name string, size int, pieceLen int64, createdBy string, trackers ...string) ([]byte, *metainfo.MetaInfo) {
	t.Helper()
	if len(trackers) == 0 {
		t.Fatal("MakeTorrent: no trackers")
	}
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: pieceLen}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatalf("BuildFromFilePath: %v", err)
	}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	mi := &metainfo.MetaInfo{
		InfoBytes:    infoBytes,
		Announce:     trackers[0],
		CreatedBy:    createdBy,
		CreationDate: time.Now().Unix(),
	}
	for _, tr := range trackers {
		mi.AnnounceList = append(mi.AnnounceList, []string{tr})
	}
	return data, mi
}

// IsolatedConfig returns the config of a client that can learn of peers
// only from trackers, so that a transfer proves the tracker introduced the
// peers: no DHT, PEX, WebTorrent, webseeds or port mapping (anacrolix has
// no local service discovery), TCP on 127.0.0.1 only. Data is stored as
// plain files under dataDir, so tests can compare them with the original.
func IsolatedConfig(dataDir string, seed bool) *torrent.ClientConfig {
	cfg := torrent.NewDefaultClientConfig()
	cfg.DataDir = dataDir
	cfg.DefaultStorage = storage.NewFileOpts(storage.NewFileClientOpts{
		ClientBaseDir:   dataDir,
		PieceCompletion: storage.NewMapPieceCompletion(),
		UsePartFiles:    g.Some(false),
	})
	cfg.ListenHost = func(string) string { return "127.0.0.1" }
	cfg.ListenPort = 0
	cfg.DisableIPv6 = true
	cfg.DisableUTP = true
	cfg.NoDHT = true
	cfg.PeriodicallyAnnounceTorrentsToDht = false
	cfg.DhtStartingNodes = nil
	cfg.DisablePEX = true
	cfg.DisableWebtorrent = true
	cfg.DisableWebseeds = true
	cfg.NoDefaultPortForwarding = true
	cfg.Seed = seed
	return cfg
}

// NewClient starts a client and closes it when the test ends, waiting
// until it has, so that nothing it does outlives the test's tracker and
// temporary directories.
func NewClient(t testing.TB, cfg *torrent.ClientConfig) *torrent.Client {
	t.Helper()
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatalf("torrent.NewClient: %v", err)
	}
	t.Cleanup(func() {
		for _, err := range cl.Close() {
			t.Errorf("closing torrent client: %v", err)
		}
		<-cl.Closed()
	})
	return cl
}
