package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// Command is `swarmbridge check ARGS`: Main with SIGINT and SIGTERM
// ending it.
func Command(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Main(ctx, args, stdout, stderr)
}

type options struct {
	json        bool
	strict      bool
	tls         *tls.Config
	timeout     time.Duration
	watch       time.Duration
	metricsAddr string
	infoHash    *bittorrent.InfoHash
	urls        []string
}

// Main runs the command until it is done or ctx ends, and returns the
// exit code: 0 when every tracker passed, 1 when a check failed, 2 for bad
// usage. In -watch mode it returns 0 once ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge check: %v (see swarmbridge check -h)\n", err)
		return exitUsage
	}
	c := &Checker{Timeout: o.timeout, InfoHash: o.infoHash, Strict: o.strict, TLS: o.tls}
	if o.watch > 0 {
		return watch(ctx, c, o, stdout, stderr)
	}
	rep := c.Run(ctx, o.urls)
	if err := write(stdout, rep, o.json); err != nil {
		fmt.Fprintf(stderr, "swarmbridge check: %v\n", err)
		return exitFail
	}
	if !rep.OK {
		return exitFail
	}
	return exitOK
}

func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	var err error
	fs := flag.NewFlagSet("swarmbridge check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.json, "json", false, "print the results as JSON (one object per run) instead of tables")
	fs.BoolVar(&o.strict, "strict", false, "count warnings (known tracker quirks) as failures")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "time each step may take")
	fs.DurationVar(&o.watch, "watch", 0, "repeat the checks at this interval and serve the results as Prometheus metrics, until SIGINT or SIGTERM (e.g. 60s)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "127.0.0.1:9469", "where -watch serves /metrics (host:port)")
	ih := fs.String("infohash", "", "use this info hash (40 hex digits) instead of a random one per run, for trackers that only track listed torrents")
	ca := fs.String("ca", "", "trust the certificates in this PEM file for https:// and wss:// (a private CA or a self-signed tracker)")
	insecure := fs.Bool("insecure", false, "do not verify the certificates of https:// and wss:// trackers (test trackers only)")
	fs.Usage = func() { usage(stderr, fs) }
	if err = fs.Parse(args); err != nil {
		return nil, err
	}
	if *ih != "" {
		b, err := hex.DecodeString(*ih)
		if err != nil || len(b) != 20 {
			return nil, fmt.Errorf("-infohash %q: want 40 hex digits", *ih)
		}
		o.infoHash = (*bittorrent.InfoHash)(b)
	}
	if o.tls, err = tlsConfig(*ca, *insecure); err != nil {
		return nil, err
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("-timeout %s: want a positive duration", o.timeout)
	}
	if o.watch < 0 {
		return nil, fmt.Errorf("-watch %s: want a positive duration", o.watch)
	}
	metricsSet := false
	fs.Visit(func(f *flag.Flag) { metricsSet = metricsSet || f.Name == "metrics-addr" })
	if metricsSet && o.watch == 0 {
		return nil, errors.New("-metrics-addr needs -watch")
	}
	o.urls = fs.Args()
	if len(o.urls) == 0 {
		return nil, errors.New("no tracker URL given")
	}
	for _, u := range o.urls {
		if err := checkURL(u); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// tlsConfig is nil (the system roots) unless -ca or -insecure says
// otherwise.
func tlsConfig(caFile string, insecure bool) (*tls.Config, error) {
	switch {
	case caFile != "" && insecure:
		return nil, errors.New("-ca and -insecure: give one of them")
	case insecure:
		return &tls.Config{InsecureSkipVerify: true}, nil //nolint:gosec // asked for with -insecure
	case caFile == "":
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("-ca: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-ca %s: no PEM certificate in it", caFile)
	}
	return &tls.Config{RootCAs: roots}, nil
}

// checkURL refuses what cannot be a tracker URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("tracker URL: %w", err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	case "udp":
		if u.Port() == "" {
			return fmt.Errorf("tracker URL %q: udp:// needs a port", raw)
		}
	default:
		return fmt.Errorf("tracker URL %q: want http://, https://, udp://, ws:// or wss://", raw)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("tracker URL %q has no host", raw)
	}
	return nil
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage: swarmbridge check [flags] URL...

Checks BitTorrent trackers (http://, https://, udp://, ws:// and wss://
announce URLs) by playing two peers in a swarm of its own: it connects
(UDP, WebSocket) or reaches (HTTP), announces peer A as a seeder, scrapes,
announces peer B as a leecher (B must get A, counts complete=1
incomplete=1), scrapes again, stops both (counts back to 0) and scrapes
once more. Each step is PASS, FAIL, WARN (works, with a known quirk of the
tracker, named) or SKIP.

WebSocket (WebTorrent) trackers have no peer lists: B joins as a magnet
link ("left": null), and two more steps follow. offer-relay: A announces
with two offers, B must get one from A with A's offer id and SDP, B
answers, A must get the answer with B's peer id. webrtc: two real WebRTC
peers of this process exchange an offer and an answer through the tracker
alone and pass a message over a data channel. When the tracker is on
loopback they use loopback candidates only; otherwise they gather the
machine's host candidates and need UDP between themselves (not to the
tracker: no STUN or TURN is used). webrtc gets three times -timeout.

The info hash is random per run, so checks never touch real swarms. A
tracker that only tracks listed torrents (opentracker's whitelist mode,
SWARMBRIDGE_INFOHASH_ALLOWLIST) refuses random hashes: add a hash of your
own to its list and pass it with -infohash <40 hex digits>.

Exit codes: 0 every tracker passed (warnings allowed unless -strict),
1 some check failed, 2 bad usage. With -watch it runs until SIGINT or
SIGTERM and exits 0, serving swarmbridge_check_* metrics on -metrics-addr.

Flags:
`)
	fs.PrintDefaults()
}
