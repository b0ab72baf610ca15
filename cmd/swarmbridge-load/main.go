// Command swarmbridge-load is a load generator for BitTorrent trackers over
// WebSocket (WebTorrent signaling), HTTP and UDP, in the spirit of aquatic's
// load testers. It measures responses per second, relayed offers and
// answers per second, request latency, errors by kind, and the CPU time
// spent by itself and (with -pid) by the tracker, so that a run can tell
// the CPU cost of each delivered message.
//
// See docs/benchmarks.md and bench/*.sh for the benchmarks built on it.
//
// It does not use the trackerclient library on purpose: its own CPU per
// message is part of what it measures, so its requests are pre-encoded,
// pipelined (-inflight), classified without a full decode and built in
// reused buffers, while trackerclient allocates and strictly decodes every
// reply and waits for one reply per request. Its tests check its messages
// with the tracker's own codec instead, and run it against the tracker
// in-process.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	transport    string
	target       string
	targets      []string // target split at commas
	duration     time.Duration
	warmup       time.Duration
	timeout      time.Duration
	dialTimeout  time.Duration
	conns        int
	sourceIPs    []string
	infohashes   int
	seed         uint64
	offers       int
	sdpSize      int
	answerRatio  float64
	scrapeRatio  float64
	scrapeHashes int
	rate         float64
	inflight     int
	idle         bool
	numwant      int
	pids         []int
	dialConc     int
	tags         map[string]string
	jsonOut      bool
	cpuProfile   string
	insecure     bool
	caFile       string
	tlsResume    bool
	probe        string // -window-probe
}

// loadRun is one transport's driver.
type loadRun interface {
	connect()
	startClosed()
	startFixed()
	tryKick(i int) bool
	n() int
	stop()
}

const usageHead = `swarmbridge-load: load generator for WebTorrent (WebSocket), HTTP and UDP trackers

Usage:
  swarmbridge-load -transport ws   -target ws://127.0.0.1:8000 [flags]
  swarmbridge-load -transport ws   -target wss://127.0.0.1:8443 -insecure|-ca-file cert.pem [flags]
  swarmbridge-load -transport http -target http://127.0.0.1:8000/announce [flags]
  swarmbridge-load -transport udp  -target 127.0.0.1:6969 [flags]
  swarmbridge-load -transport ws   -target ws://127.0.0.1:8000,ws://127.0.0.1:8001 [flags]   (several nodes)
  swarmbridge-load -print-infohashes [-infohashes N] [-seed S]   (hex, one a line: an opentracker whitelist)

Modes:
  closed loop (-rate 0): every connection keeps -inflight requests in flight,
      sending the next one as soon as a response arrives (as fast as possible).
  fixed rate (-rate N): N announces+scrapes per second in total, open loop,
      spread round-robin over connections with at most one outstanding request
      per connection; sends that find every connection busy count as "missed".
  idle (-idle, WebSocket): open -conns connections, announce once each, then
      hold them idle until -duration ends (for memory measurements).

WebSocket peers behave like WebTorrent pages with one torrent each (connection i
joins info hash i mod -infohashes): announce event "started" first, then regular
announces, each with -offers fresh offers carrying a ~-sdp-size byte non-trickle
SDP; they answer the share -answer-ratio of the offers relayed to them. 20 % of
the peers are seeders, 10 % magnet links (left null). HTTP and UDP clients pick
a random torrent of the pool per request (event started the first time).

Counted: responses (announce + scrape responses), relayed offers and answers
received, latency from request to response, errors by kind (connect, failure
replies, timeout, close, protocol); errors never count as responses. Figures
cover only the measured window of -duration after -warmup. WebSocket
handshakes (TCP, TLS for wss://, the upgrade) are counted and timed apart,
with the CPU time both sides spent while connecting; they happen before
the window.

Several targets (a comma-separated -target, say the nodes of one cluster):
connection i uses target (i mod -infohashes + i / -infohashes) mod N for its
whole life, so every torrent's peers are spread evenly over the targets. WebSocket runs
then report the share of relayed offers and answers whose sender and
receiver use different targets, and the offer latency (from the sender's
announce to the offer's arrival, read from the offer id the generator
wrote) apart for same-target and cross-target offers.

Flags:
`

