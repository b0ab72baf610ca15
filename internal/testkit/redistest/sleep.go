package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DebugArgs are the StartServer arguments that let Sleep work: Redis 7
// refuses DEBUG unless enable-debug-command allows it (here, from
// loopback).
var DebugArgs = []string{"--enable-debug-command", "local"}

// Sleep makes the server run DEBUG SLEEP for d: like a Redis busy with a
// slow command (a big KEYS, a long script), it answers no one until d has
// passed, while its port stays open and takes connections. It returns
// once the server is seen asleep (a PING goes unanswered); wait blocks
// until DEBUG SLEEP has returned. The server needs DebugArgs.
func (s *Server) Sleep(d time.Duration) (wait func()) {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		s.t.Fatalf("dial redis-server: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(d + time.Minute))
	secs := strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	if _, err := c.Write([]byte("DEBUG SLEEP " + secs + "\r\n")); err != nil {
		c.Close()
		s.t.Fatalf("send DEBUG SLEEP: %v", err)
	}
	finished := make(chan struct{})
	var result error
	go func() {
		defer close(finished)
		reply, err := bufio.NewReader(c).ReadString('\n')
		if err == nil && !strings.HasPrefix(reply, "+OK") {
			err = fmt.Errorf("DEBUG SLEEP answered %q (start the server with redistest.DebugArgs)", strings.TrimSpace(reply))
		}
		result = err
	}()
	s.t.Cleanup(func() {
		c.Close()
		<-finished
	})
	wait = func() {
		s.t.Helper()
		<-finished
		if result != nil {
			s.t.Fatalf("DEBUG SLEEP: %v", result)
		}
	}
	for {
		select {
		case <-finished:
			wait()
			s.t.Fatalf("DEBUG SLEEP %s returned before the server was seen asleep", secs)
		default:
		}
		ctx, cancel := context.WithTimeout(s.t.Context(), 200*time.Millisecond)
		err := ping(ctx, s.Addr())
		cancel()
		if err != nil {
			return wait
		}
	}
}
