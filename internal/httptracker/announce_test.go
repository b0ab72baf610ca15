package httptracker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/clientip"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// compactPeers decodes peers/peers6 of a compact response.
func compactPeers(t *testing.T, d map[string]any) []netip.AddrPort {
	t.Helper()
	p4, p6 := strOf(t, d, "peers"), strOf(t, d, "peers6")
	if len(p4)%6 != 0 || len(p6)%18 != 0 {
		t.Fatalf("compact lengths %d/%d", len(p4), len(p6))
	}
	var out []netip.AddrPort
	for i := 0; i < len(p4); i += 6 {
		a := netip.AddrFrom4([4]byte([]byte(p4[i : i+4])))
		out = append(out, netip.AddrPortFrom(a, binary.BigEndian.Uint16([]byte(p4[i+4:i+6]))))
	}
	for i := 0; i < len(p6); i += 18 {
		a := netip.AddrFrom16([16]byte([]byte(p6[i : i+16])))
		if a.Is4In6() {
			t.Fatalf("mapped address %v in peers6", a)
		}
		out = append(out, netip.AddrPortFrom(a, binary.BigEndian.Uint16([]byte(p6[i+16:i+18]))))
	}
	return out
}

type dictPeer struct {
	addr   netip.AddrPort
	id     string
	hasID  bool
	fields int
}

// listPeers decodes the non-compact peers list.
func listPeers(t *testing.T, d map[string]any) []dictPeer {
	t.Helper()
	if _, ok := d["peers6"]; ok {
		t.Fatal("peers6 in a non-compact response")
	}
	l, ok := d["peers"].([]any)
	if !ok {
		t.Fatalf("peers is %T, want list", d["peers"])
	}
	var out []dictPeer
	for _, e := range l {
		m := e.(map[string]any)
		a, err := netip.ParseAddr(strOf(t, m, "ip"))
		if err != nil {
			t.Fatalf("ip %q: %v", m["ip"], err)
		}
		p := dictPeer{addr: netip.AddrPortFrom(a, uint16(intOf(t, m, "port"))), fields: len(m)}
		if id, ok := m["peer id"].(string); ok {
			p.id, p.hasID = id, true
		}
		out = append(out, p)
	}
	return out
}

func hasPeer(peers []netip.AddrPort, want string) bool {
	for _, p := range peers {
		if p == netip.MustParseAddrPort(want) {
			return true
		}
	}
	return false
}

func TestAnnounceGolden(t *testing.T) {
	tr := newTracker(t, nil)
	mustOK(t, tr.announce("192.0.2.10:9999", announceQuery(id20(1), id20(2), 6881, "left=0")))
	// Exact bytes: default interval 30m, min interval 15m, one seeder.
	req := newRequest("192.0.2.11:1", announceQuery(id20(1), id20(3), 6882, "left=5"))
	rec := serve(tr.h.ServeAnnounce, req)
	want := "d8:completei1e10:downloadedi0e11:external ip4:\xc0\x00\x02\x0b10:incompletei1e" +
		"8:intervali1800e12:min intervali900e5:peers6:\xc0\x00\x02\x0a\x1a\xe16:peers60:e"
	if rec.Body.String() != want {
		t.Fatalf("got  %q\nwant %q", rec.Body.String(), want)
	}
}

func TestAnnounceRequiredParams(t *testing.T) {
	tr := newTracker(t, nil)
	ih, pid := id20(1), id20(2)
	tests := []struct{ name, query, reason string }{
		{"empty query", "", "missing info_hash"},
		{"no info_hash", "peer_id=" + esc(pid[:]) + "&port=1", "missing info_hash"},
		{"short info_hash", "info_hash=" + esc(ih[:19]) + "&peer_id=" + esc(pid[:]) + "&port=1", "invalid info_hash"},
		{"hex info_hash", fmt.Sprintf("info_hash=%x&peer_id=%s&port=1", ih, esc(pid[:])), "invalid info_hash"},
		{"no peer_id", "info_hash=" + esc(ih[:]) + "&port=1", "missing peer_id"},
		{"long peer_id", "info_hash=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]) + "x&port=1", "invalid peer_id"},
		{"no port", "info_hash=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]), "missing port"},
		{"port 0", announceQuery(ih, pid, 0, ""), "invalid port"},
		{"port 65536", announceQuery(ih, pid, 65536, ""), "invalid port"},
		{"port text", "info_hash=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]) + "&port=http", "invalid port"},
		{"bad escape", announceQuery(ih, pid, 1, "x=%4"), "invalid percent-encoding in query string"},
		{"key too long", announceQuery(ih, pid, 1, "key="+strings.Repeat("k", 101)), "invalid key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustFail(t, tr.announce("192.0.2.1:1", tc.query), tc.reason)
		})
	}
	for _, port := range []int{1, 65535} {
		d := mustOK(t, tr.announce("192.0.2.1:1", announceQuery(ih, pid, port, "key="+strings.Repeat("k", 100))))
		if intOf(t, d, "incomplete") < 1 {
			t.Fatalf("port %d not registered", port)
		}
	}
	if st := tr.h.Stats(); st.Failures != uint64(len(tests)) || st.Announces != uint64(len(tests)+2) {
		t.Fatalf("stats %+v", st)
	}
}

func TestAnnounceQueryTooLong(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.MaxQueryLen = 300 })
	base := announceQuery(id20(1), id20(2), 1, "")
	pad := "&pad=" + strings.Repeat("x", 300-len(base)-len("&pad="))
	mustOK(t, tr.announce("192.0.2.1:1", base+pad))
	mustFail(t, tr.announce("192.0.2.1:1", base+pad+"x"), "query string too long")
}

