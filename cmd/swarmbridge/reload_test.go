package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
)

// syncBuffer is a log sink safe for the tracker's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// reload (what SIGHUP runs) swaps the keys file and the deny-list in while
// a WebSocket stays open, and logs a file that fails, keeping its previous
// version.
func TestReloadSwapsAccessListsUnderALiveConnection(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const key = "reload-key-0123456789"
	dir := t.TempDir()
	keys, deny := filepath.Join(dir, "keys"), filepath.Join(dir, "deny")
	ih := bytes.Repeat([]byte{0x42}, 20)
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(keys, key+"\n")
	write(deny, "")
	cfg, err := config.Load([]string{"SWARMBRIDGE_KEYS_FILE=" + keys, "SWARMBRIDGE_INFOHASH_DENYLIST=" + deny})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, Logger: zerolog.Nop(), Store: memory.New(memory.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/announce/"+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	wsIH := strings.Repeat(`B`, 20) // 0x42
	announce := func() string {
		t.Helper()
		msg := `{"action":"announce","event":"started","left":0,"info_hash":"` + wsIH + `","peer_id":"PPPPPPPPPPPPPPPPPPPP"}`
		if err := ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := announce(); !strings.Contains(got, `"interval"`) {
		t.Fatalf("before reload: %s", got)
	}

	var logs syncBuffer
	log := zerolog.New(&logs)
	write(deny, hex.EncodeToString(ih)+"\n")
	reload(log, nil, srv)
	if !strings.Contains(logs.String(), "SIGHUP: access lists reloaded") || !strings.Contains(logs.String(), "deny-list: 1 hashes") {
		t.Fatalf("logs: %s", logs.String())
	}
	if got := announce(); !strings.Contains(got, `"failure reason":"info_hash not allowed"`) {
		t.Fatalf("after reload: %s", got)
	}

	// A broken file: logged, previous list kept, connection still open.
	write(deny, "nonsense\n")
	reload(log, nil, srv)
	if !strings.Contains(logs.String(), "SIGHUP: access list not reloaded") || !strings.Contains(logs.String(), deny) {
		t.Fatalf("logs: %s", logs.String())
	}
	if got := announce(); !strings.Contains(got, "info_hash not allowed") {
		t.Fatalf("after a broken reload: %s", got)
	}
	if srv.WebSocketConns() != 1 {
		t.Fatalf("%d WebSocket connections, want the one still open", srv.WebSocketConns())
	}
	// Nothing to reload on an open tracker: reload says nothing about lists.
	var quiet syncBuffer
	open, err := server.New(server.Options{Config: mustLoad(t), Logger: zerolog.Nop(), Store: memory.New(memory.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	reload(zerolog.New(&quiet), nil, open)
	if quiet.String() != "" {
		t.Fatalf("reload of an open tracker logged %s", quiet.String())
	}
}

func mustLoad(t *testing.T) config.Config {
	t.Helper()
	c, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
