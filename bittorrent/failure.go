package bittorrent

// FailureCode says what kind of failure a tracker answered a request with.
// The text a client reads ("failure reason") is separate and may say more;
// the code is bounded, so it can be a metric label, and it names the same
// kind of failure the same way on every transport.
type FailureCode uint8

const (
	// FailureOther is a failure of no kind listed here, such as a reason
	// a swarm store chose to send.
	FailureOther FailureCode = iota
	// FailureMalformed: not a request at all: broken JSON, a query that
	// cannot be decoded, a truncated packet.
	FailureMalformed
	// FailureUnknownAction: an action this tracker does not serve.
	FailureUnknownAction
	// FailureInvalidInfoHash: info_hash missing or not 20 bytes.
	FailureInvalidInfoHash
	// FailureInvalidPeerID: peer_id missing or not 20 bytes.
	FailureInvalidPeerID
	// FailureInvalidPort: port missing, malformed or 0.
	FailureInvalidPort
	// FailureInvalidAnswer: a WebSocket answer without a valid to_peer_id,
	// offer_id or SDP.
	FailureInvalidAnswer
	// FailureInvalidParam: another parameter that cannot be used (the
	// HTTP key).
	FailureInvalidParam
	// FailureNoClientAddr: the client's address could not be told.
	FailureNoClientAddr
	// FailureTooManyHashes: a scrape of more info hashes than allowed.
	FailureTooManyHashes
	// FailureTooManyTorrents: more torrents on one WebSocket than allowed.
	FailureTooManyTorrents
	// FailureNoOffer: an answer to an offer this tracker did not relay, or
	// no longer remembers.
	FailureNoOffer
	// FailureFullScrapeRefused: a full scrape where they are not allowed.
	FailureFullScrapeRefused
	// FailureFullScrapeTooLarge: a full scrape too large for the
	// transport.
	FailureFullScrapeTooLarge
	// FailureRateLimited: over a rate limit.
	FailureRateLimited
	// FailureDenied: refused by access control (keys, info hash lists).
	FailureDenied
	// FailureUnavailable: the swarm store failed; try again later.
	FailureUnavailable

	numFailureCodes
)

var failureNames = [numFailureCodes]string{
	FailureOther:              "other",
	FailureMalformed:          "malformed",
	FailureUnknownAction:      "unknown_action",
	FailureInvalidInfoHash:    "invalid_info_hash",
	FailureInvalidPeerID:      "invalid_peer_id",
	FailureInvalidPort:        "invalid_port",
	FailureInvalidAnswer:      "invalid_answer",
	FailureInvalidParam:       "invalid_param",
	FailureNoClientAddr:       "no_client_addr",
	FailureTooManyHashes:      "too_many_hashes",
	FailureTooManyTorrents:    "too_many_torrents",
	FailureNoOffer:            "no_offer",
	FailureFullScrapeRefused:  "full_scrape_refused",
	FailureFullScrapeTooLarge: "full_scrape_too_large",
	FailureRateLimited:        "rate_limited",
	FailureDenied:             "denied",
	FailureUnavailable:        "unavailable",
}

// String returns the code's metric label, e.g. "rate_limited"; codes
// outside the list are "other".
func (c FailureCode) String() string {
	if c < numFailureCodes {
		return failureNames[c]
	}
	return failureNames[FailureOther]
}

// FailureCodes lists every code, for pre-registering metric labels.
func FailureCodes() []FailureCode {
	cs := make([]FailureCode, numFailureCodes)
	for i := range cs {
		cs[i] = FailureCode(i)
	}
	return cs
}