func TestAnnounceCompactMixedFamilies(t *testing.T) {
	tr := newTracker(t, nil)
	ih := id20(7)
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(ih, id20(1), 1001, "")))
	mustOK(t, tr.announce("[2001:db8::1]:1", announceQuery(ih, id20(2), 1002, "")))
	// An IPv4 client on a dual-stack listener arrives mapped.
	d := mustOK(t, tr.announce("[::ffff:192.0.2.3]:1", announceQuery(ih, id20(3), 1003, "")))
	peers := compactPeers(t, d)
	if len(peers) != 2 || !hasPeer(peers, "192.0.2.1:1001") || !hasPeer(peers, "[2001:db8::1]:1002") {
		t.Fatalf("peers %v", peers)
	}
	if ext := strOf(t, d, "external ip"); ext != "\xc0\x00\x02\x03" {
		t.Fatalf("external ip %x, want 4 unmapped bytes", ext)
	}
	// The mapped client was stored as IPv4 and is handed out as such.
	d = mustOK(t, tr.announce("[2001:db8::9]:1", announceQuery(ih, id20(9), 1009, "")))
	peers = compactPeers(t, d)
	if len(peers) != 3 || !hasPeer(peers, "192.0.2.3:1003") {
		t.Fatalf("peers %v", peers)
	}
	ext := strOf(t, d, "external ip")
	if want := netip.MustParseAddr("2001:db8::9").As16(); ext != string(want[:]) {
		t.Fatalf("external ip %x", ext)
	}
	if c, i := intOf(t, d, "complete"), intOf(t, d, "incomplete"); c != 0 || i != 4 {
		t.Fatalf("counts %d/%d", c, i)
	}
}

func TestAnnounceNonCompact(t *testing.T) {
	tr := newTracker(t, nil)
	ih := id20(7)
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(ih, id20(1), 1001, "")))
	mustOK(t, tr.announce("[2001:db8::1]:1", announceQuery(ih, id20(2), 1002, "")))
	pid3 := id20(3)

	d := mustOK(t, tr.announce("192.0.2.3:1", announceQuery(ih, pid3, 1003, "compact=0")))
	peers := listPeers(t, d)
	if len(peers) != 2 {
		t.Fatalf("peers %v", peers)
	}
	ids := map[netip.AddrPort]string{}
	for _, p := range peers {
		if !p.hasID || p.fields != 3 {
			t.Fatalf("peer dict %+v lacks peer id", p)
		}
		ids[p.addr] = p.id
	}
	want1, want2 := id20(1), id20(2)
	if ids[netip.MustParseAddrPort("192.0.2.1:1001")] != string(want1[:]) ||
		ids[netip.MustParseAddrPort("[2001:db8::1]:1002")] != string(want2[:]) {
		t.Fatalf("peer ids %q", ids)
	}

	d = mustOK(t, tr.announce("192.0.2.3:1", announceQuery(ih, pid3, 1003, "compact=0&no_peer_id=1")))
	for _, p := range listPeers(t, d) {
		if p.hasID || p.fields != 2 {
			t.Fatalf("no_peer_id=1 but got %+v", p)
		}
	}
	// compact=1 and an unrecognised value both mean compact.
	for _, v := range []string{"compact=1", "compact=yes", "compact"} {
		d = mustOK(t, tr.announce("192.0.2.3:1", announceQuery(ih, pid3, 1003, v)))
		if len(compactPeers(t, d)) != 2 {
			t.Fatalf("%s: not compact", v)
		}
	}
}

