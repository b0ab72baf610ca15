package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8000" || c.UDPAddr != ":6969" || c.LogLevel != "info" || c.LogFormat != "json" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.AnnounceInterval != 2*time.Minute || c.PeerTTL != 5*time.Minute || c.MaxMessageSize != 64<<10 || c.MaxOffers != 10 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestOverrides(t *testing.T) {
	c, err := Load([]string{
		"SWARMBRIDGE_HTTP_ADDR=127.0.0.1:9000",
		"SWARMBRIDGE_ANNOUNCE_INTERVAL=90s",
		"SWARMBRIDGE_LOG_FORMAT=console",
		"SWARMBRIDGE_MAX_NUMWANT=20",
		"UNRELATED=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9000" || c.AnnounceInterval != 90*time.Second || c.LogFormat != "console" || c.MaxNumWant != 20 {
		t.Fatalf("overrides not applied: %+v", c)
	}
}

func TestBadValuesNameTheVariableAndWhatItAccepts(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want []string
	}{
		{"SWARMBRIDGE_ANNOUNCE_INTERVAL=soon", []string{"SWARMBRIDGE_ANNOUNCE_INTERVAL", `"soon"`, "duration"}},
		{"SWARMBRIDGE_ANNOUNCE_INTERVAL=1s", []string{"SWARMBRIDGE_ANNOUNCE_INTERVAL", "too short", "at least 10s"}},
		{"SWARMBRIDGE_MAX_OFFERS=many", []string{"SWARMBRIDGE_MAX_OFFERS", `"many"`, "1-100"}},
		{"SWARMBRIDGE_MAX_OFFERS=0", []string{"SWARMBRIDGE_MAX_OFFERS", "out of range", "1-100"}},
		{"SWARMBRIDGE_LOG_LEVEL=loud", []string{"SWARMBRIDGE_LOG_LEVEL", "debug, info, warn or error"}},
		{"SWARMBRIDGE_LOG_FORMAT=xml", []string{"SWARMBRIDGE_LOG_FORMAT", "json or console"}},
		{"SWARMBRIDGE_HTTP_ADDR=8000", []string{"SWARMBRIDGE_HTTP_ADDR", "host:port"}},
		{"SWARMBRIDGE_HTTP_ADDR=:x", []string{"SWARMBRIDGE_HTTP_ADDR", "no valid port"}},
		{"SWARMBRIDGE_UDP_ADDR=:70000", []string{"SWARMBRIDGE_UDP_ADDR", "no valid port"}},
		{"SWARMBRIDGE_METRICS_ADDR=127.0.0.1:-1", []string{"SWARMBRIDGE_METRICS_ADDR", "no valid port"}},
		{"SWARMBRIDGE_PEER_TTL=1m", []string{"SWARMBRIDGE_PEER_TTL", "longer"}},
		{"SWARMBRIDGE_MAX_MESSAGE_SIZE=12", []string{"SWARMBRIDGE_MAX_MESSAGE_SIZE", "4096"}},
	} {
		_, err := Load([]string{tc.env})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: error %v does not wrap ErrInvalid", tc.env, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.env, err, w)
			}
		}
	}
}

// The README's configuration table must list every variable with its
// default and the same help text as `swarmbridge -h`, so users can trust it.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	readme, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars() {
		row := "| `" + v.Name + "` | `" + v.Default + "` | " + v.Help + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README lacks the row starting %q", row)
		}
	}
}
