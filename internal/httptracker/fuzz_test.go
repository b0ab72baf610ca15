package httptracker

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// refDecode is a deliberately naive reference for decodeInto: %XX via
// strconv, everything else (including '+') literal.
func refDecode(s string) ([]byte, bool) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+3 > len(s) {
			return nil, false
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return nil, false
		}
		out = append(out, byte(v))
		i += 2
	}
	return out, true
}

// refParams splits like the spec says, with the standard library, and
// decodes keys and values with refDecode.
func refParams(q string) (keys []string, vals [][]byte, ok bool) {
	if q == "" {
		return nil, nil, true
	}
	for _, field := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(field, "=")
		dk, ok1 := refDecode(k)
		dv, ok2 := refDecode(v)
		if !ok1 || !ok2 {
			return nil, nil, false
		}
		keys, vals = append(keys, string(dk)), append(vals, dv)
	}
	return keys, vals, true
}

func refFirst(keys []string, vals [][]byte, key string) ([]byte, bool) {
	for i, k := range keys {
		if k == key {
			return vals[i], true
		}
	}
	return nil, false
}

func FuzzQuery(f *testing.F) {
	f.Add(announceQuery(id20(1), id20(2), 6881, "left=0&event=started&numwant=10&compact=0&no_peer_id=1&key=x"))
	f.Add("info_hash=" + escID(3) + "&info_hash=" + escID(4))
	f.Add("info_hash=abcdefghij+%2B%2b%00%ff0123&peer_id=-WW0300-abcdef+/ABCD&port=65535")
	f.Add("a=%&b=%4&c=%zz&&=&")
	f.Fuzz(func(t *testing.T, q string) {
		// The decoder agrees with the reference on every whole string.
		var buf [64]byte
		n, fail := decodeInto(buf[:], q, false)
		ref, refOK := refDecode(q)
		if (fail == nil) != refOK {
			t.Fatalf("decodeInto(%q) failure %v, reference ok %v", q, fail, refOK)
		}
		if refOK && (n != len(ref) || !bytes.Equal(buf[:min(n, len(buf))], ref[:min(n, len(buf))])) {
			t.Fatalf("decodeInto(%q) = %q (n=%d), reference %q", q, buf[:min(n, len(buf))], n, ref)
		}
		keys, vals, refParamsOK := refParams(q)

		var p announceParams
		if f := parseAnnounce(q, numWantLimits{def: 50, max: 100}, &p); f == nil {
			if !refParamsOK {
				t.Fatalf("accepted %q that has a bad escape", q)
			}
			ih, ok1 := refFirst(keys, vals, "info_hash")
			pid, ok2 := refFirst(keys, vals, "peer_id")
			if !ok1 || !ok2 || len(ih) != 20 || len(pid) != 20 {
				t.Fatalf("accepted ids that are not 20 bytes: %q %q", ih, pid)
			}
			if !bytes.Equal(ih, p.infoHash[:]) || !bytes.Equal(pid, p.peerID[:]) {
				t.Fatalf("ids %x %x, reference %x %x", p.infoHash, p.peerID, ih, pid)
			}
			port, _ := refFirst(keys, vals, "port")
			if v, err := strconv.ParseUint(string(port), 10, 16); err != nil || v != uint64(p.port) || v == 0 {
				t.Fatalf("port %q accepted as %d", port, p.port)
			}
			if p.numWant < 0 || p.numWant > 100 {
				t.Fatalf("numwant %d out of bounds", p.numWant)
			}
		} else if f == failBadEscape && refParamsOK {
			t.Fatalf("bad escape reported for %q, reference decodes it", q)
		}

		s := new(scratch)
		if f := parseScrape(q, 100, s); f == nil {
			var want [][]byte
			for i, k := range keys {
				if k == "info_hash" {
					want = append(want, vals[i])
				}
			}
			if len(want) != len(s.hashes) {
				t.Fatalf("scrape kept %d hashes, reference %d", len(s.hashes), len(want))
			}
			for i := range want {
				if !bytes.Equal(want[i], s.hashes[i][:]) {
					t.Fatalf("scrape hash %d = %x, reference %x", i, s.hashes[i], want[i])
				}
			}
		}
	})
}

// FuzzAnnounce drives the whole handler: any query from an IPv4 or IPv6
// client yields status 200 and one valid bencoded dict, either a failure
// or a complete announce response.
func FuzzAnnounce(f *testing.F) {
	f.Add(announceQuery(id20(1), id20(2), 6881, "left=0&event=started"), false)
	f.Add(announceQuery(id20(1), id20(3), 6882, "compact=0&numwant=3"), true)
	f.Add(announceQuery(id20(1), id20(4), 6883, "compact=0&no_peer_id=1&event=stopped"), false)
	f.Add("info_hash=++++++++++++++++++++&peer_id=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00&port=1", true)
	f.Add("", false)
	h, err := New(Config{Store: newTestStore(), MaxNumWant: 20})
	if err != nil {
		f.Fatal(err)
	}
	successKeys := []string{"complete", "downloaded", "external ip", "incomplete", "interval", "min interval", "peers"}
	f.Fuzz(func(t *testing.T, q string, v6 bool) {
		remote := "192.0.2.7:1"
		if v6 {
			remote = "[2001:db8::7]:1"
		}
		rec := serve(h.ServeAnnounce, newRequest(remote, q))
		d := checkResponse(t, rec)
		if _, failed := d["failure reason"]; failed {
			for k := range d {
				if k != "failure reason" && k != "retry in" {
					t.Fatalf("failure with extra key %q", k)
				}
			}
		} else {
			for _, k := range successKeys {
				if _, ok := d[k]; !ok {
					t.Fatalf("response %q lacks %q", rec.Body.Bytes(), k)
				}
			}
			switch peers := d["peers"].(type) {
			case string:
				if p6, ok := d["peers6"].(string); !ok || len(peers)%6 != 0 || len(p6)%18 != 0 {
					t.Fatalf("bad compact peers in %q", rec.Body.Bytes())
				}
			case []any:
				if len(peers) > 20 {
					t.Fatalf("%d peers over MaxNumWant", len(peers))
				}
			default:
				t.Fatalf("peers is %T", peers)
			}
		}
		// The same query as a scrape must be well-formed too.
		checkResponse(t, serve(h.ServeScrape, newRequest(remote, q)))
	})
}
