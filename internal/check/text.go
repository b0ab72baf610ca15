package check

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable quotes a tracker's text (untrusted) for one line of output:
// control characters and invalid UTF-8 escaped, at most 200 characters.
func printable(s string) string {
	const max = 200
	cut := false
	if utf8.RuneCountInString(s) > max {
		s, cut = string([]rune(s)[:max]), true
	}
	clean := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || !unicode.IsPrint(r) }) < 0
	if !clean {
		q := strconv.QuoteToGraphic(s)
		s = q[1 : len(q)-1]
	}
	if cut {
		s += "…"
	}
	return `"` + s + `"`
}
