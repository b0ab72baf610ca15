package admin

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"
)

func (c *cli) torrent(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return usagef("torrent takes one info hash")
	}
	st, err := c.client.Torrent(ctx, args[0])
	if err != nil {
		return err
	}
	return c.print(st, func() { c.torrentTable([]TorrentStats{st}) })
}

func (c *cli) top(ctx context.Context, args []string) error {
	n := DefaultBusiest
	rest, err := flags("top", args, func(fs *flag.FlagSet) { fs.IntVar(&n, "n", DefaultBusiest, "") })
	if err != nil {
		return err
	}
	if len(rest) != 0 || n < 1 || n > MaxBusiest {
		return usagef("top [-n 1..%d]", MaxBusiest)
	}
	list, err := c.client.Busiest(ctx, n)
	if err != nil {
		return err
	}
	return c.print(TorrentList{Torrents: list}, func() { c.torrentTable(list) })
}

func (c *cli) torrentTable(list []TorrentStats) {
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INFO HASH\tSEEDERS\tLEECHERS\tWEBRTC\tNATIVE\tDOWNLOADED\tFIRST SEEN")
	for _, st := range list {
		first := "-"
		if st.FirstSeen != nil {
			first = st.FirstSeen.UTC().Format(time.RFC3339)
		}
		// Without peers_by_kind (a store that cannot tell cheaply, or a
		// list of many torrents) the columns say "-", not a false 0.
		webrtc, native := "-", "-"
		if st.PeersByKind != nil {
			webrtc, native = strconv.Itoa(st.PeersByKind["webrtc"]), strconv.Itoa(st.PeersByKind["native"])
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\t%s\n", st.InfoHash, st.Seeders, st.Leechers,
			webrtc, native, st.Downloaded, first)
	}
	tw.Flush()
}