func main() {
	cfg, printHashes, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "swarmbridge-load:", err)
		os.Exit(2)
	}
	if printHashes {
		printInfoHashes(os.Stdout, infoHashPool(cfg.infohashes, cfg.seed))
		return
	}
	debug.SetGCPercent(400)
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "swarmbridge-load:", err)
			os.Exit(2)
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	res, err := run(cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "swarmbridge-load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	if cfg.jsonOut {
		printHuman(os.Stderr, res)
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
	} else {
		printHuman(os.Stdout, res)
	}
}

func parseFlags(args []string, out io.Writer) (*config, bool, error) {
	fs := flag.NewFlagSet("swarmbridge-load", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usageHead)
		fs.PrintDefaults()
	}
	cfg := &config{}
	var src, pids, tags string
	var err error
	var seed uint64
	var printHashes bool
	fs.StringVar(&cfg.transport, "transport", "ws", "`ws`, http or udp")
	fs.StringVar(&cfg.target, "target", "", "tracker address: ws://host:port[/path] or wss://…, http://host:port/announce, or host:port for udp; a comma-separated list spreads the connections over several (tracker nodes)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of the measured window (idle: how long connections are held)")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "load before the measured window, not counted")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "a request without a response after this long counts as a timeout")
	fs.DurationVar(&cfg.dialTimeout, "dial-timeout", 10*time.Second, "TCP connect and WebSocket handshake timeout")
	fs.IntVar(&cfg.conns, "conns", 100, "WebSocket connections / HTTP keep-alive clients / UDP sockets")
	fs.StringVar(&src, "source-ips", "", "comma-separated local addresses to bind client sockets to, round-robin (e.g. 127.0.0.1,127.0.0.2): one source address has only ~28k ports")
	fs.IntVar(&cfg.infohashes, "infohashes", 20, "size of the info hash pool")
	fs.Uint64Var(&seed, "seed", 1, "seed of the info hash pool (same seed, same hashes; see -print-infohashes)")
	fs.IntVar(&cfg.offers, "offers", 10, "WebSocket: offers per announce")
	fs.IntVar(&cfg.sdpSize, "sdp-size", 1500, "WebSocket: bytes of SDP per offer and answer")
	fs.Float64Var(&cfg.answerRatio, "answer-ratio", 0.5, "WebSocket: share of received offers answered (0-1)")
	fs.Float64Var(&cfg.scrapeRatio, "scrape-ratio", 0, "share of requests that are scrapes (0-1)")
	fs.IntVar(&cfg.scrapeHashes, "scrape-hashes", 1, "info hashes per scrape (WebSocket at most 8, UDP at most 74)")
	fs.Float64Var(&cfg.rate, "rate", 0, "fixed total requests (announces+scrapes) per second, open loop; 0 = closed loop")
	fs.IntVar(&cfg.inflight, "inflight", 1, "closed loop: requests in flight per connection (WebSocket and UDP; HTTP is always 1)")
	fs.BoolVar(&cfg.idle, "idle", false, "WebSocket: announce once per connection, then hold the connections idle for -duration")
	fs.IntVar(&cfg.numwant, "numwant", 50, "HTTP and UDP: numwant / num_want of announces")
	fs.StringVar(&pids, "pid", "", "comma-separated pids of the tracker's processes: their CPU time (/proc/<pid>/stat) over the measured window is reported")
	fs.IntVar(&cfg.dialConc, "dial-concurrency", 256, "connections opened at once while connecting")
	fs.StringVar(&tags, "tag", "", "comma-separated key=value pairs copied into the JSON result (e.g. server=swarmbridge,workload=ws-fixed)")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print one JSON result line on stdout (the human summary goes to stderr)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the generator to this `file`")
	fs.BoolVar(&printHashes, "print-infohashes", false, "print the info hash pool in hex, one a line, and exit")
	fs.BoolVar(&cfg.insecure, "insecure", false, "wss://: accept any server certificate (a test certificate)")
	fs.StringVar(&cfg.caFile, "ca-file", "", "wss://: trust the PEM certificates in this `file` instead of the system's")
	fs.BoolVar(&cfg.tlsResume, "tls-resume", false, "wss://: share one TLS session cache, so connections after the first resume a session")
	fs.StringVar(&cfg.probe, "window-probe", "", "a `command` (sh -c) printing name=number lines, run at the start and the end of the measured window; the differences are reported (window_deltas), e.g. a Redis's CPU time and command counts")
	if err = fs.Parse(args); err != nil {
		return nil, false, err
	}
	if fs.NArg() > 0 {
		return nil, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.seed = seed
	cfg.sourceIPs = parseSourceIPs(src)
	for p := range strings.SplitSeq(pids, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, false, fmt.Errorf("-pid: bad pid %q", p)
		}
		cfg.pids = append(cfg.pids, n)
	}
	cfg.tags = map[string]string{}
	for t := range strings.SplitSeq(tags, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return nil, false, fmt.Errorf("-tag: want key=value, got %q", t)
		}
		cfg.tags[k] = v
	}
	switch {
	case cfg.infohashes < 1 || cfg.infohashes > 1<<24:
		return nil, false, errors.New("-infohashes: 1 to 16777216")
	case printHashes:
		return cfg, true, nil
	case cfg.transport != "ws" && cfg.transport != "http" && cfg.transport != "udp":
		return nil, false, fmt.Errorf("-transport %q: want ws, http or udp", cfg.transport)
	case cfg.target == "":
		return nil, false, errors.New("-target is required")
	case cfg.conns < 1:
		return nil, false, errors.New("-conns: at least 1")
	case cfg.duration <= 0 || cfg.warmup < 0 || cfg.timeout <= 0 || cfg.dialTimeout <= 0:
		return nil, false, errors.New("-duration and -timeout must be positive, -warmup not negative")
	case cfg.offers < 0 || cfg.offers > 100:
		return nil, false, errors.New("-offers: 0 to 100")
	case cfg.sdpSize < 200 || cfg.sdpSize > 60000:
		return nil, false, errors.New("-sdp-size: 200 to 60000")
	case cfg.answerRatio < 0 || cfg.answerRatio > 1 || cfg.scrapeRatio < 0 || cfg.scrapeRatio > 1:
		return nil, false, errors.New("-answer-ratio and -scrape-ratio: 0 to 1")
	case cfg.scrapeHashes < 1 || cfg.scrapeHashes > 74:
		return nil, false, errors.New("-scrape-hashes: 1 to 74")
	case cfg.rate < 0:
		return nil, false, errors.New("-rate: not negative")
	case cfg.inflight < 1 || cfg.inflight > 256:
		return nil, false, errors.New("-inflight: 1 to 256")
	case cfg.idle && cfg.transport != "ws":
		return nil, false, errors.New("-idle is for -transport ws")
	case cfg.numwant < -1 || cfg.numwant > 1000:
		return nil, false, errors.New("-numwant: -1 to 1000")
	case cfg.dialConc < 1:
		return nil, false, errors.New("-dial-concurrency: at least 1")
	}
	if cfg.targets, err = splitTargets(cfg.target); err != nil {
		return nil, false, err
	}
	if cfg.transport == "http" {
		cfg.inflight = 1
	}
	return cfg, false, nil
}

