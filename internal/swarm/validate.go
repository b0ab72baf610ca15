package swarm

import "fmt"

// ValidateAnnounce refuses, with an error wrapping ErrInvalid, what no
// store can key or expire. Anything else odd (a negative Left other than
// LeftUnknown, a negative NumWant, unknown Families bits) is to be read
// leniently: the transports normalise requests, and refusing a peer over
// them would help nobody.
func ValidateAnnounce(req *AnnounceRequest) error {
	if req.TTL <= 0 {
		return fmt.Errorf("ttl %v is not positive: %w", req.TTL, ErrInvalid)
	}
	return ValidatePeer(&req.Peer)
}

// ValidatePeer checks that p can be keyed: a WebRTC peer needs an owner, a
// native peer a usable endpoint in the form transports promise (unmapped,
// without a zone, a real port).
func ValidatePeer(p *Peer) error {
	switch p.Kind {
	case WebRTC:
		if p.Owner == 0 {
			return fmt.Errorf("webrtc peer %v has no owner: %w", p.ID, ErrInvalid)
		}
		return nil
	case Native:
		a := p.Addr.Addr()
		switch {
		case !a.IsValid():
			return fmt.Errorf("native peer %v has no address: %w", p.ID, ErrInvalid)
		case a.Is4In6():
			return fmt.Errorf("native peer %v has IPv4-mapped address %v: %w", p.ID, a, ErrInvalid)
		case a.Zone() != "":
			return fmt.Errorf("native peer %v has zoned address %v: %w", p.ID, a, ErrInvalid)
		case p.Addr.Port() == 0:
			return fmt.Errorf("native peer %v has port 0: %w", p.ID, ErrInvalid)
		}
		return nil
	}
	return fmt.Errorf("peer %v has unknown kind %d: %w", p.ID, p.Kind, ErrInvalid)
}
