package access

// The URL forms a private tracker's users put in their torrents. The key
// can go after the action ("/announce/<key>") or before it
// ("/<key>/announce"); the second form keeps BEP 48 scrape URLs working,
// because clients derive the scrape URL by replacing "announce" in the last
// path segment.
const (
	ActionAnnounce = "announce"
	ActionScrape   = "scrape"
)

// ParsePath splits a tracker URL path into its action ("announce" or
// "scrape") and key. It accepts /announce, /scrape, /announce/<key>,
// /scrape/<key>, /<key>/announce and /<key>/scrape; anything after a '?'
// is ignored. key is empty for the first two. ok is false for any other
// path, including keys with characters outside ValidKey's set.
func ParsePath(path string) (action, key string, ok bool) {
	action, ks, ke, ok := parsePath(path)
	return action, path[ks:ke], ok
}

// parsePath is ParsePath returning the key as byte offsets into p, so that
// callers holding a []byte can look the key up without allocating.
func parsePath[T ~string | ~[]byte](p T) (action string, ks, ke int, ok bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == '?' {
			p = p[:i]
			break
		}
	}
	if len(p) < 2 || p[0] != '/' {
		return "", 0, 0, false
	}
	first, rest := 1, len(p)
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			rest = i
			break
		}
	}
	seg1 := p[first:rest]
	if rest == len(p) {
		// One segment: /announce or /scrape.
		if a := actionOf(seg1); a != "" {
			return a, 0, 0, true
		}
		return "", 0, 0, false
	}
	seg2 := p[rest+1:]
	for i := 0; i < len(seg2); i++ {
		if seg2[i] == '/' {
			return "", 0, 0, false // more than two segments
		}
	}
	if a := actionOf(seg1); a != "" {
		if !validKeyChars(seg2) {
			return "", 0, 0, false
		}
		return a, rest + 1, len(p), true
	}
	if a := actionOf(seg2); a != "" {
		if !validKeyChars(seg1) {
			return "", 0, 0, false
		}
		return a, first, rest, true
	}
	return "", 0, 0, false
}

func actionOf[T ~string | ~[]byte](seg T) string {
	switch string(seg) {
	case ActionAnnounce:
		return ActionAnnounce
	case ActionScrape:
		return ActionScrape
	}
	return ""
}

// Key limits. Keys go into URLs unescaped, so they are restricted to the
// characters URLs never escape.
const (
	MinKeyLen = 8
	MaxKeyLen = 128
)

// validKeyChars reports whether k is a non-empty run of URL unreserved
// characters: letters, digits, '-', '.', '_' and '~'.
func validKeyChars[T ~string | ~[]byte](k T) bool {
	if len(k) == 0 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// ValidKey reports whether k may be used as a key: MinKeyLen to MaxKeyLen
// URL unreserved characters, and not one of the words "announce" and
// "scrape", which would make paths ambiguous.
func ValidKey(k string) bool {
	return len(k) >= MinKeyLen && len(k) <= MaxKeyLen && validKeyChars(k) && actionOf(k) == ""
}
