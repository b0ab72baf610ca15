package trackerclient

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// ScrapeURL derives an HTTP tracker's scrape URL from its announce URL by
// BEP 48's rule: the last path segment must start with "announce", which
// becomes "scrape" (/announce → /scrape, /x/announce.php?k=1 →
// /x/scrape.php?k=1). Otherwise the tracker has no scrape URL and the
// error wraps ErrNoScrapeURL and says why.
func ScrapeURL(announceURL string) (string, error) {
	u, err := url.Parse(announceURL)
	if err != nil {
		return "", fmt.Errorf("announce URL: %w", err)
	}
	s, err := scrapeURL(u)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

func scrapeURL(announce *url.URL) (*url.URL, error) {
	p := announce.EscapedPath()
	i := strings.LastIndexByte(p, '/')
	if i < 0 || !strings.HasPrefix(p[i+1:], "announce") {
		last := p
		if i >= 0 {
			last = p[i+1:]
		}
		return nil, fmt.Errorf("%w: the last path segment %q does not start with \"announce\" (BEP 48)", ErrNoScrapeURL, last)
	}
	s := *announce
	if err := setEscapedPath(&s, p[:i+1]+"scrape"+p[i+1+len("announce"):]); err != nil {
		return nil, err
	}
	return &s, nil
}

func setEscapedPath(u *url.URL, escaped string) error {
	raw, err := url.PathUnescape(escaped)
	if err != nil {
		return fmt.Errorf("tracker URL path: %w", err)
	}
	u.Path, u.RawPath = raw, escaped
	return nil
}

// escapeBytes percent-encodes every byte but the RFC 3986 unreserved ones,
// so binary ids survive whatever the tracker's decoder does with "+".
func escapeBytes(b []byte) string {
	const hexDigits = "0123456789ABCDEF"
	var sb strings.Builder
	sb.Grow(3 * len(b))
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hexDigits[c>>4])
		sb.WriteByte(hexDigits[c&15])
	}
	return sb.String()
}

// withQuery appends params to the URL's own query (a passkey stays).
func withQuery(base *url.URL, params string) string {
	u := *base
	if u.RawQuery == "" {
		u.RawQuery = params
	} else {
		u.RawQuery += "&" + params
	}
	return u.String()
}

func announceQuery(req AnnounceRequest, trackerID string) string {
	var q strings.Builder
	add := func(k, v string) {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(k)
		q.WriteByte('=')
		q.WriteString(v)
	}
	add("info_hash", escapeBytes(req.InfoHash[:]))
	add("peer_id", escapeBytes(req.PeerID[:]))
	add("port", strconv.Itoa(int(req.Port)))
	add("uploaded", strconv.FormatInt(max(req.Uploaded, 0), 10))
	add("downloaded", strconv.FormatInt(max(req.Downloaded, 0), 10))
	if req.Left >= 0 {
		add("left", strconv.FormatInt(req.Left, 10))
	}
	switch req.Event {
	case bittorrent.EventStarted, bittorrent.EventCompleted, bittorrent.EventStopped:
		add("event", req.Event.String())
	}
	switch {
	case req.NumWant == NumWantNone:
		add("numwant", "0")
	case req.NumWant > 0:
		add("numwant", strconv.Itoa(req.NumWant))
	}
	if req.NonCompact {
		add("compact", "0")
	} else {
		add("compact", "1")
	}
	if req.NoPeerID {
		add("no_peer_id", "1")
	}
	if req.Key != 0 {
		add("key", fmt.Sprintf("%08x", req.Key))
	}
	if req.IP.IsValid() {
		add("ip", escapeBytes([]byte(req.IP.String())))
	}
	if req.TrackerID != "" {
		trackerID = req.TrackerID
	}
	if trackerID != "" {
		add("trackerid", escapeBytes([]byte(trackerID)))
	}
	return q.String()
}

func scrapeQuery(hashes []bittorrent.InfoHash) string {
	var q strings.Builder
	for i, h := range hashes {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString("info_hash=")
		q.WriteString(escapeBytes(h[:]))
	}
	return q.String()
}