// Result is the JSON line printed with -json.
type Result struct {
	Tags        map[string]string `json:"tags,omitempty"`
	Transport   string            `json:"transport"`
	Target      string            `json:"target"`            // as given, a list with commas
	Targets     []string          `json:"targets,omitempty"` // when there are several
	Mode        string            `json:"mode"`              // closed, fixed or idle
	Rate        float64           `json:"rate"`
	Conns       int               `json:"conns"`
	ConnsOpen   int               `json:"conns_open"`
	Inflight    int               `json:"inflight"`
	Offers      int               `json:"offers"`
	SDPSize     int               `json:"sdp_size"`
	AnswerRatio float64           `json:"answer_ratio"`
	ScrapeRatio float64           `json:"scrape_ratio"`
	InfoHashes  int               `json:"infohashes"`
	SourceIPs   []string          `json:"source_ips,omitempty"`
	ConnectSecs float64           `json:"connect_s"`
	Seconds     float64           `json:"duration_s"`

	// WebSocket handshakes (TCP connect, TLS for wss://, the upgrade),
	// all made before the measured window: how many succeeded, how many
	// of them resumed a TLS session, how long one took, and the CPU both
	// sides spent while connecting (per handshake, so per connection).
	Handshakes           int64   `json:"handshakes,omitempty"`
	HandshakesResumed    int64   `json:"handshakes_resumed,omitempty"`
	HandshakeP50ms       float64 `json:"handshake_p50_ms,omitempty"`
	HandshakeP99ms       float64 `json:"handshake_p99_ms,omitempty"`
	HandshakeMaxms       float64 `json:"handshake_max_ms,omitempty"`
	ConnectGenCPUPerHsUs float64 `json:"connect_generator_cpu_per_handshake_us,omitempty"`
	ConnectSrvCPUPerHsUs float64 `json:"connect_server_cpu_per_handshake_us,omitempty"`

	Counts map[string]int64 `json:"counts"`
	Errors map[string]int64 `json:"errors"`

	Responses      int64   `json:"responses"`
	ResponsesPerS  float64 `json:"responses_per_s"`
	OffersPerS     float64 `json:"offers_received_per_s"`
	AnswersPerS    float64 `json:"answers_received_per_s"`
	Delivered      int64   `json:"delivered"` // responses + relayed offers + relayed answers
	DeliveredPerS  float64 `json:"delivered_per_s"`
	ErrorsTotal    int64   `json:"errors_total"`
	LatencySamples int64   `json:"latency_samples"`
	LatencyP50ms   float64 `json:"latency_p50_ms"`
	LatencyP99ms   float64 `json:"latency_p99_ms"`
	LatencyMaxms   float64 `json:"latency_max_ms"`

	// WebSocket: how long relayed offers took from the sender's announce
	// to the peer they were relayed to (all offers, and apart for sender
	// and receiver on the same target and on different targets), and,
	// with several targets, the share of relayed offers and answers that
	// crossed from one target to another (of those the generator could
	// attribute; see counts offers_cross_target, answers_cross_target,
	// relayed_unattributed).
	OfferLatSamples      int64   `json:"offer_latency_samples,omitempty"`
	OfferLatP50ms        float64 `json:"offer_latency_p50_ms,omitempty"`
	OfferLatP99ms        float64 `json:"offer_latency_p99_ms,omitempty"`
	OfferLatSameSamples  int64   `json:"offer_latency_same_target_samples,omitempty"`
	OfferLatSameP50ms    float64 `json:"offer_latency_same_target_p50_ms,omitempty"`
	OfferLatSameP99ms    float64 `json:"offer_latency_same_target_p99_ms,omitempty"`
	OfferLatCrossSamples int64   `json:"offer_latency_cross_target_samples,omitempty"`
	OfferLatCrossP50ms   float64 `json:"offer_latency_cross_target_p50_ms,omitempty"`
	OfferLatCrossP99ms   float64 `json:"offer_latency_cross_target_p99_ms,omitempty"`
	OffersCrossShare     float64 `json:"offers_cross_target_share,omitempty"`
	AnswersCrossShare    float64 `json:"answers_cross_target_share,omitempty"`
	RelayedCrossShare    float64 `json:"relayed_cross_target_share,omitempty"`

	FailureReasons map[string]int64 `json:"failure_reasons,omitempty"`
	FirstErrors    []string         `json:"first_errors,omitempty"`

	GenCPUSecs      float64 `json:"generator_cpu_s"`
	GenCPUPerMsgUs  float64 `json:"generator_cpu_per_delivered_us"`
	GenCPUUtil      float64 `json:"generator_cpu_util"` // generator CPU seconds per wall second
	GenGOMAXPROCS   int     `json:"generator_gomaxprocs"`
	ServerPIDs      []int   `json:"server_pids,omitempty"`
	ServerCPUSecs   float64 `json:"server_cpu_s,omitempty"`
	ServerCPUPerMsg float64 `json:"server_cpu_per_delivered_us,omitempty"`
	ServerCPUUtil   float64 `json:"server_cpu_util,omitempty"` // server CPU seconds per wall second
	ServerRSSKB     int64   `json:"server_rss_kb,omitempty"`   // at the end of the window

	// -window-probe: end minus start of every counter it printed.
	WindowDeltas map[string]float64 `json:"window_deltas,omitempty"`
}

