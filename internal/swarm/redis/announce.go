package redis

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Announce implements swarm.Store: one script call, so one round trip,
// whatever the request.
func (st *Store) Announce(ctx context.Context, req *swarm.AnnounceRequest, res *swarm.AnnounceResult) error {
	if err := swarm.ValidateAnnounce(req); err != nil {
		return fmt.Errorf("redis store: announce for %v: %w", req.InfoHash, err)
	}
	res.Counts = bittorrent.Counts{}
	res.Rebound = 0
	res.CountedDownload = false
	now := st.nowMS()
	exp := min(now+max(req.TTL.Milliseconds(), 1), maxMS)
	list, key, data := entryOf(&req.Peer)
	args := []string{
		"a", fmtInt(now), st.graceMS, strconv.Itoa(sweepPerCall),
		strconv.FormatUint(uint64(rand.Uint32()>>1), 10),
		strconv.Itoa(int(req.Event)),
		leftArg(req.Left),
		list, key, data,
		strconv.Itoa(int(swarm.ClientOf(req.Peer.ID))),
		strconv.Itoa(max(req.NumWant, 0)),
		familiesArg(req.Families),
		fmtInt(exp),
		"",
	}
	if req.Peer.Kind == swarm.WebRTC && req.NumWant > 0 {
		args[14] = st.liveNodes()
	}
	ctx, cancel := st.opContext(ctx)
	defer cancel()
	reply, err := st.exec(ctx, st.swarmKeys(req.InfoHash), args).ToArray()
	if err != nil {
		return fmt.Errorf("redis store: announce for %v: %w", req.InfoHash, err)
	}
	if len(reply) != 6 {
		return fmt.Errorf("redis store: announce for %v: %w: %d values", req.InfoHash, errReply, len(reply))
	}
	if res.Counts, err = countsOf(reply[:3]); err != nil {
		return fmt.Errorf("redis store: announce for %v: %w", req.InfoHash, err)
	}
	rebound, err1 := reply[3].ToString()
	picks, err2 := reply[4].ToString()
	if err1 != nil || err2 != nil || (len(rebound) != 0 && len(rebound) != 8) {
		return fmt.Errorf("redis store: announce for %v: %w: rebound or picks", req.InfoHash, errReply)
	}
	counted, err := reply[5].AsInt64()
	if err != nil {
		return fmt.Errorf("redis store: announce for %v: %w: counted flag", req.InfoHash, errReply)
	}
	res.CountedDownload = counted == 1
	if len(rebound) == 8 {
		res.Rebound = swarm.Owner(binary.BigEndian.Uint64([]byte(rebound)))
	}
	var ok bool
	if res.Peers, ok = appendPicks(res.Peers, picks); !ok {
		return fmt.Errorf("redis store: announce for %v: %w: malformed picks", req.InfoHash, errReply)
	}
	return nil
}

// Leave implements swarm.Store.
func (st *Store) Leave(ctx context.Context, ih bittorrent.InfoHash, peer swarm.Peer) (bool, error) {
	if err := swarm.ValidatePeer(&peer); err != nil {
		return false, fmt.Errorf("redis store: leave from %v: %w", ih, err)
	}
	list, key, data := entryOf(&peer)
	args := []string{
		"l", fmtInt(st.nowMS()), st.graceMS, strconv.Itoa(sweepPerCall),
		"", "", "", list, key, data,
	}
	ctx, cancel := st.opContext(ctx)
	defer cancel()
	n, err := st.exec(ctx, st.swarmKeys(ih), args).AsInt64()
	if err != nil {
		return false, fmt.Errorf("redis store: leave from %v: %w", ih, err)
	}
	return n == 1, nil
}
