package check

import "time"

// Status is the outcome of one step.
type Status string

const (
	// Pass: the tracker did what the BEPs say.
	Pass Status = "PASS"
	// Warn: it worked, with a known quirk (named in Warnings).
	Warn Status = "WARN"
	// Fail: it did not work, or answered wrongly.
	Fail Status = "FAIL"
	// Skip: not run, because the step does not apply or a step it needs
	// did not pass (Detail says which).
	Skip Status = "SKIP"
)

// Warning is a named quirk: Name is stable (for alerts), Text explains it.
type Warning struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// StepResult is one row of the report.
type StepResult struct {
	Step    string        `json:"step"`
	Status  Status        `json:"status"`
	Latency time.Duration `json:"-"`
	// LatencyMS is the time spent waiting for the tracker in this step.
	LatencyMS float64 `json:"latency_ms"`
	Detail    string  `json:"detail,omitempty"`
	// Failure is the tracker's own refusal text (HTTP "failure reason",
	// UDP error message), when it sent one.
	Failure  string    `json:"failure,omitempty"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// TrackerResult is the report for one tracker URL.
type TrackerResult struct {
	URL      string       `json:"url"`
	InfoHash string       `json:"info_hash"`
	Started  time.Time    `json:"started"`
	Seconds  float64      `json:"seconds"`
	OK       bool         `json:"ok"`
	Steps    []StepResult `json:"steps"`
}

// Report is one run over every tracker, as -json prints it.
type Report struct {
	OK       bool            `json:"ok"`
	Trackers []TrackerResult `json:"trackers"`
}

// ok says whether the tracker passed: no step failed and, when strict,
// none warned either.
func (r *TrackerResult) ok(strict bool) bool {
	for _, s := range r.Steps {
		if s.Status == Fail || strict && s.Status == Warn {
			return false
		}
	}
	return true
}
