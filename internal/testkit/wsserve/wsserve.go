// Package wsserve runs WebSocket servers for tests: fake trackers built on
// coder/websocket, an implementation independent of the project's own, so
// that a client is never tested against its own frame code.
//
// It imports "testing": import it only from _test.go files.
package wsserve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// Start serves handle on every WebSocket connection until the test ends,
// and returns the ws:// URL. The cleanup closes every connection and waits
// for every handle to return.
func Start(t testing.TB, handle func(ctx context.Context, c *websocket.Conn)) string {
	t.Helper()
	// httptest does not wait for hijacked connections: the handlers are
	// counted here, and none starts once the test is over.
	var (
		mu   sync.Mutex
		done bool
		wg   sync.WaitGroup
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if done {
			mu.Unlock()
			return
		}
		wg.Add(1)
		mu.Unlock()
		defer wg.Done()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		handle(r.Context(), c)
	}))
	t.Cleanup(func() {
		mu.Lock()
		done = true
		mu.Unlock()
		srv.CloseClientConnections()
		srv.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}
