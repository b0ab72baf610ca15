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

	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/clientip"
)

// Prefix starts every variable name.
const Prefix = "SWARMBRIDGE_"

// Config is the whole configuration. Tags: env (name without Prefix),
// envDefault, help (what it does and what it accepts).
type Config struct {
	HTTPAddr    string `env:"HTTP_ADDR" envDefault:":8000" help:"TCP listen address for WebSocket, HTTP announce/scrape and the page (host:port)"`
	UDPAddr     string `env:"UDP_ADDR" envDefault:":6969" empty:"off" help:"UDP listen address for UDP announce/scrape (host:port; empty disables UDP)"`
	MetricsAddr string `env:"METRICS_ADDR" envDefault:"" empty:"off" help:"separate TCP listen address for /metrics, /healthz and /readyz (host:port; empty serves /metrics on HTTP_ADDR)"`
	LogLevel    string `env:"LOG_LEVEL" envDefault:"info" oneof:"debug info warn error" help:"log level: {check}"`
	LogFormat   string `env:"LOG_FORMAT" envDefault:"json" oneof:"json console" help:"log format: {check}"`

	AnnounceInterval time.Duration `env:"ANNOUNCE_INTERVAL" envDefault:"2m" check:">=10s" help:"announce interval sent to WebSocket clients (duration, {check})"`
	PeerTTL          time.Duration `env:"PEER_TTL" envDefault:"5m" help:"how long a WebSocket peer stays without announcing, as a safety net next to removal on close (duration, more than ANNOUNCE_INTERVAL)"`
	MaxNumWant       int           `env:"MAX_NUMWANT" envDefault:"100" check:"1-1000" help:"most peers one HTTP or UDP announce gets back ({check}; UDP also stops at what fits one datagram)"`
	DefaultNumWant   int           `env:"DEFAULT_NUMWANT" envDefault:"50" check:"1-1000" help:"peers an HTTP or UDP announce gets when it does not say ({check}, capped at MAX_NUMWANT)"`
	NativeInterval   time.Duration `env:"NATIVE_ANNOUNCE_INTERVAL" envDefault:"30m" check:">=1m" help:"announce interval sent to HTTP and UDP clients; min interval is half of it (duration, {check})"`
	NativePeerTTL    time.Duration `env:"NATIVE_PEER_TTL" envDefault:"0" check:">=0" help:"how long an HTTP or UDP peer stays without announcing (duration; 0 means 2 x NATIVE_ANNOUNCE_INTERVAL + 60s)"`
	TrustedProxies   string        `env:"TRUSTED_PROXIES" envDefault:"" empty:"off" help:"comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For / X-Real-IP is believed (empty: use the socket address)"`

	MaxMessageSize     int           `env:"MAX_MESSAGE_SIZE" envDefault:"65536" check:"4096-16777216" help:"largest WebSocket message in bytes; bigger ones close the connection with 1009 ({check})"`
	MaxOffers          int           `env:"MAX_OFFERS" envDefault:"10" check:"1-100" help:"offers of one WebSocket announce that are relayed; the rest are ignored ({check})"`
	AllowFullScrape    bool          `env:"ALLOW_FULL_SCRAPE" envDefault:"false" help:"answer a scrape without info_hash with every swarm, over HTTP and WebSocket (true or false)"`
	MaxScrapeHashes    int           `env:"MAX_SCRAPE_HASHES" envDefault:"100" check:"1-1000" help:"most info hashes in one scrape ({check}; UDP stops at 101, what fits one datagram)"`
	MaxTorrentsPerConn int           `env:"MAX_TORRENTS_PER_CONN" envDefault:"1000" check:"1-100000" help:"most torrents one WebSocket connection may announce ({check})"`
	SendQueue          int           `env:"WS_SEND_QUEUE" envDefault:"256" check:"8-65536" help:"messages that may wait for one WebSocket client before it is dropped as too slow ({check})"`
	PendingOffers      int           `env:"WS_PENDING_OFFERS" envDefault:"256" check:"16-65536" help:"offers relayed to one WebSocket connection that are remembered until answered, so answers go back only to real offerers; past it the oldest is forgotten and its answer refused ({check}; raise it for clients that carry many torrents on one socket)"`
	PingInterval       time.Duration `env:"WS_PING_INTERVAL" envDefault:"30s" check:">=0" help:"how often each WebSocket is pinged so proxies keep it open and dead peers are found (duration, 0 disables)"`

	WSMaxConns         int           `env:"WS_MAX_CONNS" check:"0-100000000" envDefault:"10000" help:"most open WebSocket connections; further upgrades get 503 ({check}, 0 means no limit)"`
	WSMaxConnsPerIP    int           `env:"WS_MAX_CONNS_PER_IP" check:"0-100000000" envDefault:"100" help:"most open WebSocket connections from one client IP (an IPv6 client counts by its /64); further upgrades get 429 ({check}, 0 means no limit)"`
	WSAnnouncesPerConn int           `env:"WS_ANNOUNCES_PER_CONN" check:"0-100000000" envDefault:"100" help:"announces and scrapes one WebSocket connection may send per ANNOUNCE_INTERVAL, in bursts of up to that many; more get a rate-limit failure, and a connection that sends twice that is closed with 1008 ({check}, 0 means no limit)"`
	AnnouncesPerIP     int           `env:"ANNOUNCES_PER_IP" check:"0-100000000" envDefault:"1000" help:"announces and scrapes one client IP (IPv6: its /64) may send per announce interval, counted apart for WebSocket (per ANNOUNCE_INTERVAL) and HTTP (per NATIVE_ANNOUNCE_INTERVAL); more get a rate-limit failure ({check}, 0 means no limit)"`
	UDPRequestsPerIP   int           `env:"UDP_REQUESTS_PER_IP" check:"0-100000000" envDefault:"1200" help:"UDP packets one client IP (IPv6: its /64) may send per minute, in bursts of up to that many; more are dropped without a reply ({check}, 0 means no limit)"`
	RateLimitMaxIPs    int           `env:"RATELIMIT_MAX_IPS" envDefault:"100000" check:"1000-100000000" help:"most client IPs each per-IP rate limit remembers at once; past it a random one is forgotten, so floods of spoofed addresses cost bounded memory ({check})"`
	WSIdleTimeout      time.Duration `env:"WS_IDLE_TIMEOUT" envDefault:"10m" help:"close a WebSocket with 1001 when the client has sent no message for this long; pongs do not count (duration, 0 disables, else longer than ANNOUNCE_INTERVAL)" check:">=0"`
	HandshakeTimeout   time.Duration `env:"HANDSHAKE_TIMEOUT" envDefault:"10s" help:"how long a new TCP connection may take to finish TLS and send a whole request (headers and body), and how long an idle HTTP keep-alive connection stays open (duration, {check})" check:">0"`
	HTTPWriteTimeout   time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s" help:"longest time to send one HTTP response; a client that reads slower is disconnected (WebSockets are not affected) (duration, {check})" check:">0"`

	AllowedOrigins    string `env:"ALLOWED_ORIGINS" envDefault:"" empty:"off" help:"comma-separated origins (https://app.example.com) or host patterns (example.com, *.example.com) of the web pages that may open WebSockets; others get 403; requests without Origin (non-browser clients) pass (empty: every page, as public WebTorrent trackers need)"`
	InfoHashAllowlist string `env:"INFOHASH_ALLOWLIST" envDefault:"" help:"file listing the only info hashes that may be tracked (40 hex digits per line, # comments); other announces fail with 'info_hash not allowed'; reloaded on SIGHUP (not together with INFOHASH_DENYLIST)"`
	InfoHashDenylist  string `env:"INFOHASH_DENYLIST" envDefault:"" help:"file listing info hashes that may not be tracked (40 hex digits per line, # comments); reloaded on SIGHUP (not together with INFOHASH_ALLOWLIST)"`
	KeysFile          string `env:"KEYS_FILE" envDefault:"" help:"file of keys (one per line: 8-128 characters from A-Z a-z 0-9 - . _ ~, # comments); when set the tracker is private and announce URLs must carry a listed key, as /announce/KEY or /KEY/announce; reloaded on SIGHUP"`

	StatsTorrents bool `env:"STATS_TORRENTS" envDefault:"false" help:"list the busiest swarms (info hash and counts) in /stats (true or false)"`

	TLSCert string `env:"TLS_CERT" envDefault:"" help:"PEM certificate file (chain) to serve https:// and wss:// on HTTP_ADDR; reloaded on SIGHUP (needs TLS_KEY)"`
	TLSKey  string `env:"TLS_KEY" envDefault:"" help:"PEM private key file for TLS_CERT; reloaded on SIGHUP"`

	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s" check:">0" help:"how long shutdown waits for connections to close before dropping them (duration, {check})"`

	// The database and the management API (see database.go).
	DatabaseURL    string `env:"DATABASE_URL" envDefault:"" empty:"off" help:"database that keeps private keys, the info hash list and download counts across restarts: sqlite:///path/swarmbridge.db (one node) or postgres://user:password@host:5432/dbname (any number of nodes); empty: no database, keys and lists come from the files above and download counts are lost at exit"`
	Private        bool   `env:"PRIVATE" envDefault:"false" help:"with DATABASE_URL: the tracker is private and announce URLs must carry a key stored in the database, as /announce/KEY or /KEY/announce (true or false; without a database, KEYS_FILE makes it private)"`
	InfoHashMode   string `env:"INFOHASH_MODE" envDefault:"off" oneof:"off allow deny" help:"with DATABASE_URL: what the database's info hash list does: allow (only listed torrents), deny (all but listed ones) or off (kept but not applied) ({check}; without a database use INFOHASH_ALLOWLIST or INFOHASH_DENYLIST)"`
	AdminAddr      string `env:"ADMIN_ADDR" envDefault:"" empty:"off" help:"TCP listen address of the management API /admin/ (host:port, e.g. 127.0.0.1:8001; needs DATABASE_URL and ADMIN_TOKEN_FILE; empty: no API); the same value as HTTP_ADDR or METRICS_ADDR serves it on that port instead"`
	AdminTokenFile string `env:"ADMIN_TOKEN_FILE" envDefault:"" help:"file holding the management API's bearer token (at least 16 characters, e.g. from openssl rand -hex 32); required with ADMIN_ADDR, read at start-up; swarmbridge admin reads it too"`
	// Distributed mode (store.go).
	Store          string        `env:"STORE" envDefault:"memory" oneof:"memory redis" help:"where the swarms live: {check}; memory keeps them in this process, redis in a Redis shared by every node that points at it with the same REDIS_KEY_PREFIX, so that several nodes behind a load balancer serve one set of swarms"`
	RedisURL       string        `env:"REDIS_URL" envDefault:"" help:"the Redis of STORE=redis: redis://[[user]:password@]host[:port][/db], rediss://... for TLS, or redis+cluster://host:port,host:port,... (rediss+cluster://) for a Redis Cluster, naming one or more of its nodes"`
	RedisKeyPrefix string        `env:"REDIS_KEY_PREFIX" envDefault:"swarmbridge:" help:"start of every Redis key and channel of STORE=redis, so that separate trackers can share one Redis (no braces)"`
	RedisTimeout   time.Duration `env:"REDIS_TIMEOUT" envDefault:"2s" check:">0" help:"longest wait for one Redis call; a slower one fails, and its client gets a failure it can read (duration, {check})"`
}

