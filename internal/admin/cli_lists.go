package admin

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

// checkMode refuses to change an allow-list as a deny-list or the other
// way round: the same hash means the opposite on the two.
func (c *cli) checkMode(ctx context.Context, want string) error {
	page, err := c.client.InfoHashes(ctx, "", 1)
	if err != nil {
		return err
	}
	switch page.Mode {
	case want:
		return nil
	case "off":
		fmt.Fprintf(c.errw, "note: the tracker does not apply its info hash list yet (mode off)\n")
		return nil
	}
	return fmt.Errorf("the tracker's info hash list is a %s-list, not a %s-list: use \"%s\" instead", page.Mode, want, page.Mode)
}

func (c *cli) list(ctx context.Context, mode, sub string, args []string) error {
	switch sub {
	case "add":
		var note string
		rest, err := flags(mode+" add", args, func(fs *flag.FlagSet) { fs.StringVar(&note, "note", "", "") })
		if err != nil {
			return err
		}
		if len(rest) == 0 {
			return usagef("%s add takes info hashes", mode)
		}
		if err := c.checkMode(ctx, mode); err != nil {
			return err
		}
		r, err := c.client.AddInfoHashes(ctx, rest, note)
		if err != nil {
			return err
		}
		return c.print(r, func() { fmt.Fprintf(c.out, "%d added, %d already listed\n", r.Added, r.Unchanged) })
	case "rm":
		if len(args) == 0 {
			return usagef("%s rm takes info hashes", mode)
		}
		if err := c.checkMode(ctx, mode); err != nil {
			return err
		}
		for _, h := range args {
			if err := c.client.RemoveInfoHash(ctx, h); err != nil {
				return fmt.Errorf("info hash %s: %w", h, err)
			}
		}
		return nil
	case "ls":
		if len(args) != 0 {
			return usagef("%s ls takes no arguments", mode)
		}
		if err := c.checkMode(ctx, mode); err != nil {
			return err
		}
		all, err := c.client.AllInfoHashes(ctx)
		if err != nil {
			return err
		}
		return c.print(all, func() {
			tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INFO HASH\tADDED\tNOTE")
			for _, e := range all.InfoHashes {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", e.InfoHash, e.AddedAt.UTC().Format(time.RFC3339), e.Note)
			}
			tw.Flush()
		})
	}
	return usagef("unknown command %s %s", mode, sub)
}
