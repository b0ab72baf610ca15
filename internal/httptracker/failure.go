package httptracker

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Failure is an error the client is told about: it becomes the bencoded
// "failure reason" of the response, and RetryIn (BEP 31: a positive number
// of minutes as text, or "never") when it is set. A Store (or a wrapper
// around one) may return a *Failure, possibly wrapped, to have its reason
// passed to the client instead of a generic internal error.
type Failure struct {
	Reason  string
	RetryIn string
	// Code is the kind of failure, for metrics; a Failure a Store returns
	// without one counts as bittorrent.FailureOther.
	Code bittorrent.FailureCode
}

// Error returns the reason, so a Failure can travel as an error.
func (f *Failure) Error() string {
	if f.RetryIn != "" {
		return "tracker failure: " + f.Reason + " (retry in " + f.RetryIn + ")"
	}
	return "tracker failure: " + f.Reason
}

// Failures are package-level values so the rejection path does not allocate
// either.
var (
	failQueryTooLong      = &Failure{Reason: "query string too long", Code: bittorrent.FailureMalformed}
	failBadEscape         = &Failure{Reason: "invalid percent-encoding in query string", Code: bittorrent.FailureMalformed}
	failMissingInfoHash   = &Failure{Reason: "missing info_hash", Code: bittorrent.FailureInvalidInfoHash}
	failInvalidInfoHash   = &Failure{Reason: "invalid info_hash", Code: bittorrent.FailureInvalidInfoHash}
	failMissingPeerID     = &Failure{Reason: "missing peer_id", Code: bittorrent.FailureInvalidPeerID}
	failInvalidPeerID     = &Failure{Reason: "invalid peer_id", Code: bittorrent.FailureInvalidPeerID}
	failMissingPort       = &Failure{Reason: "missing port", Code: bittorrent.FailureInvalidPort}
	failInvalidPort       = &Failure{Reason: "invalid port", Code: bittorrent.FailureInvalidPort}
	failInvalidKey        = &Failure{Reason: "invalid key", Code: bittorrent.FailureInvalidParam}
	failNoClientAddr      = &Failure{Reason: "cannot determine client address", Code: bittorrent.FailureNoClientAddr}
	failTooManyHashes     = &Failure{Reason: "too many info_hash values in scrape", Code: bittorrent.FailureTooManyHashes}
	failFullScrape        = &Failure{Reason: "full scrape is not allowed", Code: bittorrent.FailureFullScrapeRefused}
	failInternal          = &Failure{Reason: "internal tracker error", RetryIn: "1", Code: bittorrent.FailureUnavailable}
	failFullScrapeAborted = &Failure{Reason: "full scrape failed", RetryIn: "5", Code: bittorrent.FailureUnavailable}
	// failRateLimited asks the client to back off with BEP 31 "retry in"
	// (minutes).
	failRateLimited = &Failure{Reason: bittorrent.ReasonRateLimited, RetryIn: "1", Code: bittorrent.FailureRateLimited}
)

// appendFailure writes the bencoded failure response. Keys are in byte
// order: "failure reason" < "retry in".
func appendFailure(b []byte, f *Failure) []byte {
	b = appendDictStart(b)
	b = appendKeyString(b, "failure reason", f.Reason)
	if f.RetryIn != "" {
		b = appendKeyString(b, "retry in", f.RetryIn)
	}
	return appendEnd(b)
}

// denied is the failure for what Config.Policy refused: its error's text,
// for the client.
func denied(err error) *Failure {
	return &Failure{Reason: err.Error(), Code: bittorrent.FailureDenied}
}
