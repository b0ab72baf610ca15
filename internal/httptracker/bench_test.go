package httptracker

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/bencodetest"
)

// benchServe runs one handler through ServeHTTP with a reused response
// writer. reusableRecorder is used rather than httptest.ResponseRecorder:
// the latter cannot be reset (it writes its header once per lifetime), so
// reusing it would skip part of the work.
func benchServe(b *testing.B, h http.Handler, req *http.Request) {
	w := newReusableRecorder()
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, req)
	}
	if _, err := bencodetest.Decode(w.body); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkAnnounce(b *testing.B) {
	h, err := New(Config{Store: newTestStore()})
	if err != nil {
		b.Fatal(err)
	}
	ih := id20(1)
	for i := range 200 {
		req := newRequest(fmt.Sprintf("192.0.2.%d:1", i), announceQuery(ih, id20(byte(i)), 1000+i, "left=1"))
		if i%2 == 1 {
			req.RemoteAddr = fmt.Sprintf("[2001:db8::%x]:1", i)
		}
		serve(h.ServeAnnounce, req)
	}
	for _, mode := range []string{"compact=1", "compact=0"} {
		b.Run(mode, func(b *testing.B) {
			q := announceQuery(ih, id20(250), 6881, "uploaded=0&downloaded=0&left=0&key=1a2b3c4d&numwant=50&"+mode)
			benchServe(b, http.HandlerFunc(h.ServeAnnounce), newRequest("198.51.100.1:40000", q))
		})
	}
}

func BenchmarkScrape(b *testing.B) {
	h, err := New(Config{Store: newTestStore()})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 10, 100} {
		var parts []string
		for i := range n {
			ih := id20(byte(255 - i))
			serve(h.ServeAnnounce, newRequest("192.0.2.1:1", announceQuery(ih, id20(1), 1, "")))
			parts = append(parts, "info_hash="+esc(ih[:]))
		}
		b.Run(fmt.Sprintf("hashes=%d", n), func(b *testing.B) {
			benchServe(b, http.HandlerFunc(h.ServeScrape), newRequest("198.51.100.1:1", strings.Join(parts, "&")))
		})
	}
}
