package redis_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want redis.Conn
	}{
		{"redis://localhost", redis.Conn{Addrs: []string{"localhost:6379"}}},
		{"redis://127.0.0.1:6380/2", redis.Conn{Addrs: []string{"127.0.0.1:6380"}, DB: 2}},
		{"REDIS://h:1", redis.Conn{Addrs: []string{"h:1"}}},
		{"rediss://:s%40cret@cache.example:6380", redis.Conn{Addrs: []string{"cache.example:6380"}, Password: "s@cret", TLS: true}},
		{"redis://user:pw@[::1]:7000/0", redis.Conn{Addrs: []string{"[::1]:7000"}, Username: "user", Password: "pw"}},
		{"redis://[::1]", redis.Conn{Addrs: []string{"[::1]:6379"}}},
		{"redis://user@h", redis.Conn{Addrs: []string{"h:6379"}, Username: "user"}},
		{"redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[fd00::3]:7002", redis.Conn{
			Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7001", "[fd00::3]:7002"}, Cluster: true}},
		{"rediss+cluster://u:p@a,b:7001/", redis.Conn{Addrs: []string{"a:6379", "b:7001"}, Username: "u", Password: "p", TLS: true, Cluster: true}},
	} {
		got, err := redis.ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if !slices.Equal(got.Addrs, tc.want.Addrs) || got.Username != tc.want.Username || got.Password != tc.want.Password ||
			got.DB != tc.want.DB || got.TLS != tc.want.TLS || got.Cluster != tc.want.Cluster {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseURLRefuses(t *testing.T) {
	for in, why := range map[string]string{
		"localhost:6379":                 "scheme",
		"http://localhost":               "scheme",
		"redis://":                       "no host",
		"redis://h:0":                    "port",
		"redis://h:70000":                "port",
		"redis://h:port":                 "port",
		"redis://::1":                    "brackets",
		"redis://a:1,b:2":                "redis+cluster",
		"redis+cluster://a:1,,b:2":       "empty host",
		"redis+cluster://a:1/3":          "database",
		"redis://h/x":                    "database",
		"redis://h/-1":                   "database",
		"redis://h?dial_timeout=1s":      "query",
		"redis://u:p%zz@h":               "password",
		"redis://u:topsecret@h:1/db?x=1": "query",
	} {
		_, err := redis.ParseURL(in)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted it, want an error about %s", in, why)
			continue
		}
		if !strings.Contains(err.Error(), why) {
			t.Errorf("ParseURL(%q) = %v, want it to mention %q", in, err, why)
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("ParseURL(%q) error shows the password: %v", in, err)
		}
	}
}
