package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server/servertest"
)

func TestHelpListsEveryVariableWithItsDefault(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("-h exited %d: %s", code, errOut.String())
	}
	for _, v := range config.Vars() {
		line := ""
		for l := range strings.SplitSeq(out.String(), "\n") {
			if strings.HasPrefix(l, v.Name+" ") {
				line = l
			}
		}
		if line == "" || !strings.Contains(line, v.Default) {
			t.Errorf("-h lacks %s with default %q", v.Name, v.Default)
		}
	}
}

func TestBadConfigurationStopsStartUp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(nil, []string{"SWARMBRIDGE_ANNOUNCE_INTERVAL=often"}, &out, &errOut)
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	if msg := errOut.String(); !strings.Contains(msg, "SWARMBRIDGE_ANNOUNCE_INTERVAL") || !strings.Contains(msg, "duration") {
		t.Fatalf("message does not name the variable and what it accepts: %q", msg)
	}
}

func TestArgumentsAreRefused(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--port=1"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "SWARMBRIDGE_") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// `swarmbridge check` is the tracker checker (internal/check has its
// tests); the subcommand reaches it with its own arguments.
func TestCheckSubcommand(t *testing.T) {
	tr := servertest.Start(t, nil, nil)
	var out, errOut bytes.Buffer
	if code := run([]string{"check", "-json", "udp://" + tr.UDP.String()}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), `{"ok":true,`) {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"check"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "no tracker URL given") {
		t.Fatalf("without URLs: exit %d, %s", code, errOut.String())
	}
	out.Reset()
	if run([]string{"-h"}, nil, &out, &errOut); !strings.Contains(out.String(), "swarmbridge check URL...") {
		t.Fatalf("-h does not mention check:\n%s", out.String())
	}
}
