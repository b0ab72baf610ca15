package check

import "github.com/swarmbridge/swarmbridge/trackerclient"

// The named warnings. Names are stable: alerts and the tests match them.
var (
	warnScrapeKeysUTF8 = Warning{"scrape-keys-utf8",
		`the scrape's "files" keys are the info hash's bytes written as UTF-8 text (bittorrent-tracker), not the 20 raw bytes BEP 48 asks for: libtorrent and most clients do not find their torrent in it`}
	warnScrapeKeysHex = Warning{"scrape-keys-hex",
		`the scrape's "files" keys are 40 hex digits, not the 20 raw bytes BEP 48 asks for: most clients do not find their torrent in it`}
	warnUnsortedKeys = Warning{"bencode-unsorted-keys",
		"a bencoded dictionary's keys are not sorted, as bencode requires; strict decoders refuse the reply"}
	warnNoInterval = Warning{"no-interval",
		`the announce reply has no "interval" (BEP 3 requires one), so clients fall back to a default of their own`}
	warnDownloadedIsComplete = Warning{"downloaded-counts-seeders",
		`"downloaded" equals the number of seeders although no peer sent "completed" (bittorrent-tracker reports seeders as a lower bound), so it is not a count of completed downloads`}
	warnPeersIncludeRequester = Warning{"peers-include-requester",
		"the reply lists the announcing peer's own address: harmless (clients skip themselves) but it takes a place in numwant"}
	warnCountsExcludeRequester = Warning{"counts-exclude-requester",
		"the announce reply's counts leave out the announcing peer, while its scrape and most trackers count it"}
	warnNumwantZeroIgnored = Warning{"numwant-zero-ignored",
		`a "stopped" announce asking for no peers (numwant 0) got peers anyway (bittorrent-tracker reads 0 as "the default, 50"): a wasted reply, and clients that ask for 0 to save bandwidth do not get their way`}
	warnLeftNullIsSeeder = Warning{"left-null-counts-as-seeder",
		`a peer that announced "left": null, what WebTorrent sends for a magnet link whose metadata it does not have yet, is counted as a seeder (bittorrent-tracker reads null as 0): swarms look seeded when nobody has the data`}
	warnConnIDMagic = Warning{"udp-connection-id-is-magic",
		"the UDP connection id is BEP 15's protocol constant (bittorrent-tracker), so the tracker cannot tell spoofed source addresses: anyone can announce in someone else's name"}
)

func quirkWarning(q trackerclient.Quirk) Warning {
	switch q {
	case trackerclient.QuirkScrapeKeysUTF8:
		return warnScrapeKeysUTF8
	case trackerclient.QuirkScrapeKeysHex:
		return warnScrapeKeysHex
	case trackerclient.QuirkUnsortedKeys:
		return warnUnsortedKeys
	case trackerclient.QuirkNoInterval:
		return warnNoInterval
	}
	return Warning{Name: q.String(), Text: "the reply departs from the BEPs in a way the client coped with"}
}