var (
	firstErrMu sync.Mutex
	firstErrs  []string
)

func noteError(kind string, err error) {
	firstErrMu.Lock()
	defer firstErrMu.Unlock()
	if len(firstErrs) < 5 {
		firstErrs = append(firstErrs, kind+": "+err.Error())
	}
}

func noteConnectError(err error)  { noteError("connect", err) }
func noteProtocolError(err error) { noteError("protocol", err) }

// run performs one load run and returns its result. log receives progress
// lines.
func run(cfg *config, log io.Writer) (*Result, error) {
	firstErrMu.Lock()
	firstErrs = nil
	firstErrMu.Unlock()
	if cfg.targets == nil { // a config not made by parseFlags
		var err error
		if cfg.targets, err = splitTargets(cfg.target); err != nil {
			return nil, err
		}
	}
	if cfg.probe != "" { // fail before the load if the probe does not work
		if _, err := runProbe(cfg.probe); err != nil {
			return nil, err
		}
	}
	st := newStats()
	var lr loadRun
	var ws *wsRun
	switch cfg.transport {
	case "ws":
		r, err := newWSRun(cfg, st)
		if err != nil {
			return nil, err
		}
		ws, lr = r, r
	case "http":
		r, err := newHTTPRun(cfg, st)
		if err != nil {
			return nil, err
		}
		lr = r
	case "udp":
		r, err := newUDPRun(cfg, st)
		if err != nil {
			return nil, err
		}
		lr = r
	}
	mode := "closed"
	switch {
	case cfg.idle:
		mode = "idle"
	case cfg.rate > 0:
		mode = "fixed"
	}

	// Stop early (and still report) on SIGINT/SIGTERM.
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(interrupt)
	sleep := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-interrupt:
		}
	}

	t0 := time.Now()
	if cfg.idle {
		st.recording.Store(true)
	}
	connGen0 := cpuSelf()
	connSrv0, connSrvOK := pidsCPU(cfg.pids)
	lr.connect()
	connectSecs := time.Since(t0).Seconds()
	connGen := cpuSelf() - connGen0
	connSrv1, connSrvOK1 := pidsCPU(cfg.pids)
	fmt.Fprintf(log, "swarmbridge-load: %s %s: %d of %d connections up in %.2fs\n", cfg.transport, mode, lr.n(), cfg.conns, connectSecs)
	if lr.n() == 0 {
		lr.stop()
		return nil, fmt.Errorf("no connection to %s could be made (%s)", cfg.target, strings.Join(firstErrs, "; "))
	}

	done := make(chan struct{})
	var schedWG sync.WaitGroup
	var cpu0, srv0 time.Duration
	var srvOK bool
	var start time.Time
	var probe0 map[string]float64
	startProbe := func() {
		if cfg.probe == "" {
			return
		}
		var err error
		if probe0, err = runProbe(cfg.probe); err != nil {
			noteError("probe", err)
		}
	}
	if cfg.idle {
		startProbe()
		cpu0 = cpuSelf()
		srv0, srvOK = pidsCPU(cfg.pids)
		start = time.Now()
		acks := ws.idleAnnounce()
		fmt.Fprintf(log, "swarmbridge-load: idle: %d connections open, %d initial announces settled; holding for %s\n", ws.openConns(), acks, cfg.duration)
		sleep(cfg.duration)
	} else {
		if cfg.rate > 0 {
			lr.startFixed()
			schedWG.Add(1)
			go func() {
				defer schedWG.Done()
				runFixedRate(done, cfg.rate, lr.n(), lr.tryKick, st)
			}()
		} else {
			lr.startClosed()
		}
		sleep(cfg.warmup)
		startProbe()
		cpu0 = cpuSelf()
		srv0, srvOK = pidsCPU(cfg.pids)
		start = time.Now()
		st.recording.Store(true)
		sleep(cfg.duration)
	}
	// The window closes when the end probe has returned, as it opened
	// when the start probe had: the probe reads its counters partway
	// through its run, and what it does after that falls into the window
	// at both ends alike, so the two offsets cancel.
	var deltas map[string]float64
	if probe0 != nil {
		if probe1, err := runProbe(cfg.probe); err != nil {
			noteError("probe", err)
		} else {
			deltas = probeDeltas(probe0, probe1)
		}
	}
	st.recording.Store(false)
	elapsed := time.Since(start)
	cpu1 := cpuSelf()
	srv1, srvOK1 := pidsCPU(cfg.pids)
	var rss int64
	if len(cfg.pids) > 0 {
		for _, p := range cfg.pids {
			if v, err := procRSS(p); err == nil {
				rss += v
			}
		}
	}
	open := lr.n()
	if ws != nil {
		open = ws.openConns()
	}
	close(done)
	schedWG.Wait()
	lr.stop()

	res := &Result{
		Tags: cfg.tags, Transport: cfg.transport, Target: cfg.target, Mode: mode, Rate: cfg.rate,
		Conns: cfg.conns, ConnsOpen: open, Inflight: cfg.inflight, InfoHashes: cfg.infohashes,
		ScrapeRatio: cfg.scrapeRatio, SourceIPs: cfg.sourceIPs,
		ConnectSecs: round(connectSecs, 3), Seconds: round(elapsed.Seconds(), 3),
		Counts: map[string]int64{}, Errors: map[string]int64{},
		GenGOMAXPROCS: runtime.GOMAXPROCS(0), WindowDeltas: deltas,
	}
	if cfg.transport == "ws" {
		res.Offers, res.SDPSize, res.AnswerRatio = cfg.offers, cfg.sdpSize, cfg.answerRatio
		offerLatencies(res, st)
		hs := &st.handshakes
		res.Handshakes, res.HandshakesResumed = hs.n.Load(), hs.resumed.Load()
		q, _ := hs.quantiles(0.5, 0.99)
		res.HandshakeP50ms = round(q[0].Seconds()*1000, 3)
		res.HandshakeP99ms = round(q[1].Seconds()*1000, 3)
		res.HandshakeMaxms = round(time.Duration(hs.max.Load()).Seconds()*1000, 3)
		if res.Handshakes > 0 {
			res.ConnectGenCPUPerHsUs = round(connGen.Seconds()*1e6/float64(res.Handshakes), 3)
			if connSrvOK && connSrvOK1 && len(cfg.pids) > 0 {
				res.ConnectSrvCPUPerHsUs = round((connSrv1-connSrv0).Seconds()*1e6/float64(res.Handshakes), 3)
			}
		}
	}
	for c := range nCounters {
		v := st.total(c)
		if c >= cErrConnect {
			res.Errors[counterNames[c]] = v
			res.ErrorsTotal += v
		} else {
			res.Counts[counterNames[c]] = v
		}
	}
	secs := elapsed.Seconds()
	res.Responses = res.Counts["announce_responses"] + res.Counts["scrape_responses"]
	res.Delivered = res.Responses + res.Counts["offers_received"] + res.Counts["answers_received"]
	res.ResponsesPerS = round(float64(res.Responses)/secs, 1)
	res.OffersPerS = round(float64(res.Counts["offers_received"])/secs, 1)
	res.AnswersPerS = round(float64(res.Counts["answers_received"])/secs, 1)
	res.DeliveredPerS = round(float64(res.Delivered)/secs, 1)
	q, n := st.quantiles(0.5, 0.99)
	res.LatencySamples = n
	res.LatencyP50ms = round(q[0].Seconds()*1000, 3)
	res.LatencyP99ms = round(q[1].Seconds()*1000, 3)
	res.LatencyMaxms = round(time.Duration(st.maxLat.Load()).Seconds()*1000, 3)
	if len(cfg.targets) > 1 {
		res.Targets = cfg.targets
		if cfg.transport == "ws" {
			crossShares(res)
		}
	}
	st.mu.Lock()
	if len(st.failures) > 0 {
		res.FailureReasons = st.failures
	}
	st.mu.Unlock()
	firstErrMu.Lock()
	res.FirstErrors = firstErrs
	firstErrMu.Unlock()
	gen := cpu1 - cpu0
	res.GenCPUSecs = round(gen.Seconds(), 3)
	res.GenCPUUtil = round(gen.Seconds()/secs, 3)
	if res.Delivered > 0 {
		res.GenCPUPerMsgUs = round(gen.Seconds()*1e6/float64(res.Delivered), 3)
	}
	if len(cfg.pids) > 0 && srvOK && srvOK1 {
		res.ServerPIDs = cfg.pids
		s := srv1 - srv0
		res.ServerCPUSecs = round(s.Seconds(), 3)
		res.ServerCPUUtil = round(s.Seconds()/secs, 3)
		if res.Delivered > 0 {
			res.ServerCPUPerMsg = round(s.Seconds()*1e6/float64(res.Delivered), 3)
		}
		res.ServerRSSKB = rss
	}
	return res, nil
}

