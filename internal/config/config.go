// Package config reads Swarmbridge's configuration from SWARMBRIDGE_*
// environment variables and checks it. Every field carries its variable
// name, its default and a one-line help text in its tags; Vars turns them
// into the table that `swarmbridge -h` prints and the README repeats.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/swarmbridge/swarmbridge/internal/clientip"
)

// Prefix starts every variable name.
const Prefix = "SWARMBRIDGE_"

// Config is the whole configuration. Tags: env (name without Prefix),
// envDefault, help (what it does and what it accepts).
type Config struct {
	HTTPAddr    string `env:"HTTP_ADDR" envDefault:":8000" help:"TCP listen address for WebSocket, HTTP announce/scrape and the page (host:port)"`
	UDPAddr     string `env:"UDP_ADDR" envDefault:":6969" help:"UDP listen address for UDP announce/scrape (host:port; empty disables UDP)"`
	MetricsAddr string `env:"METRICS_ADDR" envDefault:"" help:"separate TCP listen address for /metrics, /healthz and /readyz (host:port; empty serves /metrics on HTTP_ADDR)"`
	LogLevel    string `env:"LOG_LEVEL" envDefault:"info" help:"log level: debug, info, warn or error"`
	LogFormat   string `env:"LOG_FORMAT" envDefault:"json" help:"log format: json or console"`

	AnnounceInterval time.Duration `env:"ANNOUNCE_INTERVAL" envDefault:"2m" help:"announce interval sent to WebSocket clients (duration, at least 10s)"`
	PeerTTL          time.Duration `env:"PEER_TTL" envDefault:"5m" help:"how long a WebSocket peer stays without announcing, as a safety net next to removal on close (duration, more than ANNOUNCE_INTERVAL)"`
	MaxNumWant       int           `env:"MAX_NUMWANT" envDefault:"100" help:"most peers one HTTP or UDP announce gets back (1-1000; UDP also stops at what fits one datagram)"`
	DefaultNumWant   int           `env:"DEFAULT_NUMWANT" envDefault:"50" help:"peers an HTTP or UDP announce gets when it does not say (1-1000, capped at MAX_NUMWANT)"`
	NativeInterval   time.Duration `env:"NATIVE_ANNOUNCE_INTERVAL" envDefault:"30m" help:"announce interval sent to HTTP and UDP clients; min interval is half of it (duration, at least 1m)"`
	NativePeerTTL    time.Duration `env:"NATIVE_PEER_TTL" envDefault:"0" help:"how long an HTTP or UDP peer stays without announcing (duration; 0 means 2 x NATIVE_ANNOUNCE_INTERVAL + 60s)"`
	TrustedProxies   string        `env:"TRUSTED_PROXIES" envDefault:"" help:"comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For / X-Real-IP is believed (empty: use the socket address)"`

	MaxMessageSize     int           `env:"MAX_MESSAGE_SIZE" envDefault:"65536" help:"largest WebSocket message in bytes; bigger ones close the connection with 1009 (4096-16777216)"`
	MaxOffers          int           `env:"MAX_OFFERS" envDefault:"10" help:"offers of one WebSocket announce that are relayed; the rest are ignored (1-100)"`
	AllowFullScrape    bool          `env:"ALLOW_FULL_SCRAPE" envDefault:"false" help:"answer a scrape without info_hash with every swarm, over HTTP and WebSocket (true or false)"`
	MaxScrapeHashes    int           `env:"MAX_SCRAPE_HASHES" envDefault:"100" help:"most info hashes in one scrape (1-1000)"`
	MaxTorrentsPerConn int           `env:"MAX_TORRENTS_PER_CONN" envDefault:"1000" help:"most torrents one WebSocket connection may announce (1-100000)"`
	SendQueue          int           `env:"WS_SEND_QUEUE" envDefault:"256" help:"messages that may wait for one WebSocket client before it is dropped as too slow (8-65536)"`
	PingInterval       time.Duration `env:"WS_PING_INTERVAL" envDefault:"30s" help:"how often each WebSocket is pinged so proxies keep it open and dead peers are found (duration, 0 disables)"`

	StatsTorrents bool `env:"STATS_TORRENTS" envDefault:"false" help:"list the busiest swarms (info hash and counts) in /stats (true or false)"`

	TLSCert string `env:"TLS_CERT" envDefault:"" help:"PEM certificate file (chain) to serve https:// and wss:// on HTTP_ADDR; reloaded on SIGHUP (needs TLS_KEY)"`
	TLSKey  string `env:"TLS_KEY" envDefault:"" help:"PEM private key file for TLS_CERT; reloaded on SIGHUP"`

	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s" help:"how long shutdown waits for connections to close before dropping them (duration)"`
}

