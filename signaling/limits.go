package signaling

import (
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// allowRequest applies the rate limits to an announce or scrape: the
// connection's own token bucket, then the shared per-address one. A
// connection refused more than AnnouncesPerConn times within one announce
// interval is closed: it ignores the failures.
func (s *session) allowRequest() bool {
	if n := s.h.cfg.AnnouncesPerConn; n > 0 {
		now := s.h.cfg.Now()
		if !s.takeToken(now.UnixNano(), n) {
			s.h.obs.Limited(LimitConnAnnounces)
			if now.Sub(s.limitedSince) > s.h.cfg.AnnounceInterval {
				s.limitedSince = now
				s.limited = 0
			}
			s.limited++
			if s.limited > n {
				s.closeWith(CloseRateLimited)
			}
			return false
		}
	}
	if p := s.h.cfg.Policy; p != nil && !p.Allow(bittorrent.TransportWS, s.addr) {
		s.h.obs.Limited(LimitIPAnnounces)
		return false
	}
	return true
}

// takeToken is a token bucket of n tokens refilled over AnnounceInterval,
// kept as the time its bucket is full again (GCRA).
func (s *session) takeToken(now int64, n int) bool {
	per := int64(s.h.cfg.AnnounceInterval) / int64(n)
	tat := max(s.bucket, now)
	if tat-now > per*int64(n-1) {
		return false
	}
	s.bucket = tat + per
	return true
}

// authorize asks Config.Policy about an action on ih.
func (s *session) authorize(action bittorrent.Action, ih bittorrent.InfoHash) error {
	if p := s.h.cfg.Policy; p != nil {
		return p.Authorize(bittorrent.TransportWS, action, ih, s.path)
	}
	return nil
}

// noteInvalid counts an invalid message and closes the connection when
// there have been too many within a minute.
func (s *session) noteInvalid() {
	now := s.h.cfg.Now()
	if now.Sub(s.invalidSince) > time.Minute {
		s.invalidSince = now
		s.invalid = 0
	}
	s.invalid++
	if s.invalid > s.h.cfg.MaxInvalidPerMinute {
		s.closeWith(CloseAbuse)
	}
}
