package access

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Origins is a WebSocket Origin allow-list. Browsers send the origin of the
// page that opens a WebSocket (scheme://host[:port]); the list says which
// pages may use the tracker. Requests without an Origin header come from
// programs, not web pages (Node WebTorrent, libtorrent), which could send
// any Origin they like, so they are let through.
type Origins struct {
	any      bool
	null     bool
	patterns []originPattern
	text     string
}

// originPattern matches origins: scheme "" matches any scheme; port ""
// matches any port when scheme is "" and only the default (no explicit
// port) otherwise; host "*.x" matches every subdomain of x.
type originPattern struct {
	scheme string
	host   string // lowercase; "*.example.com" or "example.com"
	port   string
}

// ParseOrigins parses a comma-separated list of origin patterns:
//
//	https://app.example.com   exactly this origin (scheme, host and port)
//	http://localhost:8080     the same, with a port
//	example.com               this host, any scheme and port
//	*.example.com             every subdomain of example.com (not the apex)
//	https://*.example.com     the same, https only
//	null                      pages with an opaque origin (file://, sandboxes)
//	*                         any page (the same as an empty list)
//
// An empty list lets every page in, as public WebTorrent trackers must.
func ParseOrigins(list string) (*Origins, error) {
	o := &Origins{text: list}
	for raw := range strings.SplitSeq(list, ",") {
		p := strings.ToLower(strings.TrimSpace(raw))
		switch p {
		case "":
			continue
		case "*":
			o.any = true
			continue
		case "null":
			o.null = true
			continue
		}
		pat, err := parseOriginPattern(p)
		if err != nil {
			return nil, fmt.Errorf("origin %q: %w", strings.TrimSpace(raw), err)
		}
		o.patterns = append(o.patterns, pat)
	}
	if !o.null && len(o.patterns) == 0 {
		o.any = true
	}
	return o, nil
}

func parseOriginPattern(p string) (originPattern, error) {
	var pat originPattern
	if scheme, rest, ok := strings.Cut(p, "://"); ok {
		if scheme == "" || strings.Trim(scheme, "abcdefghijklmnopqrstuvwxyz0123456789+-.") != "" {
			return pat, fmt.Errorf("bad scheme")
		}
		pat.scheme = scheme
		p = rest
	}
	if strings.ContainsAny(p, "/?#@") {
		return pat, fmt.Errorf("want [scheme://]host[:port], without path")
	}
	host := p
	if h, port, err := net.SplitHostPort(p); err == nil {
		host, pat.port = h, port
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return pat, fmt.Errorf("bad port")
		}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	name := strings.TrimPrefix(host, "*.")
	if name == "" || strings.Contains(name, "*") || strings.ContainsAny(name, " \t") {
		return pat, fmt.Errorf("bad host (a leading \"*.\" is the only wildcard)")
	}
	pat.host = host
	return pat, nil
}

// Open reports whether every page is let in.
func (o *Origins) Open() bool { return o.any }

// String is the list as configured.
func (o *Origins) String() string { return o.text }

// Allow reports whether a WebSocket request with this Origin header value
// may proceed. An empty value (no header) is allowed; see Origins.
func (o *Origins) Allow(origin string) bool {
	if o.any || origin == "" {
		return true
	}
	origin = strings.ToLower(strings.TrimSpace(origin))
	if origin == "null" {
		return o.null
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return false
	}
	host, port := u.Hostname(), u.Port()
	for _, p := range o.patterns {
		if p.matches(u.Scheme, host, port) {
			return true
		}
	}
	return false
}

func (p originPattern) matches(scheme, host, port string) bool {
	if p.scheme != "" && p.scheme != scheme {
		return false
	}
	if (p.scheme != "" || p.port != "") && p.port != port {
		return false
	}
	if suffix, ok := strings.CutPrefix(p.host, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return p.host == host
}
