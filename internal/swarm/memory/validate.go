package memory

import (
	"fmt"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// validateAnnounce refuses what the store cannot key or expire. Anything
// else odd (a negative Left other than LeftUnknown, a negative NumWant,
// unknown Families bits) is read leniently: the transports normalise
// requests, and refusing a peer over them would help nobody.
func validateAnnounce(req *swarm.AnnounceRequest) error {
	if req.TTL <= 0 {
		return fmt.Errorf("memory: announce for %v: ttl %v is not positive: %w", req.InfoHash, req.TTL, swarm.ErrInvalid)
	}
	if err := validatePeer(&req.Peer); err != nil {
		return fmt.Errorf("memory: announce for %v: %w", req.InfoHash, err)
	}
	return nil
}

// validatePeer checks that p can be keyed: a WebRTC peer needs an owner, a
// native peer a usable endpoint in the form transports promise (unmapped,
// without a zone, a real port).
func validatePeer(p *swarm.Peer) error {
	switch p.Kind {
	case swarm.WebRTC:
		if p.Owner == 0 {
			return fmt.Errorf("webrtc peer %v has no owner: %w", p.ID, swarm.ErrInvalid)
		}
		return nil
	case swarm.Native:
		a := p.Addr.Addr()
		switch {
		case !a.IsValid():
			return fmt.Errorf("native peer %v has no address: %w", p.ID, swarm.ErrInvalid)
		case a.Is4In6():
			return fmt.Errorf("native peer %v has IPv4-mapped address %v: %w", p.ID, a, swarm.ErrInvalid)
		case a.Zone() != "":
			return fmt.Errorf("native peer %v has zoned address %v: %w", p.ID, a, swarm.ErrInvalid)
		case p.Addr.Port() == 0:
			return fmt.Errorf("native peer %v has port 0: %w", p.ID, swarm.ErrInvalid)
		}
		return nil
	}
	return fmt.Errorf("peer %v has unknown kind %d: %w", p.ID, p.Kind, swarm.ErrInvalid)
}
