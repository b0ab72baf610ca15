package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SharedAddr is the Redis every developer machine and CI run has.
const SharedAddr = "127.0.0.1:6379"

// Shared returns the URL of the shared Redis on SharedAddr, or skips (or
// fails) t if it does not answer PING.
func Shared(t testing.TB) string {
	t.Helper()
	if err := ping(t.Context(), SharedAddr); err != nil {
		unavailable(t, "%s: %v", SharedAddr, err)
	}
	return "redis://" + SharedAddr
}

// Server is a redis-server process of the test's own.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	Port int
	args []string
	cmd  *exec.Cmd
}

// StartServer starts a redis-server on a free loopback port, keeping
// nothing on disk, and stops it when t ends. Extra arguments are passed
// to redis-server.
func StartServer(t testing.TB, extra ...string) *Server {
	t.Helper()
	s := &Server{t: t, bin: binary(t, "redis-server"), dir: t.TempDir(), Port: freePort(t), args: extra}
	t.Cleanup(s.Stop)
	s.Start()
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Start (re)starts the process on the same port and waits until it
// answers. It is a no-op if the process runs.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	args := append([]string{
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}, s.args...)
	// In the test's process group, so that a Ctrl-C that kills the test
	// before its cleanup runs stops the server too.
	cmd := exec.Command(s.bin, args...)
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd = cmd
	ctx, cancel := context.WithTimeout(s.t.Context(), 10*time.Second)
	defer cancel()
	for {
		err := ping(ctx, s.Addr())
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			s.t.Fatalf("redis-server on %s did not answer: %v; log:\n%s", s.Addr(), err, s.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the process (as a crash would: no clean shutdown) and waits
// for it to exit. It is a no-op if the process is not running.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ping sends one PING in the inline protocol and checks for +PONG, without
// a Redis client, so this package depends on none.
func ping(ctx context.Context, addr string) error {
	reply, err := command(ctx, addr, "PING")
	if err != nil {
		return err
	}
	if reply != "+PONG" {
		return fmt.Errorf("PING answered %q", reply)
	}
	return nil
}

// command sends one inline command and returns its reply: a simple
// string as "+..." or a bulk string's contents. Errors come back as errors.
func command(ctx context.Context, addr, cmd string) (string, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "-"):
		return "", errors.New(line[1:])
	case strings.HasPrefix(line, "$"):
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("bad bulk reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return line, nil
}