// NativeTTL is how long an HTTP or UDP peer lives without announcing.
func (c *Config) NativeTTL() time.Duration {
	if c.NativePeerTTL > 0 {
		return c.NativePeerTTL
	}
	return 2*c.NativeInterval + 60*time.Second
}

// Proxies returns the parsed TrustedProxies (Validate has checked them).
func (c *Config) Proxies() []netip.Prefix {
	p, _ := clientip.ParsePrefixes(c.TrustedProxies)
	return p
}

// Var describes one environment variable.
type Var struct {
	Name    string
	Default string
	Help    string
}

// Vars lists every variable in declaration order.
func Vars() []Var {
	t := reflect.TypeFor[Config]()
	vars := make([]Var, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		vars = append(vars, Var{
			Name:    Prefix + f.Tag.Get("env"),
			Default: f.Tag.Get("envDefault"),
			Help:    f.Tag.Get("help"),
		})
	}
	return vars
}

// ErrInvalid is wrapped by every error Load returns for a bad value.
var ErrInvalid = errors.New("invalid configuration")

// Load reads the configuration from environ (os.Environ's form) and
// validates it. Errors name the variable and what it accepts.
func Load(environ []string) (Config, error) {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	var c Config
	err := env.ParseWithOptions(&c, env.Options{Prefix: Prefix, Environment: m})
	if err != nil {
		return Config{}, explain(err, m)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// explain rewrites the env library's errors, which name Go fields, into
// ones that name the variable, its value and what it accepts.
func explain(err error, environ map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	t := reflect.TypeFor[Config]()
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			msgs = append(msgs, e.Error())
			continue
		}
		f, ok := t.FieldByName(pe.Name)
		if !ok {
			msgs = append(msgs, e.Error())
			continue
		}
		name := Prefix + f.Tag.Get("env")
		msgs = append(msgs, fmt.Sprintf("%s=%q: expected %s", name, environ[name], f.Tag.Get("help")))
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
}

// Validate checks ranges and choices that the types alone do not.
func (c *Config) Validate() error {
	var errs []string
	bad := func(field, format string, args ...any) {
		f, _ := reflect.TypeFor[Config]().FieldByName(field)
		name := Prefix + f.Tag.Get("env")
		errs = append(errs, fmt.Sprintf("%s: %s; expected %s", name, fmt.Sprintf(format, args...), f.Tag.Get("help")))
	}
	intIn := func(field string, v, lo, hi int) {
		if v < lo || v > hi {
			bad(field, "%d is out of range", v)
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("HTTPAddr", "%q is not host:port", c.HTTPAddr)
	}
	if c.UDPAddr != "" {
		if _, _, err := net.SplitHostPort(c.UDPAddr); err != nil {
			bad("UDPAddr", "%q is not host:port", c.UDPAddr)
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("MetricsAddr", "%q is not host:port", c.MetricsAddr)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("LogLevel", "%q is not a level", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "console":
	default:
		bad("LogFormat", "%q is not a format", c.LogFormat)
	}
	if c.AnnounceInterval < 10*time.Second {
		bad("AnnounceInterval", "%s is too short", c.AnnounceInterval)
	}
	if c.PeerTTL <= c.AnnounceInterval {
		bad("PeerTTL", "%s is not longer than the announce interval %s", c.PeerTTL, c.AnnounceInterval)
	}
	intIn("MaxNumWant", c.MaxNumWant, 1, 1000)
	intIn("MaxMessageSize", c.MaxMessageSize, 4096, 16<<20)
	intIn("MaxOffers", c.MaxOffers, 1, 100)
	intIn("MaxScrapeHashes", c.MaxScrapeHashes, 1, 1000)
	intIn("MaxTorrentsPerConn", c.MaxTorrentsPerConn, 1, 100000)
	intIn("SendQueue", c.SendQueue, 8, 65536)
	intIn("DefaultNumWant", c.DefaultNumWant, 1, 1000)
	c.DefaultNumWant = min(c.DefaultNumWant, c.MaxNumWant)
	if c.NativeInterval < time.Minute {
		bad("NativeInterval", "%s is too short", c.NativeInterval)
	}
	if c.NativePeerTTL != 0 && c.NativePeerTTL <= c.NativeInterval {
		bad("NativePeerTTL", "%s is not longer than the announce interval %s", c.NativePeerTTL, c.NativeInterval)
	}
	if c.NativePeerTTL < 0 {
		bad("NativePeerTTL", "%s is negative", c.NativePeerTTL)
	}
	if _, err := clientip.ParsePrefixes(c.TrustedProxies); err != nil {
		bad("TrustedProxies", "%v", err)
	}
	if c.PingInterval < 0 {
		bad("PingInterval", "%s is negative", c.PingInterval)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("TLSCert", "TLS_CERT and TLS_KEY must be set together")
	}
	if c.ShutdownTimeout <= 0 {
		bad("ShutdownTimeout", "%s is not positive", c.ShutdownTimeout)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}
