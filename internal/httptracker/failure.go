package httptracker

// Failure is an error the client is told about: it becomes the bencoded
// "failure reason" of the response, and RetryIn (BEP 31: a positive number
// of minutes as text, or "never") when it is set. A Store (or a wrapper
// around one) may return a *Failure, possibly wrapped, to have its reason
// passed to the client instead of a generic internal error.
type Failure struct {
	Reason  string
	RetryIn string
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
	failQueryTooLong      = &Failure{Reason: "query string too long"}
	failBadEscape         = &Failure{Reason: "invalid percent-encoding in query string"}
	failMissingInfoHash   = &Failure{Reason: "missing info_hash"}
	failInvalidInfoHash   = &Failure{Reason: "invalid info_hash"}
	failMissingPeerID     = &Failure{Reason: "missing peer_id"}
	failInvalidPeerID     = &Failure{Reason: "invalid peer_id"}
	failMissingPort       = &Failure{Reason: "missing port"}
	failInvalidPort       = &Failure{Reason: "invalid port"}
	failInvalidKey        = &Failure{Reason: "invalid key"}
	failNoClientAddr      = &Failure{Reason: "cannot determine client address"}
	failTooManyHashes     = &Failure{Reason: "too many info_hash values in scrape"}
	failFullScrape        = &Failure{Reason: "full scrape is not allowed"}
	failInternal          = &Failure{Reason: "internal tracker error", RetryIn: "1"}
	failFullScrapeAborted = &Failure{Reason: "full scrape failed", RetryIn: "5"}
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
