package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAbuseLimitAndAccessDefaults(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.WSMaxConns != 10000 || c.WSMaxConnsPerIP != 100 || c.WSAnnouncesPerConn != 100 ||
		c.AnnouncesPerIP != 1000 || c.UDPRequestsPerIP != 1200 || c.RateLimitMaxIPs != 100000 {
		t.Fatalf("limit defaults: %+v", c)
	}
	if c.WSIdleTimeout != 10*time.Minute || c.HandshakeTimeout != 10*time.Second {
		t.Fatalf("timeout defaults: %v %v", c.WSIdleTimeout, c.HandshakeTimeout)
	}
	if c.AllowedOrigins != "" || c.InfoHashAllowlist != "" || c.InfoHashDenylist != "" || c.KeysFile != "" {
		t.Fatalf("access is open by default: %+v", c)
	}
	// Zero turns each limit off.
	off, err := Load([]string{
		"SWARMBRIDGE_WS_MAX_CONNS=0", "SWARMBRIDGE_WS_MAX_CONNS_PER_IP=0", "SWARMBRIDGE_WS_ANNOUNCES_PER_CONN=0",
		"SWARMBRIDGE_ANNOUNCES_PER_IP=0", "SWARMBRIDGE_UDP_REQUESTS_PER_IP=0", "SWARMBRIDGE_WS_IDLE_TIMEOUT=0",
	})
	if err != nil || off.WSMaxConns != 0 || off.WSIdleTimeout != 0 {
		t.Fatalf("zero values: %v %+v", err, off)
	}
}

func TestBadLimitAndAccessValuesNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want []string
	}{
		{[]string{"SWARMBRIDGE_WS_MAX_CONNS=-1"}, []string{"SWARMBRIDGE_WS_MAX_CONNS", "out of range", "0 means no limit"}},
		{[]string{"SWARMBRIDGE_WS_MAX_CONNS_PER_IP=lots"}, []string{"SWARMBRIDGE_WS_MAX_CONNS_PER_IP", `"lots"`}},
		{[]string{"SWARMBRIDGE_WS_ANNOUNCES_PER_CONN=-5"}, []string{"SWARMBRIDGE_WS_ANNOUNCES_PER_CONN", "out of range"}},
		{[]string{"SWARMBRIDGE_ANNOUNCES_PER_IP=-5"}, []string{"SWARMBRIDGE_ANNOUNCES_PER_IP", "out of range"}},
		{[]string{"SWARMBRIDGE_UDP_REQUESTS_PER_IP=x"}, []string{"SWARMBRIDGE_UDP_REQUESTS_PER_IP", `"x"`, "per minute"}},
		{[]string{"SWARMBRIDGE_RATELIMIT_MAX_IPS=10"}, []string{"SWARMBRIDGE_RATELIMIT_MAX_IPS", "1000-100000000"}},
		{[]string{"SWARMBRIDGE_WS_IDLE_TIMEOUT=1m"}, []string{"SWARMBRIDGE_WS_IDLE_TIMEOUT", "not longer than the announce interval"}},
		{[]string{"SWARMBRIDGE_WS_IDLE_TIMEOUT=-1s"}, []string{"SWARMBRIDGE_WS_IDLE_TIMEOUT", "negative"}},
		{[]string{"SWARMBRIDGE_HANDSHAKE_TIMEOUT=0"}, []string{"SWARMBRIDGE_HANDSHAKE_TIMEOUT", "not positive"}},
		{[]string{"SWARMBRIDGE_HANDSHAKE_TIMEOUT=soon"}, []string{"SWARMBRIDGE_HANDSHAKE_TIMEOUT", "duration"}},
		{[]string{"SWARMBRIDGE_ALLOWED_ORIGINS=https://ok.test,https://x.test/path"}, []string{"SWARMBRIDGE_ALLOWED_ORIGINS", "x.test/path", "host patterns"}},
		{[]string{"SWARMBRIDGE_INFOHASH_ALLOWLIST=/a", "SWARMBRIDGE_INFOHASH_DENYLIST=/b"}, []string{"SWARMBRIDGE_INFOHASH_ALLOWLIST", "INFOHASH_DENYLIST", "cannot both"}},
	} {
		_, err := Load(tc.env)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%v: error %v does not wrap ErrInvalid", tc.env, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.env, err, w)
			}
		}
	}
}
