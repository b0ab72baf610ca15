package httptracker

import "testing"

func TestScrapePath(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		// The examples of BEP 48.
		{"/announce", "/scrape", true},
		{"/x/announce", "/x/scrape", true},
		{"/announce.php", "/scrape.php", true},
		{"/a", "", false},
		{"/announce?x2%0644", "/scrape?x2%0644", true},
		{"/x%064announce", "", false},
		// More.
		{"/user/abc123/announce", "/user/abc123/scrape", true},
		{"/announcement", "/scrapement", true},
		{"/announce/", "", false},
		{"/announce/x", "", false},
		{"announce", "", false},
		{"", "", false},
		{"/", "", false},
		{"/Announce", "", false},
	}
	for _, tc := range tests {
		got, ok := ScrapePath(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ScrapePath(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