// offerLatencies fills in the offer latencies of a WebSocket run.
func offerLatencies(res *Result, st *Stats) {
	ms := func(d time.Duration) float64 { return round(d.Seconds()*1000, 3) }
	q, n := st.offerQuantiles([]bool{false, true}, 0.5, 0.99)
	res.OfferLatSamples, res.OfferLatP50ms, res.OfferLatP99ms = n, ms(q[0]), ms(q[1])
	q, n = st.offerQuantiles([]bool{false}, 0.5, 0.99)
	res.OfferLatSameSamples, res.OfferLatSameP50ms, res.OfferLatSameP99ms = n, ms(q[0]), ms(q[1])
	q, n = st.offerQuantiles([]bool{true}, 0.5, 0.99)
	res.OfferLatCrossSamples, res.OfferLatCrossP50ms, res.OfferLatCrossP99ms = n, ms(q[0]), ms(q[1])
}

// crossShares fills in the shares of relayed messages that crossed
// targets, out of those attributed to a sender.
func crossShares(res *Result) {
	c := res.Counts
	share := func(cross, all int64) float64 {
		if all <= 0 {
			return 0
		}
		return round(float64(cross)/float64(all), 4)
	}
	// Unattributed relays are not told apart by kind; in a run of one
	// generator there are none.
	attributed := c["offers_received"] + c["answers_received"] - c["relayed_unattributed"]
	res.OffersCrossShare = share(c["offers_cross_target"], c["offers_received"])
	res.AnswersCrossShare = share(c["answers_cross_target"], c["answers_received"])
	res.RelayedCrossShare = share(c["offers_cross_target"]+c["answers_cross_target"], attributed)
}

