package admin

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

func (c *cli) keys(ctx context.Context, sub string, args []string) error {
	switch sub {
	case "add":
		var req CreateKeyRequest
		rest, err := flags("keys add", args, func(fs *flag.FlagSet) {
			fs.StringVar(&req.TTL, "ttl", "", "")
			fs.StringVar(&req.Note, "note", "", "")
			fs.StringVar(&req.Key, "key", "", "")
		})
		if err != nil {
			return err
		}
		if len(rest) != 0 {
			return usagef("keys add takes no arguments (did you mean -note %q?)", strings.Join(rest, " "))
		}
		if _, err := ParseTTL(req.TTL); err != nil { // before a round trip
			return usagef("%v", err)
		}
		k, err := c.client.CreateKey(ctx, req)
		if err != nil {
			return err
		}
		return c.print(k, func() { fmt.Fprintln(c.out, k.Key) })
	case "ls":
		if len(args) != 0 {
			return usagef("keys ls takes no arguments")
		}
		keys, err := c.client.AllKeys(ctx)
		if err != nil {
			return err
		}
		return c.print(KeyList{Keys: keys}, func() { c.keyTable(keys) })
	case "get":
		if len(args) != 1 {
			return usagef("keys get takes one key")
		}
		k, err := c.client.Key(ctx, args[0])
		if err != nil {
			return err
		}
		return c.print(k, func() { c.keyTable([]Key{k}) })
	case "rm":
		if len(args) == 0 {
			return usagef("keys rm takes the keys to delete")
		}
		for _, k := range args {
			if err := c.client.DeleteKey(ctx, k); err != nil {
				return fmt.Errorf("key %s: %w", k, err)
			}
		}
		return nil
	}
	return usagef("unknown command keys %s", sub)
}

func (c *cli) keyTable(keys []Key) {
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tEXPIRES\tNOTE")
	for _, k := range keys {
		exp := "never"
		if k.ExpiresAt != nil {
			exp = k.ExpiresAt.UTC().Format(time.RFC3339)
			if k.Expired {
				exp += " (expired)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Key, exp, k.Note)
	}
	tw.Flush()
}
