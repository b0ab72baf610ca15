package memory

import (
	"fmt"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// validateAnnounce refuses what the store cannot key or expire (see
// swarm.ValidateAnnounce).
func validateAnnounce(req *swarm.AnnounceRequest) error {
	if err := swarm.ValidateAnnounce(req); err != nil {
		return fmt.Errorf("memory: announce for %v: %w", req.InfoHash, err)
	}
	return nil
}

// validatePeer checks that p can be keyed (see swarm.ValidatePeer).
func validatePeer(p *swarm.Peer) error {
	return swarm.ValidatePeer(p)
}