// NativeTTL is how long an HTTP or UDP peer lives without announcing.
func (c *Config) NativeTTL() time.Duration {
	if c.NativePeerTTL > 0 {
		return c.NativePeerTTL
	}
	return 2*c.NativeInterval + 60*time.Second
}

// NumWant is how many peers an HTTP or UDP announce gets when it does not
// say: DefaultNumWant, capped at MaxNumWant as the help promises.
func (c *Config) NumWant() int { return min(c.DefaultNumWant, c.MaxNumWant) }

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
			Help:    help(f),
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
	emptyMeansOff(&c, m)
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// emptyMeansOff clears the fields tagged empty:"off" whose variable is set
// but empty. The env library gives a set-but-empty variable its default;
// for these fields the help promises that empty turns the feature off
// (SWARMBRIDGE_UDP_ADDR= disables UDP), while an unset one keeps the
// default.
func emptyMeansOff(c *Config, environ map[string]string) {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("empty") != "off" {
			continue
		}
		if val, set := environ[Prefix+f.Tag.Get("env")]; set && val == "" {
			v.Field(i).SetString("")
		}
	}
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
		msgs = append(msgs, fmt.Sprintf("%s=%q: expected %s", name, environ[name], help(f)))
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
}

// Validate checks the values: each field's own rule (its check or oneof
// tag), then what relates fields to each other. It changes nothing.
func (c *Config) Validate() error {
	var errs []string
	t := reflect.TypeFor[Config]()
	bad := func(field, format string, args ...any) {
		f, _ := t.FieldByName(field)
		name := Prefix + f.Tag.Get("env")
		errs = append(errs, fmt.Sprintf("%s: %s; expected %s", name, fmt.Sprintf(format, args...), help(f)))
	}
	v := reflect.ValueOf(c).Elem()
	for i := range t.NumField() {
		f := t.Field(i)
		r, ok, err := parseRule(f)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if ok {
			if why := r.violation(v.Field(i)); why != "" {
				bad(f.Name, "%s", why)
			}
		}
	}

	addr := func(field, network, v string) {
		_, port, err := net.SplitHostPort(v)
		if err != nil {
			bad(field, "%q is not host:port", v)
			return
		}
		// LookupPort reads numbers and /etc/services names without any
		// network traffic; it refuses "x" and 70000, which SplitHostPort
		// lets through.
		if _, err := net.LookupPort(network, port); err != nil {
			bad(field, "%q has no valid port", v)
		}
	}
	addr("HTTPAddr", "tcp", c.HTTPAddr)
	if c.UDPAddr != "" {
		addr("UDPAddr", "udp", c.UDPAddr)
	}
	if c.MetricsAddr != "" {
		addr("MetricsAddr", "tcp", c.MetricsAddr)
	}
	if c.PeerTTL <= c.AnnounceInterval {
		bad("PeerTTL", "%s is not longer than the announce interval %s", c.PeerTTL, c.AnnounceInterval)
	}
	if c.NativePeerTTL != 0 && c.NativePeerTTL <= c.NativeInterval {
		bad("NativePeerTTL", "%s is not longer than the announce interval %s", c.NativePeerTTL, c.NativeInterval)
	}
	if c.WSIdleTimeout > 0 && c.WSIdleTimeout <= c.AnnounceInterval {
		bad("WSIdleTimeout", "%s is not longer than the announce interval %s", c.WSIdleTimeout, c.AnnounceInterval)
	}
	if _, err := clientip.ParsePrefixes(c.TrustedProxies); err != nil {
		bad("TrustedProxies", "%v", err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("TLSCert", "TLS_CERT and TLS_KEY must be set together")
	}
	if _, err := access.ParseOrigins(c.AllowedOrigins); err != nil {
		bad("AllowedOrigins", "%v", err)
	}
	if c.InfoHashAllowlist != "" && c.InfoHashDenylist != "" {
		bad("InfoHashAllowlist", "INFOHASH_ALLOWLIST and INFOHASH_DENYLIST cannot both be set")
	}
	c.checkDatabase(bad, addr)
	c.validateStore(bad)
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}
