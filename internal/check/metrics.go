package check

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// collector exports the latest run's results. It renders from a snapshot
// at scrape time, so a step or warning that went away leaves no stale
// series behind.
type collector struct {
	mu     sync.Mutex
	latest []TrackerResult
	runs   map[[2]string]float64 // {tracker, result} → runs
}

var (
	descUp = prometheus.NewDesc("swarmbridge_check_up",
		"1 when the step passed (or passed with a warning) in the last run, 0 when it failed or could not run; absent for steps that do not apply.",
		[]string{"tracker", "step"}, nil)
	descLatency = prometheus.NewDesc("swarmbridge_check_latency_seconds",
		"Time the step spent waiting for the tracker in the last run.", []string{"tracker", "step"}, nil)
	descTrackerUp = prometheus.NewDesc("swarmbridge_check_tracker_up",
		"1 when no step failed in the last run.", []string{"tracker"}, nil)
	descWarning = prometheus.NewDesc("swarmbridge_check_warning",
		"1 for each named quirk the last run saw, by step.", []string{"tracker", "step", "warning"}, nil)
	descLastRun = prometheus.NewDesc("swarmbridge_check_last_run_timestamp_seconds",
		"Unix time the last run of the tracker's checks started.", []string{"tracker"}, nil)
	descDuration = prometheus.NewDesc("swarmbridge_check_run_duration_seconds",
		"How long the last run of the tracker's checks took.", []string{"tracker"}, nil)
	descRuns = prometheus.NewDesc("swarmbridge_check_runs_total",
		"Runs of the tracker's checks, by result (pass or fail).", []string{"tracker", "result"}, nil)
)

func newCollector() *collector { return &collector{runs: map[[2]string]float64{}} }

func (c *collector) update(rs []TrackerResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latest = rs
	for _, r := range rs {
		result := "pass"
		if !r.OK {
			result = "fail"
		}
		c.runs[[2]string{r.URL, result}]++
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descLatency, descTrackerUp, descWarning, descLastRun, descDuration, descRuns} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, r := range c.latest {
		gauge(descTrackerUp, b2f(r.OK), r.URL)
		gauge(descLastRun, float64(r.Started.UnixMilli())/1000, r.URL)
		gauge(descDuration, r.Seconds, r.URL)
		failed := false
		for _, s := range r.Steps {
			failed = failed || s.Status == Fail
		}
		for _, s := range r.Steps {
			// A skip after a failure is down; a skip that is merely not
			// applicable (no BEP 48 scrape URL) is no series at all.
			if s.Status == Skip && !failed {
				continue
			}
			gauge(descUp, b2f(s.Status == Pass || s.Status == Warn), r.URL, s.Step)
			if s.Status != Skip {
				gauge(descLatency, s.Latency.Seconds(), r.URL, s.Step)
			}
			for _, w := range s.Warnings {
				gauge(descWarning, 1, r.URL, s.Step, w.Name)
			}
		}
	}
	for k, n := range c.runs {
		ch <- prometheus.MustNewConstMetric(descRuns, prometheus.CounterValue, n, k[0], k[1])
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
