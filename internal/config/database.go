package config

import (
	"net"
	"strings"
)

// checkDatabase checks the database and management API variables against
// each other and against the file-based access lists. With a database,
// keys and the info hash list live in it, managed through the API; a list
// file set as well would leave two sources of truth, one of which the API
// cannot change, so start-up refuses it and says how to move the file
// into the database.
func (c *Config) checkDatabase(bad func(field, format string, args ...any), addr func(field, network, v string)) {
	if c.DatabaseURL == "" {
		if c.Private {
			bad("Private", "PRIVATE=true needs DATABASE_URL, where the keys live (without a database, KEYS_FILE makes the tracker private)")
		}
		if c.InfoHashMode != "off" {
			bad("InfoHashMode", "INFOHASH_MODE=%s needs DATABASE_URL, where the list lives (without a database, use INFOHASH_ALLOWLIST or INFOHASH_DENYLIST)", c.InfoHashMode)
		}
		if c.AdminAddr != "" {
			bad("AdminAddr", "the management API needs DATABASE_URL: it manages what the database keeps")
		}
		return
	}
	scheme, _, _ := strings.Cut(c.DatabaseURL, ":")
	switch strings.ToLower(scheme) {
	case "sqlite", "postgres", "postgresql":
	default:
		bad("DatabaseURL", "%q does not start with sqlite:// or postgres://", redactURL(c.DatabaseURL))
	}
	if c.KeysFile != "" {
		bad("KeysFile", "KEYS_FILE cannot be used with DATABASE_URL, since keys then live in the database; start without KEYS_FILE and with PRIVATE=true, run swarmbridge admin import keys %s once, then keep managing keys with swarmbridge admin", c.KeysFile)
	}
	for _, l := range []struct{ field, name, mode, file string }{
		{"InfoHashAllowlist", "INFOHASH_ALLOWLIST", "allow", c.InfoHashAllowlist},
		{"InfoHashDenylist", "INFOHASH_DENYLIST", "deny", c.InfoHashDenylist},
	} {
		if l.file != "" {
			bad(l.field, "%s cannot be used with DATABASE_URL, since the list then lives in the database; start without it and with INFOHASH_MODE=%s, run swarmbridge admin import %s %s once, then keep managing the list with swarmbridge admin", l.name, l.mode, l.mode, l.file)
		}
	}
	if c.AdminAddr != "" {
		addr("AdminAddr", "tcp", c.AdminAddr)
		if c.AdminTokenFile == "" {
			bad("AdminTokenFile", "ADMIN_ADDR is set but ADMIN_TOKEN_FILE is not: the API refuses to run without a token")
		}
	}
}

// redactURL hides the password of a URL in an error message.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	user, _, hasPass := strings.Cut(userinfo, ":")
	if !hasPass {
		return u
	}
	return scheme + "://" + user + ":xxxxx@" + host
}

// AdminOn says where the management API is served.
type AdminOn uint8

const (
	// AdminOff: no ADMIN_ADDR.
	AdminOff AdminOn = iota
	// AdminOwnListener: ADMIN_ADDR is an address of its own.
	AdminOwnListener
	// AdminOnHTTP: ADMIN_ADDR equals HTTP_ADDR, so /admin/ is served on
	// the public port, as the operator asked.
	AdminOnHTTP
	// AdminOnMetrics: ADMIN_ADDR equals METRICS_ADDR; /admin/ shares
	// that internal listener.
	AdminOnMetrics
)

// Admin says where the management API is served. Addresses are compared
// as written: ":8000" and "0.0.0.0:8000" differ, and the second listener
// would fail to bind, which start-up reports. Port 0 asks for any free
// port, so such an address is never the same listener as another.
func (c *Config) Admin() AdminOn {
	if c.AdminAddr == "" {
		return AdminOff
	}
	if _, port, err := net.SplitHostPort(c.AdminAddr); err == nil && port == "0" {
		return AdminOwnListener
	}
	switch c.AdminAddr {
	case c.HTTPAddr:
		return AdminOnHTTP
	case c.MetricsAddr:
		return AdminOnMetrics
	}
	return AdminOwnListener
}
