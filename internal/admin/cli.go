package admin

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

const cliUsage = `usage: swarmbridge admin [-url URL] [-token-file FILE] [-json] COMMAND

Manages a running tracker through its management API.

  -url URL          the API (default $SWARMBRIDGE_ADMIN_URL, else
                    http://$SWARMBRIDGE_ADMIN_ADDR)
  -token-file FILE  the bearer token (default $SWARMBRIDGE_ADMIN_TOKEN_FILE)
  -json             print the API's JSON instead of text

commands:
  keys add [-ttl 30d] [-note TEXT] [-key KEY]
                    create a key (random unless -key; permanent without -ttl;
                    units w d h m s) and print it
  keys ls           list every key: key, expiry, note
  keys get KEY      show one key
  keys rm KEY...    delete keys
  allow add [-note TEXT] HASH...
  allow rm HASH...
  allow ls          manage the info hash list of a tracker whose list is an
                    allow-list (refused if it is a deny-list)
  deny add|rm|ls    the same for a deny-list
  import keys [-note TEXT] FILE
                    store every key of a keys file (SWARMBRIDGE_KEYS_FILE
                    format), permanent; keys already stored are kept
  import allow FILE
  import deny FILE  put every hash of a list file on the allow- or deny-list
  torrent HASH      one torrent's peers, downloads and first-seen time
  top [-n 10]       the busiest torrents
  reload            re-read the keys and list (from the database, or the list
                    files) and the TLS certificate, as SIGHUP does
`

// errUsage marks a command line that makes no sense; RunCLI exits 2.
var errUsage = errors.New("usage")

// RunCLI runs "swarmbridge admin" with args (those after "admin") and
// returns the process's exit status: 0 done, 1 failed, 2 bad usage.
func RunCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runCLI(ctx, args, os.Getenv, stdout, stderr)
}

// RunCLIEnv is RunCLI with the environment read through getenv (the
// binary passes the environment it was given, so tests need not change
// the process's own).
func RunCLIEnv(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runCLI(ctx, args, getenv, stdout, stderr)
}

// cli is one run of the command line.
type cli struct {
	client    *Client
	json      bool
	out, errw io.Writer
	getenv    func(string) string
	urlFlag   string
	tokenFlag string
}

func runCLI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &cli{out: stdout, errw: stderr, getenv: getenv}
	fs := flag.NewFlagSet("swarmbridge admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.urlFlag, "url", "", "")
	fs.StringVar(&c.tokenFlag, "token-file", "", "")
	fs.BoolVar(&c.json, "json", false, "")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, cliUsage)
		return 0
	case err != nil:
		err = usagef("%v", err)
	default:
		err = c.run(ctx, fs.Args())
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "swarmbridge admin: %v\n\n%s", err, cliUsage)
		return 2
	default:
		fmt.Fprintf(stderr, "swarmbridge admin: %v\n", err)
		return 1
	}
}

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// connect sets up the client from the flags and environment.
func (c *cli) connect() error {
	base := c.urlFlag
	if base == "" {
		base = c.getenv("SWARMBRIDGE_ADMIN_URL")
	}
	if base == "" {
		if addr := c.getenv("SWARMBRIDGE_ADMIN_ADDR"); addr != "" {
			base = "http://" + dialable(addr)
		}
	}
	if base == "" {
		return usagef("no API address: pass -url or set SWARMBRIDGE_ADMIN_URL (or SWARMBRIDGE_ADMIN_ADDR)")
	}
	tokenFile := c.tokenFlag
	if tokenFile == "" {
		tokenFile = c.getenv("SWARMBRIDGE_ADMIN_TOKEN_FILE")
	}
	if tokenFile == "" {
		return usagef("no token: pass -token-file or set SWARMBRIDGE_ADMIN_TOKEN_FILE")
	}
	token, err := ReadTokenFile(tokenFile)
	if err != nil {
		return err
	}
	c.client = &Client{BaseURL: base, Token: token}
	return nil
}

// dialable turns a listen address into one to connect to: a wildcard or
// empty host becomes the loopback address.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

func (c *cli) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("no command")
	}
	cmd, sub := args[0], ""
	if len(args) > 1 {
		sub = args[1]
	}
	switch cmd {
	case "keys", "allow", "deny", "import":
		if sub == "" {
			return usagef("%s: which one?", cmd)
		}
		args = args[2:]
	case "torrent", "top", "reload":
		args = args[1:]
	default:
		return usagef("unknown command %q", cmd)
	}
	if err := c.connect(); err != nil {
		return err
	}
	switch cmd {
	case "keys":
		return c.keys(ctx, sub, args)
	case "allow", "deny":
		return c.list(ctx, cmd, sub, args)
	case "import":
		return c.importFile(ctx, sub, args)
	case "torrent":
		return c.torrent(ctx, args)
	case "top":
		return c.top(ctx, args)
	}
	if len(args) != 0 {
		return usagef("reload takes no arguments")
	}
	summary, err := c.client.Reload(ctx)
	if err != nil {
		return err
	}
	return c.print(ReloadResult{Summary: summary}, func() { fmt.Fprintln(c.out, summary) })
}

// print writes v as JSON with -json, or runs text.
func (c *cli) print(v any, text func()) error {
	if c.json {
		enc := json.NewEncoder(c.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text()
	return nil
}

// flags parses a subcommand's flags; what is left are its arguments.
func flags(name string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return nil, usagef("%s: %v", name, err)
	}
	return fs.Args(), nil
}
