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

// rawReader stands in for the pollers' reader, which only Linux has: TLS
// connections are never polled here, so it is never used.
type rawReader struct{}

func newRawReader(int) *rawReader { return &rawReader{} }

var errRawEmpty = errors.New("signaling: socket empty")

func (*rawReader) readInto(syscall.RawConn, []byte) (int, error) { return 0, errNoInlineWrites }

func shutdownSocket(syscall.RawConn) {}
