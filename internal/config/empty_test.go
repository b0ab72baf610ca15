package config

import (
	"reflect"
	"strings"
	"testing"
)

// A variable whose help says what "empty" means must mean it when it is set
// to the empty string, while an unset one keeps its default (issue: an empty
// SWARMBRIDGE_UDP_ADDR used to fall back to :6969).
func TestSetButEmptyTurnsOffWhatTheHelpSays(t *testing.T) {
	typ := reflect.TypeFor[Config]()
	tagged := 0
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := Prefix + f.Tag.Get("env")
		mentions := strings.Contains(f.Tag.Get("help"), "empty")
		if off := f.Tag.Get("empty") == "off"; off != mentions {
			t.Errorf("%s: help mentions empty: %v, but tagged empty:\"off\": %v", name, mentions, off)
			continue
		}
		if !mentions {
			continue
		}
		tagged++
		unset, err := Load(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := reflect.ValueOf(unset).Field(i).String(), f.Tag.Get("envDefault"); got != want {
			t.Errorf("%s unset: got %q, want the default %q", name, got, want)
		}
		empty, err := Load([]string{name + "="})
		if err != nil {
			t.Fatalf("%s set empty: %v", name, err)
		}
		if got := reflect.ValueOf(empty).Field(i).String(); got != "" {
			t.Errorf("%s set empty: got %q, want empty (off)", name, got)
		}
	}
	if tagged < 4 {
		t.Fatalf("only %d variables say what empty means; expected at least UDP_ADDR, METRICS_ADDR, TRUSTED_PROXIES, ALLOWED_ORIGINS", tagged)
	}
}

func TestEmptyUDPAddrDisablesUDP(t *testing.T) {
	c, err := Load([]string{"SWARMBRIDGE_UDP_ADDR="})
	if err != nil {
		t.Fatal(err)
	}
	if c.UDPAddr != "" {
		t.Fatalf("UDPAddr = %q, want empty", c.UDPAddr)
	}
	c, err = Load(nil)
	if err != nil || c.UDPAddr != ":6969" {
		t.Fatalf("unset UDP_ADDR: %q, %v; want :6969", c.UDPAddr, err)
	}
}

// Every rule tag parses, and every help text that shows a rule has one.
func TestEveryRuleParses(t *testing.T) {
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		_, ok, err := parseRule(f)
		if err != nil {
			t.Error(err)
		}
		if strings.Contains(f.Tag.Get("help"), "{check}") && !ok {
			t.Errorf("%s: help shows {check} but the field has no rule", f.Name)
		}
	}
	for _, v := range Vars() {
		if strings.Contains(v.Help, "{check}") {
			t.Errorf("%s: help not filled in: %q", v.Name, v.Help)
		}
	}
}

func TestValidateChangesNothing(t *testing.T) {
	c, err := Load([]string{"SWARMBRIDGE_MAX_NUMWANT=20", "SWARMBRIDGE_DEFAULT_NUMWANT=50"})
	if err != nil {
		t.Fatal(err)
	}
	before := c
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c != before {
		t.Fatalf("Validate changed the config: %+v -> %+v", before, c)
	}
	if c.DefaultNumWant != 50 || c.NumWant() != 20 {
		t.Fatalf("DefaultNumWant %d, NumWant() %d; want 50 kept and 20 served", c.DefaultNumWant, c.NumWant())
	}
}

func TestRuleTexts(t *testing.T) {
	want := map[string]string{
		"SWARMBRIDGE_LOG_LEVEL":         "log level: debug, info, warn or error",
		"SWARMBRIDGE_ANNOUNCE_INTERVAL": "announce interval sent to WebSocket clients (duration, at least 10s)",
		"SWARMBRIDGE_MAX_OFFERS":        "offers of one WebSocket announce that are relayed; the rest are ignored (1-100)",
		"SWARMBRIDGE_HANDSHAKE_TIMEOUT": "how long a new TCP connection may take to finish TLS and send a whole request (headers and body), and how long an idle HTTP keep-alive connection stays open (duration, positive)",
	}
	for _, v := range Vars() {
		if w, ok := want[v.Name]; ok && v.Help != w {
			t.Errorf("%s help:\n got %q\nwant %q", v.Name, v.Help, w)
		}
	}
}
