package httptracker

import "strings"

// ScrapePath derives the scrape path from an announce path by the BEP 48
// rule: if the text after the last '/' starts with "announce", replace that
// word with "scrape" ("/announce" → "/scrape", "/x/announce.php" →
// "/x/scrape.php"); otherwise the tracker has no scrape URL and ok is false.
// It takes a path without query string: a '/' inside the query would move
// the "last slash".
func ScrapePath(announcePath string) (scrapePath string, ok bool) {
	i := strings.LastIndexByte(announcePath, '/')
	if i < 0 {
		return "", false
	}
	last := announcePath[i+1:]
	const word = "announce"
	if !strings.HasPrefix(last, word) {
		return "", false
	}
	return announcePath[:i+1] + "scrape" + last[len(word):], true
}
