package redis

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Conn is where and how to reach Redis, as a URL says it.
type Conn struct {
	// Addrs are host:port pairs: one server, or seeds of a cluster.
	Addrs    []string
	Username string
	Password string
	// DB is the database number (standalone servers only).
	DB int
	// TLS is set by the rediss schemes.
	TLS bool
	// Cluster is set by the +cluster schemes.
	Cluster bool
}

// defaultPort is used for hosts given without a port.
const defaultPort = "6379"

// ParseURL reads a Redis URL:
//
//	redis://[[user]:password@]host[:port][/db]
//	rediss://…                     the same over TLS
//	redis+cluster://[[user]:password@]host:port,host:port,…
//	rediss+cluster://…             the same over TLS
//
// A cluster URL names one or more seed nodes, separated by commas; the
// client learns the rest of the cluster from them. It takes no database
// number, since Redis Cluster has only database 0. The port defaults to
// 6379, IPv6 hosts are written in brackets, and user name and password
// are percent-decoded. Query parameters are refused, so that a setting
// that is not honoured is never silently ignored.
func ParseURL(raw string) (Conn, error) {
	var c Conn
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return c, fmt.Errorf("redis url %q: want scheme://host, as in redis://localhost:6379", redact(raw))
	}
	switch strings.ToLower(scheme) {
	case "redis":
	case "rediss":
		c.TLS = true
	case "redis+cluster":
		c.Cluster = true
	case "rediss+cluster":
		c.TLS, c.Cluster = true, true
	default:
		return c, fmt.Errorf("redis url %q: scheme %q is not redis, rediss, redis+cluster or rediss+cluster", redact(raw), scheme)
	}
	if strings.ContainsAny(rest, "?#") {
		return c, fmt.Errorf("redis url %q: query parameters and fragments are not supported", redact(raw))
	}
	hostsPart, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(hostsPart, '@'); at >= 0 {
		if err := c.setUserinfo(hostsPart[:at]); err != nil {
			return Conn{}, fmt.Errorf("redis url %q: %w", redact(raw), err)
		}
		hostsPart = hostsPart[at+1:]
	}
	if hostsPart == "" {
		return Conn{}, fmt.Errorf("redis url %q: no host", redact(raw))
	}
	hosts := strings.Split(hostsPart, ",")
	if len(hosts) > 1 && !c.Cluster {
		return Conn{}, fmt.Errorf("redis url %q: several hosts need the redis+cluster scheme", redact(raw))
	}
	for _, h := range hosts {
		addr, err := hostPort(h)
		if err != nil {
			return Conn{}, fmt.Errorf("redis url %q: %w", redact(raw), err)
		}
		c.Addrs = append(c.Addrs, addr)
	}
	if path != "" {
		if c.Cluster {
			return Conn{}, fmt.Errorf("redis url %q: a cluster URL takes no database number", redact(raw))
		}
		db, err := strconv.Atoi(path)
		if err != nil || db < 0 {
			return Conn{}, fmt.Errorf("redis url %q: database %q is not a number 0 or more", redact(raw), path)
		}
		c.DB = db
	}
	return c, nil
}

func (c *Conn) setUserinfo(info string) error {
	user, pass, hasPass := strings.Cut(info, ":")
	var err error
	if c.Username, err = url.PathUnescape(user); err != nil {
		return fmt.Errorf("user name: %w", err)
	}
	if hasPass {
		if c.Password, err = url.PathUnescape(pass); err != nil {
			return errors.New("password is not percent-encoded properly")
		}
	}
	return nil
}

// hostPort checks one host[:port] and adds the default port.
func hostPort(h string) (string, error) {
	if h == "" {
		return "", errors.New("empty host")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: a name, an IPv4 address, or a bracketed IPv6 address.
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
		if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(h, "[")) {
			return "", fmt.Errorf("host %q: write IPv6 addresses in brackets, as [::1]:6379", h)
		}
	}
	if host == "" {
		return "", fmt.Errorf("host %q: empty host name", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("host %q: port %q is not 1-65535", h, port)
	}
	return net.JoinHostPort(host, port), nil
}

// redact hides a URL's password, so that errors can be logged.
func redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	hosts, path, hasPath := strings.Cut(rest, "/")
	at := strings.LastIndexByte(hosts, '@')
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(hosts[:at], ":")
	if !hasPass {
		return raw
	}
	out := scheme + "://" + user + ":xxxxx@" + hosts[at+1:]
	if hasPath {
		out += "/" + path
	}
	return out
}
