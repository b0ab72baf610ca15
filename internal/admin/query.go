package admin

import (
	"net/http"
	"strconv"
)

// List sizes: a page holds DefaultLimit items unless limit= asks for up
// to MaxLimit.
const (
	DefaultLimit = 100
	MaxLimit     = 500
	// DefaultBusiest and MaxBusiest are the same for /admin/torrents.
	DefaultBusiest = 10
	MaxBusiest     = 100
)

// queryParams reads the query of a list request: only the names given
// are accepted, each at most once.
func queryParams(r *http.Request, names ...string) (map[string]string, error) {
	q := r.URL.Query()
	out := map[string]string{}
	for name, vals := range q {
		known := false
		for _, n := range names {
			known = known || n == name
		}
		if !known {
			return nil, badRequest("unknown query parameter %q", name)
		}
		if len(vals) != 1 {
			return nil, badRequest("query parameter %q given %d times", name, len(vals))
		}
		out[name] = vals[0]
	}
	return out, nil
}

// parseLimit reads limit= (absent: def), 1 to max.
func parseLimit(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, badRequest("limit: want a whole number from 1 to %d", max)
	}
	return n, nil
}
