//go:build !(linux && (amd64 || arm64))

package udptracker

import (
	"context"
	"net"
)

// batching is false where recvmmsg/sendmmsg are not wired up.
const batching = false

func (w *worker) runBatched(ctx context.Context, conn *net.UDPConn) error {
	return w.runSingle(ctx, conn)
}