func TestAnnounceNumWant(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.DefaultNumWant = 3; c.MaxNumWant = 5 })
	ih := id20(9)
	for i := range 8 {
		mustOK(t, tr.announce(fmt.Sprintf("192.0.2.%d:1", i+1), announceQuery(ih, id20(byte(i)), 1000+i, "")))
	}
	tests := []struct {
		extra string
		want  int
	}{
		{"", 3},
		{"numwant=0", 0},
		{"numwant=1", 1},
		{"numwant=5", 5},
		{"numwant=1000", 5},
		{"numwant=9", 5},
		{"numwant=999", 5},
		{"numwant=-1", 3},
		{"numwant=x", 3},
	}
	for _, tc := range tests {
		d := mustOK(t, tr.announce("192.0.2.100:1", announceQuery(ih, id20(100), 999, tc.extra)))
		peers := compactPeers(t, d)
		if len(peers) != tc.want {
			t.Errorf("%q: %d peers, want %d", tc.extra, len(peers), tc.want)
		}
		if hasPeer(peers, "192.0.2.100:999") {
			t.Errorf("%q: requester got itself", tc.extra)
		}
		d = mustOK(t, tr.announce("192.0.2.100:1", announceQuery(ih, id20(100), 999, tc.extra+"&compact=0")))
		if n := len(listPeers(t, d)); n != tc.want {
			t.Errorf("%q non-compact: %d peers, want %d", tc.extra, n, tc.want)
		}
	}
}

func TestAnnounceEventsAndLeft(t *testing.T) {
	tr := newTracker(t, nil)
	ih := id20(11)
	a, b, c := "192.0.2.1:1", "192.0.2.2:1", "192.0.2.3:1"
	counts := func(d map[string]any) string {
		return fmt.Sprintf("%d/%d/%d", intOf(t, d, "complete"), intOf(t, d, "incomplete"), intOf(t, d, "downloaded"))
	}
	step := func(remote, extra, want string) map[string]any {
		t.Helper()
		d := mustOK(t, tr.announce(remote, announceQuery(ih, id20(remote[8]), 6881, extra)))
		if got := counts(d); got != want {
			t.Fatalf("%s %q: counts %s, want %s (complete/incomplete/downloaded)", remote, extra, got, want)
		}
		return d
	}
	step(a, "event=started", "0/1/0")          // unknown left: leecher
	step(b, "event=started&left=0", "1/1/0")   // seeder
	step(c, "left=10", "1/2/0")                // no event creates
	step(a, "event=paused&left=5", "1/2/0")    // paused is an update
	step(a, "event=empty&left=junk", "1/2/0")  // unparsable left keeps status
	step(b, "event=&left=junk", "1/2/0")       // seeder stays seeder
	step(a, "event=completed&left=0", "2/1/1") // completed counts once
	step(a, "event=completed&left=0", "2/1/1") // ...and only once
	step(a, "event=%3Cregular%3E", "2/1/1")    // unknown event: update
	step(c, "event=completed&left=0", "3/0/2") // another completion
	d := step(b, "event=stopped", "2/0/2")     // stopped removes only b
	if p := compactPeers(t, d); len(p) != 0 {
		t.Fatalf("stopped peer got peers %v", p)
	}
	if strOf(t, d, "peers") != "" || strOf(t, d, "peers6") != "" {
		t.Fatal("stopped response must carry empty peers and peers6")
	}
	d = step(a, "", "2/0/2")
	if p := compactPeers(t, d); len(p) != 1 || !hasPeer(p, "192.0.2.3:6881") {
		t.Fatalf("after b stopped, a sees %v", p)
	}
	step(b, "event=stopped", "2/0/2") // stopping an absent peer is a no-op
	if st := tr.h.Stats(); st.UnknownEvents != 1 {
		t.Fatalf("unknown events %d, want 1", st.UnknownEvents)
	}
}

func TestAnnounceStoppedNonCompactHasNoPeers(t *testing.T) {
	tr := newTracker(t, nil)
	ih := id20(12)
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(ih, id20(1), 1, "")))
	mustOK(t, tr.announce("192.0.2.2:1", announceQuery(ih, id20(2), 1, "")))
	d := mustOK(t, tr.announce("192.0.2.2:1", announceQuery(ih, id20(2), 1, "event=stopped&compact=0")))
	if p := listPeers(t, d); len(p) != 0 {
		t.Fatalf("stopped got %v", p)
	}
}