// runFixedRate issues rate requests per second in total, round-robin over
// the n connections, skipping busy ones; a send that finds every
// connection it tries busy is counted as missed. Sends are scheduled from
// the start time (open loop), so a slow tracker does not lower the offered
// load; a send made more than 10 ms after it was due counts as late.
func runFixedRate(done <-chan struct{}, rate float64, n int, tryKick func(int) bool, st *Stats) {
	start := time.Now()
	var k int64
	next := 0
	tries := min(n, 64)
	for {
		select {
		case <-done:
			return
		default:
		}
		now := time.Now()
		due := int64(now.Sub(start).Seconds() * rate)
		for ; k < due; k++ {
			ok := false
			for range tries {
				i := next
				if next++; next == n {
					next = 0
				}
				if tryKick(i) {
					ok = true
					break
				}
			}
			if !ok {
				st.add(0, cMissed, 1)
				continue
			}
			dueAt := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
			if now.Sub(dueAt) > 10*time.Millisecond {
				st.add(0, cLate, 1)
			}
		}
		nextAt := start.Add(time.Duration(float64(k+1) / rate * float64(time.Second)))
		if d := time.Until(nextAt); d > 0 {
			time.Sleep(d)
		}
	}
}

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

func printHuman(w io.Writer, r *Result) {
	fmt.Fprintf(w, "transport %s  target %s  mode %s", r.Transport, r.Target, r.Mode)
	if len(r.Targets) > 1 {
		fmt.Fprintf(w, " (connections spread over %d targets)", len(r.Targets))
	}
	if r.Mode == "fixed" {
		fmt.Fprintf(w, " (%.0f/s)", r.Rate)
	}
	fmt.Fprintf(w, "  conns %d (open at end %d)  window %.2fs\n", r.Conns, r.ConnsOpen, r.Seconds)
	if r.Handshakes > 0 {
		fmt.Fprintf(w, "  handshakes     %10d  in %.2fs before the window  (TLS resumed %d)  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
			r.Handshakes, r.ConnectSecs, r.HandshakesResumed, r.HandshakeP50ms, r.HandshakeP99ms, r.HandshakeMaxms)
		fmt.Fprintf(w, "                 CPU per handshake: generator %.1f µs", r.ConnectGenCPUPerHsUs)
		if r.ConnectSrvCPUPerHsUs > 0 {
			fmt.Fprintf(w, ", server %.1f µs", r.ConnectSrvCPUPerHsUs)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  responses      %10d  %10.1f/s  (announce %d, scrape %d)\n", r.Responses, r.ResponsesPerS, r.Counts["announce_responses"], r.Counts["scrape_responses"])
	if r.Transport == "ws" {
		fmt.Fprintf(w, "  offers recv    %10d  %10.1f/s  (sent in announces %d)\n", r.Counts["offers_received"], r.OffersPerS, r.Counts["offers_sent"])
		fmt.Fprintf(w, "  answers recv   %10d  %10.1f/s  (sent %d)\n", r.Counts["answers_received"], r.AnswersPerS, r.Counts["answers_sent"])
	}
	fmt.Fprintf(w, "  delivered      %10d  %10.1f/s  (responses + relayed offers + relayed answers)\n", r.Delivered, r.DeliveredPerS)
	fmt.Fprintf(w, "  latency        p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%d samples)\n", r.LatencyP50ms, r.LatencyP99ms, r.LatencyMaxms, r.LatencySamples)
	if r.Transport == "ws" {
		fmt.Fprintf(w, "  offer latency  p50 %.3f ms  p99 %.3f ms  (%d samples; announce sent to offer received)\n", r.OfferLatP50ms, r.OfferLatP99ms, r.OfferLatSamples)
	}
	if r.Transport == "ws" && len(r.Targets) > 1 {
		fmt.Fprintf(w, "    same target  p50 %.3f ms  p99 %.3f ms  (%d samples)\n", r.OfferLatSameP50ms, r.OfferLatSameP99ms, r.OfferLatSameSamples)
		fmt.Fprintf(w, "    cross target p50 %.3f ms  p99 %.3f ms  (%d samples)\n", r.OfferLatCrossP50ms, r.OfferLatCrossP99ms, r.OfferLatCrossSamples)
		fmt.Fprintf(w, "  cross-target   %.1f %% of relayed messages  (offers %d, %.1f %%; answers %d, %.1f %%; unattributed %d)\n",
			r.RelayedCrossShare*100, r.Counts["offers_cross_target"], r.OffersCrossShare*100,
			r.Counts["answers_cross_target"], r.AnswersCrossShare*100, r.Counts["relayed_unattributed"])
	}
	if r.Mode == "fixed" {
		fmt.Fprintf(w, "  schedule       missed %d  late %d\n", r.Counts["missed"], r.Counts["late"])
	}
	if r.Transport == "http" {
		fmt.Fprintf(w, "  reconnects     %d\n", r.Counts["reconnects"])
	}
	if r.Transport == "udp" {
		fmt.Fprintf(w, "  connects       %d sent, %d answered\n", r.Counts["connects_sent"], r.Counts["connect_responses"])
	}
	keys := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "  errors         %d:", r.ErrorsTotal)
	for _, k := range keys {
		fmt.Fprintf(w, " %s %d", k, r.Errors[k])
	}
	fmt.Fprintln(w)
	for reason, n := range r.FailureReasons {
		fmt.Fprintf(w, "    failure %q: %d\n", reason, n)
	}
	for _, e := range r.FirstErrors {
		fmt.Fprintf(w, "    first errors: %s\n", e)
	}
	fmt.Fprintf(w, "  generator CPU  %.3f s  (%.3f µs per delivered message, %.0f %% of a core, GOMAXPROCS %d)\n", r.GenCPUSecs, r.GenCPUPerMsgUs, r.GenCPUUtil*100, r.GenGOMAXPROCS)
	if len(r.WindowDeltas) > 0 {
		keys := make([]string, 0, len(r.WindowDeltas))
		for k := range r.WindowDeltas {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "  window probe  ")
		for _, k := range keys {
			fmt.Fprintf(w, " %s %g", k, r.WindowDeltas[k])
		}
		fmt.Fprintln(w)
	}
	if len(r.ServerPIDs) > 0 {
		fmt.Fprintf(w, "  server CPU     %.3f s  (%.3f µs per delivered message, %.0f %% of a core, RSS %d KiB)  pids %v\n", r.ServerCPUSecs, r.ServerCPUPerMsg, r.ServerCPUUtil*100, r.ServerRSSKB, r.ServerPIDs)
	}
}
