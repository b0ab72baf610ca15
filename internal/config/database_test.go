package config

import (
	"errors"
	"strings"
	"testing"
)

func TestDatabaseSettings(t *testing.T) {
	const db = "SWARMBRIDGE_DATABASE_URL=sqlite:///var/lib/swarmbridge/swarmbridge.db"
	for _, tc := range []struct {
		name string
		env  []string
		// wantErr lists what the message must say; empty means valid.
		wantErr []string
	}{
		{"no database", nil, nil},
		{"sqlite, private, allow-list, API", []string{db, "SWARMBRIDGE_PRIVATE=true", "SWARMBRIDGE_INFOHASH_MODE=allow",
			"SWARMBRIDGE_ADMIN_ADDR=127.0.0.1:8001", "SWARMBRIDGE_ADMIN_TOKEN_FILE=/etc/swarmbridge/token"}, nil},
		{"postgres", []string{"SWARMBRIDGE_DATABASE_URL=postgres://u:p@db:5432/tracker", "SWARMBRIDGE_INFOHASH_MODE=deny"}, nil},
		{"private without a database", []string{"SWARMBRIDGE_PRIVATE=true"}, []string{"SWARMBRIDGE_PRIVATE", "needs DATABASE_URL", "KEYS_FILE"}},
		{"mode without a database", []string{"SWARMBRIDGE_INFOHASH_MODE=allow"}, []string{"SWARMBRIDGE_INFOHASH_MODE", "needs DATABASE_URL"}},
		{"bad mode", []string{db, "SWARMBRIDGE_INFOHASH_MODE=maybe"}, []string{"SWARMBRIDGE_INFOHASH_MODE", "off, allow or deny"}},
		{"API without a database", []string{"SWARMBRIDGE_ADMIN_ADDR=127.0.0.1:8001", "SWARMBRIDGE_ADMIN_TOKEN_FILE=/t"}, []string{"SWARMBRIDGE_ADMIN_ADDR", "needs DATABASE_URL"}},
		{"API without a token", []string{db, "SWARMBRIDGE_ADMIN_ADDR=127.0.0.1:8001"}, []string{"SWARMBRIDGE_ADMIN_TOKEN_FILE", "required"}},
		{"API address without a port", []string{db, "SWARMBRIDGE_ADMIN_ADDR=localhost", "SWARMBRIDGE_ADMIN_TOKEN_FILE=/t"}, []string{"SWARMBRIDGE_ADMIN_ADDR", "host:port"}},
		{"unknown scheme, password hidden", []string{"SWARMBRIDGE_DATABASE_URL=mysql://root:hunter2@db/x"}, []string{"SWARMBRIDGE_DATABASE_URL", "sqlite://", "root:xxxxx@db"}},
		{"keys file and database", []string{db, "SWARMBRIDGE_KEYS_FILE=/etc/keys.txt"}, []string{"SWARMBRIDGE_KEYS_FILE", "swarmbridge admin import keys /etc/keys.txt", "PRIVATE=true"}},
		{"allow-list file and database", []string{db, "SWARMBRIDGE_INFOHASH_ALLOWLIST=/etc/allow.txt"}, []string{"SWARMBRIDGE_INFOHASH_ALLOWLIST", "INFOHASH_MODE=allow", "import allow /etc/allow.txt"}},
		{"deny-list file and database", []string{db, "SWARMBRIDGE_INFOHASH_DENYLIST=/etc/deny.txt"}, []string{"SWARMBRIDGE_INFOHASH_DENYLIST", "INFOHASH_MODE=deny"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.env)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestAdminPlacement(t *testing.T) {
	for _, tc := range []struct {
		admin, metrics string
		want           AdminOn
	}{
		{"", "", AdminOff},
		{"127.0.0.1:8001", "", AdminOwnListener},
		{"127.0.0.1:8000", "", AdminOnHTTP},
		{"127.0.0.1:9100", "127.0.0.1:9100", AdminOnMetrics},
		{"127.0.0.1:0", "127.0.0.1:0", AdminOwnListener}, // any free port: never the same one
	} {
		c := Config{HTTPAddr: "127.0.0.1:8000", AdminAddr: tc.admin, MetricsAddr: tc.metrics}
		if got := c.Admin(); got != tc.want {
			t.Errorf("ADMIN_ADDR=%q METRICS_ADDR=%q: %v, want %v", tc.admin, tc.metrics, got, tc.want)
		}
	}
}
