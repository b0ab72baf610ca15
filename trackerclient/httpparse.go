package trackerclient

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// decodeReply decodes an HTTP tracker body and turns a "failure reason"
// into a *FailureError.
func decodeReply(body []byte, status int) (bvalue, []Quirk, error) {
	v, d, err := bdecode(body)
	if err != nil {
		return bvalue{}, nil, err
	}
	if v.kind != bDict {
		return bvalue{}, nil, malformed("the reply is a bencoded %s, not a dictionary", v.kind)
	}
	var quirks []Quirk
	if d.unsorted {
		quirks = addQuirk(quirks, QuirkUnsortedKeys)
	}
	if fr, ok := v.get("failure reason"); ok {
		if fr.kind != bString {
			return bvalue{}, nil, malformed(`"failure reason" is a %s, not a string`, fr.kind)
		}
		fe := &FailureError{Reason: string(fr.s), StatusCode: status}
		if r, ok := v.get("retry in"); ok {
			parseRetryIn(r, fe)
		}
		return bvalue{}, nil, fe
	}
	return v, quirks, nil
}

// parseRetryIn reads BEP 31's "retry in": minutes as a string (or, from
// some trackers, an integer), or "never". Anything else is ignored: the
// failure itself is what matters.
func parseRetryIn(r bvalue, fe *FailureError) {
	switch r.kind {
	case bInt:
		if r.i > 0 && r.i < 1<<20 {
			fe.RetryIn = time.Duration(r.i) * time.Minute
		}
	case bString:
		s := strings.TrimSpace(string(r.s))
		if s == "never" {
			fe.RetryNever = true
		} else if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 1<<20 {
			fe.RetryIn = time.Duration(n) * time.Minute
		}
	}
}

// parseAnnounceReply reads an HTTP announce reply (BEP 3, 7, 23, 24).
func parseAnnounceReply(body []byte, status int) (*AnnounceResponse, error) {
	v, quirks, err := decodeReply(body, status)
	if err != nil {
		return nil, err
	}
	r := &AnnounceResponse{Quirks: quirks}
	if iv, ok, err := optInt(v, "interval"); err != nil {
		return nil, err
	} else if ok {
		r.Interval = time.Duration(iv) * time.Second
	} else {
		r.Quirks = addQuirk(r.Quirks, QuirkNoInterval)
	}
	if iv, ok, err := optInt(v, "min interval"); err != nil {
		return nil, err
	} else if ok {
		r.MinInterval = time.Duration(iv) * time.Second
	}
	if r.Counts, err = counts(v); err != nil {
		return nil, err
	}
	if p, ok := v.get("peers"); ok {
		switch p.kind {
		case bString:
			if r.Peers, err = compactPeers(p.s, 4, "peers"); err != nil {
				return nil, err
			}
		case bList:
			if r.Peers, err = dictPeers(p.list); err != nil {
				return nil, err
			}
		default:
			return nil, malformed(`"peers" is a %s, not a string or a list`, p.kind)
		}
	}
	if p, ok := v.get("peers6"); ok {
		if p.kind != bString {
			return nil, malformed(`"peers6" is a %s, not a string`, p.kind)
		}
		p6, err := compactPeers(p.s, 16, "peers6")
		if err != nil {
			return nil, err
		}
		r.Peers = append(r.Peers, p6...)
	}
	if e, ok := v.get("external ip"); ok {
		if e.kind != bString {
			return nil, malformed(`"external ip" is a %s, not a string`, e.kind)
		}
		if r.ExternalIP, ok = externalIP(e.s); !ok {
			return nil, malformed(`"external ip" of %d bytes is neither 4 nor 16 bytes nor an address`, len(e.s))
		}
	}
	if r.TrackerID, err = optString(v, "tracker id"); err != nil {
		return nil, err
	}
	if r.Warning, err = optString(v, "warning message"); err != nil {
		return nil, err
	}
	return r, nil
}

func optInt(v bvalue, key string) (int64, bool, error) {
	x, ok := v.get(key)
	if !ok {
		return 0, false, nil
	}
	if x.kind != bInt {
		return 0, false, malformed("%q is a %s, not an integer", key, x.kind)
	}
	if x.i < 0 || x.i > 1<<31-1 {
		return 0, false, malformed("%q is %d, out of range", key, x.i)
	}
	return x.i, true, nil
}

func optString(v bvalue, key string) (string, error) {
	x, ok := v.get(key)
	if !ok {
		return "", nil
	}
	if x.kind != bString {
		return "", malformed("%q is a %s, not a string", key, x.kind)
	}
	return string(x.s), nil
}

