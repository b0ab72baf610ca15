package redistest

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel kill the server if the test process dies
// before its cleanup runs (a panic, a go test timeout), so no redis-server
// outlives a failed run.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
