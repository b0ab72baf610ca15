// Package loopbackns keeps a test binary's network traffic on loopback by
// running it inside a fresh network namespace that has only "lo". Browser
// and WebRTC tests use it so that ICE candidates, mDNS and any stray
// connection can never leave the machine.
//
// It is for TestMain only and imports nothing from the project.
package loopbackns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
)

// insideVar marks the re-executed child so it does not re-execute again.
const insideVar = "SWARMBRIDGE_IN_LOOPBACK_NETNS"

// RequireVar, when "1", turns "cannot isolate" into a failure instead of a
// skip. The project's test script sets it, so CI never skips silently.
const RequireVar = "SWARMBRIDGE_REQUIRE_NETNS"

// Run runs the tests (run is usually m.Run) inside a namespace with only
// loopback and returns the exit code for os.Exit. When the process is
// already isolated it runs them directly. When it cannot isolate (not root,
// no unshare) it prints why and skips every test, unless RequireVar is set.
func Run(run func() int) int {
	if isolated() {
		return run()
	}
	if os.Getenv(insideVar) == "1" {
		fmt.Fprintln(os.Stderr, "loopbackns: re-executed but interfaces other than lo are still visible")
		return 1
	}
	if err := canIsolate(); err != nil {
		if os.Getenv(RequireVar) == "1" {
			fmt.Fprintf(os.Stderr, "loopbackns: cannot isolate the tests on loopback: %v\n", err)
			return 1
		}
		fmt.Printf("loopbackns: skipping these tests, they need a loopback-only network namespace: %v (run as root, or set %s=1 to make this an error)\n", err, RequireVar)
		return 0
	}
	cmd := exec.Command("unshare", append([]string{"-n", "--", "sh", "-c", `ip link set lo up && exec "$0" "$@"`, os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), insideVar+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loopbackns: %v\n", err)
		return 1
	}
	return 0
}

// isolated reports whether lo is the only interface and it is up.
func isolated() bool {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) != 1 {
		return false
	}
	return ifs[0].Flags&net.FlagLoopback != 0 && ifs[0].Flags&net.FlagUp != 0
}

func canIsolate() error {
	if os.Geteuid() != 0 {
		return errors.New("not running as root")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: %w", tool, err)
		}
	}
	return nil
}
