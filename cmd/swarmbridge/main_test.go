package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

// `swarmbridge healthcheck` exits 0 when the tracker its variables
// describe answers /healthz, 1 when nothing answers, and 2 for a
// configuration the tracker would refuse (a usage error, told apart from
// an unhealthy tracker). internal/server tests where it looks for
// /healthz under each configuration.
func TestHealthcheckExitCodes(t *testing.T) {
	tr := servertest.Start(t, nil, nil)
	var stderr bytes.Buffer
	live := "SWARMBRIDGE_HTTP_ADDR=" + strings.TrimPrefix(tr.HTTP.URL, "http://")
	if code := healthcheck([]string{live}, &stderr); code != 0 {
		t.Fatalf("healthcheck of a live tracker exited %d: %s", code, stderr.String())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "SWARMBRIDGE_HTTP_ADDR=" + ln.Addr().String()
	ln.Close()
	stderr.Reset()
	if code := healthcheck([]string{dead}, &stderr); code != 1 || !strings.HasPrefix(stderr.String(), "swarmbridge healthcheck: ") {
		t.Fatalf("healthcheck with nothing listening exited %d (%s), want 1", code, stderr.String())
	}

	stderr.Reset()
	if code := healthcheck([]string{"SWARMBRIDGE_HTTP_ADDR=" + net.JoinHostPort("127.0.0.1", "x")}, &stderr); code != 2 {
		t.Fatalf("exit %d (%s), want 2", code, stderr.String())
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
