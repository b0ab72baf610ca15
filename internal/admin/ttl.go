package admin

import (
	"errors"
	"fmt"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/db"
)

// Permanent is the TTL of a key that never expires.
const Permanent = "permanent"

var ttlUnits = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

var errTTL = errors.New(`ttl: want a duration such as "30d", "12h", "1w2d" or "90m" (units w, d, h, m, s), or "permanent"`)

// ParseTTL reads a key's time to live: whole numbers with units w, d, h,
// m, s ("30d", "1d12h"), or "permanent" (or empty) for a key that never
// expires, which returns 0. It is at most db.MaxTTL.
func ParseTTL(s string) (time.Duration, error) {
	if s == "" || s == Permanent {
		return 0, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 6 || i == len(rest) {
			return 0, errTTL
		}
		unit, ok := ttlUnits[rest[i]]
		if !ok {
			return 0, errTTL
		}
		n := 0
		for _, c := range rest[:i] {
			n = n*10 + int(c-'0')
		}
		// Checked term by term, before the sum could overflow.
		if time.Duration(n) > db.MaxTTL/unit || total+time.Duration(n)*unit > db.MaxTTL {
			return 0, fmt.Errorf("ttl %q: at most 100 years", s)
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("ttl %q: must be longer than zero (or %q)", s, Permanent)
	}
	return total, nil
}