func TestAnnounceIgnoresIPParams(t *testing.T) {
	tr := newTracker(t, nil)
	ih := id20(13)
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(ih, id20(1), 1111, "ip=203.0.113.9&ipv4=203.0.113.9&ipv6=2001:db8::9")))
	d := mustOK(t, tr.announce("192.0.2.2:1", announceQuery(ih, id20(2), 2222, "")))
	if p := compactPeers(t, d); len(p) != 1 || !hasPeer(p, "192.0.2.1:1111") {
		t.Fatalf("ip param was honoured: %v", p)
	}
}

func TestAnnounceEntryPerEndpoint(t *testing.T) {
	// Native peers are keyed by endpoint: a new peer id from the same
	// address and port is the same entry.
	tr := newTracker(t, nil)
	ih := id20(14)
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(ih, id20(1), 1111, "")))
	d := mustOK(t, tr.announce("192.0.2.1:2", announceQuery(ih, id20(2), 1111, "")))
	if intOf(t, d, "incomplete") != 1 {
		t.Fatalf("same endpoint counted twice: %v", d)
	}
}

func TestAnnouncePlusRetry(t *testing.T) {
	tr := newTracker(t, nil)
	// A hash with a 0x20 byte, announced correctly escaped.
	spaced := id20(20)
	spaced[5] = ' '
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(spaced, id20(1), 1111, "")))

	// A form encoder sends '+' for that byte: the retry finds the swarm.
	formQ := "info_hash=" + esc(spaced[:5]) + "+" + esc(spaced[6:]) + "&peer_id=" + escID(2) + "&port=2222"
	d := mustOK(t, tr.announce("192.0.2.2:1", formQ))
	if p := compactPeers(t, d); len(p) != 1 || !hasPeer(p, "192.0.2.1:1111") {
		t.Fatalf("'+' was not retried as space: peers %v", p)
	}
	if st := tr.h.Stats(); st.PlusRetries != 1 {
		t.Fatalf("plus retries %d", st.PlusRetries)
	}

	// When the literal '+' swarm exists, it wins.
	literal := spaced
	literal[5] = '+'
	mustOK(t, tr.announce("192.0.2.3:1", announceQuery(literal, id20(3), 3333, "")))
	d = mustOK(t, tr.announce("192.0.2.4:1", strings.Replace(formQ, "2222", "4444", 1)))
	if p := compactPeers(t, d); len(p) != 1 || !hasPeer(p, "192.0.2.3:3333") {
		t.Fatalf("literal swarm not preferred: peers %v", p)
	}

	// When neither exists, the literal form is created.
	fresh := id20(21)
	fresh[0] = '+'
	q := "info_hash=+" + esc(fresh[1:]) + "&peer_id=" + escID(5) + "&port=5555"
	mustOK(t, tr.announce("192.0.2.5:1", q))
	counts, err := tr.store.Scrape(context.Background(), []bittorrent.InfoHash{fresh}, nil)
	if err != nil || counts[0].Incomplete != 1 {
		t.Fatalf("literal swarm not created: %v %v", counts, err)
	}
}

