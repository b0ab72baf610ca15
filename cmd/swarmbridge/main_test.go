package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/config"
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