// compactPeers splits BEP 23 / BEP 7 compact peers: address then port.
func compactPeers(b []byte, addrLen int, key string) ([]Peer, error) {
	step := addrLen + 2
	if len(b)%step != 0 {
		return nil, malformed("%q is %d bytes, not a multiple of %d", key, len(b), step)
	}
	peers := make([]Peer, 0, len(b)/step)
	for i := 0; i < len(b); i += step {
		peers = append(peers, Peer{Addr: addrPort(b[i:i+addrLen], b[i+addrLen:i+step])})
	}
	return peers, nil
}

func addrPort(ip, port []byte) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), uint16(port[0])<<8|uint16(port[1]))
}

// dictPeers reads BEP 3's non-compact list: {ip, peer id, port} each.
func dictPeers(list []bvalue) ([]Peer, error) {
	peers := make([]Peer, 0, len(list))
	for i, e := range list {
		if e.kind != bDict {
			return nil, malformed("peer %d is a %s, not a dictionary", i, e.kind)
		}
		ipv, err := optString(e, "ip")
		if err != nil {
			return nil, err
		}
		port, ok, err := optInt(e, "port")
		if err != nil {
			return nil, err
		}
		if !ok || port > 65535 {
			return nil, malformed("peer %d has no valid port", i)
		}
		addr, err := netip.ParseAddr(ipv)
		if err != nil {
			continue // a DNS name (allowed by BEP 3); see Peer
		}
		p := Peer{Addr: netip.AddrPortFrom(addr.Unmap(), uint16(port))}
		if id, ok := e.get("peer id"); ok {
			if id.kind != bString || len(id.s) != len(p.ID) {
				return nil, malformed("peer %d has a peer id that is not 20 bytes", i)
			}
			copy(p.ID[:], id.s)
			p.HasID = true
		}
		peers = append(peers, p)
	}
	return peers, nil
}

// externalIP accepts BEP 24's raw 4 or 16 bytes and, leniently, the text
// form a few trackers send.
func externalIP(b []byte) (netip.Addr, bool) {
	if len(b) == 4 || len(b) == 16 {
		a, _ := netip.AddrFromSlice(b)
		return a.Unmap(), true
	}
	a, err := netip.ParseAddr(string(b))
	return a.Unmap(), err == nil
}

// parseScrapeReply reads an HTTP scrape reply (BEP 48) for the requested
// hashes. Keys of "files" are matched as the raw 20 bytes and, failing
// that, in the two wrong forms trackers are known to send.
func parseScrapeReply(body []byte, status int, hashes []bittorrent.InfoHash) (*ScrapeResponse, error) {
	v, quirks, err := decodeReply(body, status)
	if err != nil {
		return nil, err
	}
	files, ok := v.get("files")
	if !ok {
		return nil, malformed(`the scrape reply has no "files"`)
	}
	if files.kind != bDict {
		return nil, malformed(`"files" is a %s, not a dictionary`, files.kind)
	}
	r := &ScrapeResponse{Files: make(map[bittorrent.InfoHash]bittorrent.Counts, len(hashes)), Quirks: quirks}
	for _, h := range hashes {
		for _, form := range []struct {
			key   string
			quirk Quirk
		}{{string(h[:]), ""}, {latin1UTF8(h[:]), QuirkScrapeKeysUTF8}, {hex.EncodeToString(h[:]), QuirkScrapeKeysHex}} {
			e, ok := files.get(form.key)
			if !ok {
				continue
			}
			c, err := scrapeCounts(e)
			if err != nil {
				return nil, err
			}
			r.Files[h] = c
			if form.quirk != "" {
				r.Quirks = addQuirk(r.Quirks, form.quirk)
			}
			break
		}
	}
	return r, nil
}

// latin1UTF8 is what a JavaScript tracker produces when it turns the hash's
// bytes into a "binary" string and its bencoder writes strings as UTF-8.
func latin1UTF8(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

func scrapeCounts(e bvalue) (bittorrent.Counts, error) {
	if e.kind != bDict {
		return bittorrent.Counts{}, malformed("a scrape entry is a %s, not a dictionary", e.kind)
	}
	return counts(e)
}

// counts reads complete, incomplete and downloaded; absent ones are 0.
func counts(v bvalue) (bittorrent.Counts, error) {
	var c bittorrent.Counts
	for _, f := range []struct {
		key string
		dst *int
	}{{"complete", &c.Complete}, {"incomplete", &c.Incomplete}, {"downloaded", &c.Downloaded}} {
		n, _, err := optInt(v, f.key)
		if err != nil {
			return bittorrent.Counts{}, err
		}
		*f.dst = int(n)
	}
	return c, nil
}
