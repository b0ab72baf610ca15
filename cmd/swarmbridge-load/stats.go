package main

import (
	"bytes"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The counters of a run. Every goroutine adds to the shard of its
// connection, so counters are never contended across cores; report sums
// the shards.
const (
	cAnnounceSent = iota // announces written (WS with offers, HTTP, UDP)
	cScrapeSent          // scrapes written
	cOffersSent          // offers inside announces (WS)
	cAnswersSent         // answer messages written (WS)
	cConnectSent         // UDP connect requests written
	cAnnounceResp        // announce responses received
	cScrapeResp          // scrape responses received
	cOfferRecv           // relayed offers received (WS)
	cAnswerRecv          // relayed answers received (WS)
	cConnectResp         // UDP connect responses received
	cReconnects          // HTTP connections reopened because the server closed the previous one
	cMissed              // fixed rate: sends skipped because every connection was busy
	cLate                // fixed rate: sends made more than 10 ms after they were due
	cOfferCross          // relayed offers received on another target than their sender's (WS)
	cAnswerCross         // relayed answers received on another target than their sender's (WS)
	cRelayUnknown        // relayed offers and answers whose sender the generator cannot tell (WS)
	cErrConnect          // could not connect / handshake
	cErrFailure          // failure reply (WS failure reason, HTTP failure reason, UDP error)
	cErrTimeout          // no response within -timeout
	cErrClose            // connection closed by the server (or reset) while in use
	cErrProtocol         // a reply the generator could not make sense of
	nCounters
)

var counterNames = [nCounters]string{
	"announces_sent", "scrapes_sent", "offers_sent", "answers_sent", "connects_sent",
	"announce_responses", "scrape_responses", "offers_received", "answers_received", "connect_responses",
	"reconnects", "missed", "late",
	"offers_cross_target", "answers_cross_target", "relayed_unattributed",
	"connect", "failure", "timeout", "close", "protocol",
}

const nShards = 16

type shard struct {
	c [nCounters]atomic.Int64
	h histogram
	// offer latency, send to arrival at the peer it was relayed to: [0]
	// when sender and receiver use the same target, [1] when not
	offer [2]histogram
	_     [64]byte
}

// Stats collects a run's figures. Recording is off outside the measured
// window (warm-up, connection set-up, shutdown), except for errors while
// connecting, which are always counted.
type Stats struct {
	shards    [nShards]shard
	recording atomic.Bool
	maxLat    atomic.Int64 // nanoseconds

	mu       sync.Mutex
	failures map[string]int64 // failure reasons, for the report

	handshakes handshakeStats
}

// handshakeStats times the connections' opening handshakes. They are
// recorded whether or not the window is open: they all come before it.
type handshakeStats struct {
	h       histogram
	n       atomic.Int64
	resumed atomic.Int64 // wss:// handshakes that resumed a TLS session
	max     atomic.Int64 // nanoseconds
}

// add records one successful handshake that took d.
func (s *handshakeStats) add(d time.Duration, resumed bool) {
	s.n.Add(1)
	if resumed {
		s.resumed.Add(1)
	}
	s.h.add(int64(d))
	for {
		m := s.max.Load()
		if int64(d) <= m || s.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
}

// quantiles returns the handshake times at the given quantiles and the
// number of handshakes.
func (s *handshakeStats) quantiles(qs ...float64) ([]time.Duration, int64) {
	return quantilesOf([]*histogram{&s.h}, qs)
}

func newStats() *Stats { return &Stats{failures: make(map[string]int64)} }

func (s *Stats) add(conn int, counter int, n int64) {
	if !s.recording.Load() && counter != cErrConnect {
		return
	}
	s.shards[conn%nShards].c[counter].Add(n)
}

// latency records one request→response time.
func (s *Stats) latency(conn int, d time.Duration) {
	if !s.recording.Load() {
		return
	}
	ns := int64(d)
	if ns < 0 {
		ns = 0
	}
	s.shards[conn%nShards].h.add(ns)
	for {
		m := s.maxLat.Load()
		if ns <= m || s.maxLat.CompareAndSwap(m, ns) {
			break
		}
	}
}

// offerLatency records how long one relayed offer took from its sender's
// announce to the receiving peer, cross telling whether the two use
// different targets.
func (s *Stats) offerLatency(conn int, cross bool, d time.Duration) {
	if !s.recording.Load() {
		return
	}
	k := 0
	if cross {
		k = 1
	}
	s.shards[conn%nShards].offer[k].add(max(int64(d), 0))
}

// offerQuantiles returns the offer latencies at the given quantiles over
// the same-target (false) and/or cross-target (true) offers named by
// which, and their number.
func (s *Stats) offerQuantiles(which []bool, qs ...float64) ([]time.Duration, int64) {
	var hs []*histogram
	for _, cross := range which {
		k := 0
		if cross {
			k = 1
		}
		for i := range s.shards {
			hs = append(hs, &s.shards[i].offer[k])
		}
	}
	return quantilesOf(hs, qs)
}

// failure counts a failure reply and remembers its reason.
func (s *Stats) failure(conn int, reason []byte) {
	if !s.recording.Load() {
		return
	}
	s.add(conn, cErrFailure, 1)
	if len(reason) > 120 {
		reason = reason[:120]
	}
	s.mu.Lock()
	if len(s.failures) < 50 {
		s.failures[string(reason)]++
	} else if _, ok := s.failures[string(reason)]; ok {
		s.failures[string(reason)]++
	} else {
		s.failures["(other reasons)"]++
	}
	s.mu.Unlock()
}

func (s *Stats) total(counter int) int64 {
	var n int64
	for i := range s.shards {
		n += s.shards[i].c[counter].Load()
	}
	return n
}

// histogram is a log-linear latency histogram of nanosecond values: 32
// sub-buckets per power of two, so quantiles are within about 3 %.
type histogram struct {
	b [64 * 32]atomic.Int64
}

func histBucket(ns int64) int {
	v := uint64(ns)
	if v < 32 {
		return int(v)
	}
	e := bits.Len64(v) - 6 // v >> e is in [32, 64)
	return (e+1)*32 + int(v>>uint(e)) - 32
}

// histValue returns a representative value (the middle) of a bucket.
func histValue(b int) int64 {
	if b < 32 {
		return int64(b)
	}
	e := b/32 - 1
	m := int64(b%32 + 32)
	return m<<uint(e) + (int64(1)<<uint(e))/2
}

func (h *histogram) add(ns int64) { h.b[histBucket(ns)].Add(1) }

// quantiles returns the values at the given quantiles (0..1) over all
// shards, and the number of samples.
func (s *Stats) quantiles(qs ...float64) ([]time.Duration, int64) {
	hs := make([]*histogram, len(s.shards))
	for i := range s.shards {
		hs[i] = &s.shards[i].h
	}
	return quantilesOf(hs, qs)
}

// quantilesOf returns the values at the given quantiles over the sum of
// hs, and the number of samples.
func quantilesOf(hs []*histogram, qs []float64) ([]time.Duration, int64) {
	var sum [len(histogram{}.b)]int64
	var n int64
	for _, h := range hs {
		for j := range sum {
			v := h.b[j].Load()
			sum[j] += v
			n += v
		}
	}
	out := make([]time.Duration, len(qs))
	if n == 0 {
		return out, 0
	}
	for k, q := range qs {
		target := int64(q*float64(n) + 0.5)
		if target < 1 {
			target = 1
		}
		var acc int64
		for j, v := range sum {
			acc += v
			if acc >= target {
				out[k] = time.Duration(histValue(j))
				break
			}
		}
	}
	return out, n
}

// clkTck is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go runs on.
const clkTck = 100

// procCPU returns utime+stime of a process (all its threads) from
// /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces; fields are counted
	// after its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// procRSS returns VmRSS of a process in KiB, from /proc/<pid>/status.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// pidsCPU sums procCPU over pids; ok is false if any could not be read.
func pidsCPU(pids []int) (time.Duration, bool) {
	var sum time.Duration
	for _, p := range pids {
		d, err := procCPU(p)
		if err != nil {
			return 0, false
		}
		sum += d
	}
	return sum, true
}
