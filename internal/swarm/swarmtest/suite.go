package swarmtest

import (
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// check is one subtest of the suite.
type check struct {
	name string
	run  func(f *fixture)
}

// Run checks that the stores newStore makes honour the swarm.Store
// contract. newStore is called once per subtest with that subtest's t and a
// fresh Clock; the store must take its time from clock.Now so that the
// suite can expire entries by advancing it. Use t.Cleanup in newStore to
// release what the store holds.
func Run(t *testing.T, newStore func(t *testing.T, clock *Clock) swarm.Store) {
	t.Helper()
	groups := []struct {
		name   string
		checks []check
	}{
		{"Announce", announceChecks()},
		{"Owner", ownerChecks()},
		{"Leave", leaveChecks()},
		{"Pick", pickChecks()},
		{"Expiry", expiryChecks()},
		{"Scrape", scrapeChecks()},
		{"Totals", totalsChecks()},
		{"Invalid", invalidChecks()},
		{"Concurrency", concurrencyChecks()},
		{"DownloadReports", downloadReportChecks()},
		{"FullScrape", fullScrapeChecks()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.checks {
				t.Run(c.name, func(t *testing.T) {
					// Start at the real time: a remote store may mix the
					// fake clock with its server's own expiry.
					clock := NewClock(time.Now())
					f := &fixture{t: t, ctx: t.Context(), clock: clock}
					f.st = newStore(t, clock)
					c.run(f)
				})
			}
		})
	}
}
