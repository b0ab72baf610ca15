package redistest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv names the environment variable that turns "no Redis" from a
// skip into a failure.
const RequireEnv = "SWARMBRIDGE_REQUIRE_REDIS"

// unavailable skips t, or fails it when RequireEnv is set to 1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("redis needed ("+RequireEnv+"=1): "+format, args...)
	}
	t.Skipf("skipping, no redis ("+RequireEnv+"=1 makes this a failure): "+format, args...)
}

// binary returns the path of a Redis program, or skips (or fails) t.
func binary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, "%s not found: %v", name, err)
	}
	return p
}