func TestAnnounceClientAddrResolver(t *testing.T) {
	prefixes, err := clientip.ParsePrefixes("10.0.0.0/8,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	res := clientip.New(prefixes)
	tr := newTracker(t, func(c *Config) { c.ClientAddr = res.ClientAddr })
	ih := id20(30)
	announce := func(remote string, hdr http.Header, pid byte, port int) map[string]any {
		t.Helper()
		return tr.do(tr.h.ServeAnnounce, remote, announceQuery(ih, id20(pid), port, ""), hdr)
	}
	// Through a trusted proxy, the right-most untrusted hop is the client.
	d := mustOK(t, announce("10.0.0.1:5", http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.7, 10.0.0.2"}}, 1, 1111))
	if ext := strOf(t, d, "external ip"); ext != "\xc6\x33\x64\x07" {
		t.Fatalf("external ip %x", ext)
	}
	d = mustOK(t, announce("[fd00::1]:5", http.Header{"X-Real-Ip": {"2001:db8::5"}}, 2, 2222))
	if p := compactPeers(t, d); len(p) != 1 || !hasPeer(p, "198.51.100.7:1111") {
		t.Fatalf("peers %v", p)
	}
	// A client cannot spoof its address by sending the header itself.
	d = mustOK(t, announce("203.0.113.3:5", http.Header{"X-Forwarded-For": {"198.51.100.99"}}, 3, 3333))
	p := compactPeers(t, d)
	if len(p) != 2 || !hasPeer(p, "198.51.100.7:1111") || !hasPeer(p, "[2001:db8::5]:2222") {
		t.Fatalf("peers %v", p)
	}
	if ext := strOf(t, d, "external ip"); ext != "\xcb\x00\x71\x03" {
		t.Fatalf("spoofed external ip %x", ext)
	}
	// A proxy that forwards garbage gets a failure, not its own address
	// registered as the peer.
	mustFail(t, announce("10.0.0.1:5", http.Header{"X-Forwarded-For": {"unknown"}}, 4, 4444), "cannot determine client address")
}

func TestAnnounceCustomClientAddrIsNormalized(t *testing.T) {
	tr := newTracker(t, func(c *Config) {
		c.ClientAddr = func(*http.Request) (netip.Addr, error) {
			return netip.MustParseAddr("::ffff:198.51.100.1"), nil
		}
	})
	d := mustOK(t, tr.announce("ignored", announceQuery(id20(1), id20(2), 1, "")))
	if ext := strOf(t, d, "external ip"); len(ext) != 4 {
		t.Fatalf("external ip %x not unmapped", ext)
	}
	tr = newTracker(t, func(c *Config) {
		c.ClientAddr = func(*http.Request) (netip.Addr, error) { return netip.Addr{}, errors.New("no") }
	})
	mustFail(t, tr.announce("192.0.2.1:1", announceQuery(id20(1), id20(2), 1, "")), "cannot determine client address")
}

func TestAnnounceStoreErrors(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.Store = failingStore{err: errors.New("redis down")} })
	d := tr.announce("192.0.2.1:1", announceQuery(id20(1), id20(2), 1, ""))
	mustFail(t, d, "internal tracker error")
	if strOf(t, d, "retry in") != "1" {
		t.Fatalf("retry in %v", d["retry in"])
	}
	overloaded := &Failure{Reason: "overloaded", RetryIn: "never"}
	tr = newTracker(t, func(c *Config) { c.Store = failingStore{err: fmt.Errorf("wrapped: %w", overloaded)} })
	d = tr.announce("192.0.2.1:1", announceQuery(id20(1), id20(2), 1, ""))
	mustFail(t, d, "overloaded")
	if strOf(t, d, "retry in") != "never" {
		t.Fatalf("retry in %v", d["retry in"])
	}
	if st := tr.h.Stats(); st.StoreErrors != 1 {
		t.Fatalf("store errors %d", st.StoreErrors)
	}
}

func TestAnnounceAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	tr := newTracker(t, nil)
	ih := id20(40)
	for i := range 60 {
		mustOK(t, tr.announce(fmt.Sprintf("192.0.2.%d:1", i+1), announceQuery(ih, id20(byte(i)), 1000+i, "")))
	}
	req := newRequest("192.0.2.200:1", announceQuery(ih, id20(200), 999, "left=0&compact=1&numwant=50"))
	w := newReusableRecorder()
	serveOnce := func() {
		w.reset()
		tr.h.ServeAnnounce(w, req)
	}
	serveOnce()
	if n := testing.AllocsPerRun(200, serveOnce); n > 0 {
		t.Errorf("ServeAnnounce allocates %v times per request", n)
	}
}

// badPeersStore answers with entries a native client must never get.
type badPeersStore struct{ swarm.Store }

func (badPeersStore) Announce(_ context.Context, _ *swarm.AnnounceRequest, res *swarm.AnnounceResult) error {
	res.Peers = append(res.Peers,
		swarm.Peer{Kind: swarm.WebRTC, Owner: 1},
		swarm.Peer{Kind: swarm.Native},
		swarm.Peer{Kind: swarm.Native, Addr: netip.MustParseAddrPort("[::ffff:192.0.2.5]:5")},
		swarm.Peer{Kind: swarm.Native, Addr: netip.MustParseAddrPort("[fe80::1%eth0]:6")},
	)
	return nil
}

func TestAnnounceFiltersBrokenStorePeers(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.Store = badPeersStore{newTestStore()} })
	d := mustOK(t, tr.announce("192.0.2.1:1", announceQuery(id20(1), id20(2), 1, "")))
	if p := compactPeers(t, d); len(p) != 2 || !hasPeer(p, "192.0.2.5:5") || !hasPeer(p, "[fe80::1]:6") {
		t.Fatalf("compact peers %v", p)
	}
	d = mustOK(t, tr.announce("192.0.2.1:1", announceQuery(id20(1), id20(2), 1, "compact=0")))
	p := listPeers(t, d)
	if len(p) != 2 || p[0].addr != netip.MustParseAddrPort("192.0.2.5:5") || p[1].addr != netip.MustParseAddrPort("[fe80::1]:6") {
		t.Fatalf("dict peers %v", p)
	}
}
