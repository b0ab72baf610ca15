//go:build !linux

package engine

import (
	"errors"
	"syscall"
)

// inlineWrites: elsewhere, writes go through net.Conn (writer.go).
const inlineWrites = false

var errNoInlineWrites = errors.New("signaling: no non-blocking writes on this platform")

func writeNonblock(syscall.RawConn, []byte) (int, error) { return 0, errNoInlineWrites }

func shutdownSocket(syscall.RawConn) {}
