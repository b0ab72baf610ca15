// Package metrics exposes the tracker's Prometheus metrics. Everything is
// registered on a Registry the Metrics value owns (no global state), so
// tests and several trackers in one process do not collide. Transports do
// not import this package: they accept small observer interfaces, which
// the values made here implement.
package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/signaling"
)

const ns = "swarmbridge"

// Metrics holds every metric of one tracker.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec   // transport, action, event
	failures *prometheus.CounterVec   // transport, reason
	latency  *prometheus.HistogramVec // transport, action
	conns    *prometheus.GaugeVec     // transport
	closed   *prometheus.CounterVec   // reason
	relayed  *prometheus.CounterVec   // kind
	dropped  *prometheus.CounterVec   // reason
	limited  *prometheus.CounterVec   // transport, limit
	denied   *prometheus.CounterVec   // transport, reason

	// children caches label lookups; the hot paths call these per request.
	mu       sync.RWMutex
	children map[childKey]*child
}

type childKey struct {
	transport     bittorrent.Transport
	action, event string
}

type child struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// New creates the metrics and registers them, with Go runtime and process
// metrics, on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "requests_total",
			Help: "Requests handled, by transport (ws, http, udp), action (announce, answer, scrape, connect, invalid) and announce event.",
		}, []string{"transport", "action", "event"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "failures_total",
			Help: "Failure replies sent to clients, by transport and reason.",
		}, []string{"transport", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "request_duration_seconds",
			Help:    "Time to handle one request, by transport and action.",
			Buckets: []float64{5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 10e-3, 50e-3, 250e-3, 1},
		}, []string{"transport", "action"}),
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "connections_open",
			Help: "Open connections by transport (ws: WebSocket; http: HTTP keep-alive connections).",
		}, []string{"transport"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "ws_connections_closed_total",
			Help: "WebSocket connections closed, by reason.",
		}, []string{"reason"}),
		relayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "ws_relayed_total",
			Help: "WebRTC offers and answers relayed between WebSocket peers.",
		}, []string{"kind"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "ws_dropped_total",
			Help: "Offers and answers that could not be delivered, by reason.",
		}, []string{"reason"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "limited_total",
			Help: "Requests and WebSocket upgrades refused by an abuse limit, by transport and limit (conns, conns_per_ip, conn_announces, ip_announces, ip_requests).",
		}, []string{"transport", "limit"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "denied_total",
			Help: "Requests and WebSocket upgrades refused by access control, by transport and reason (origin, key, info_hash).",
		}, []string{"transport", "reason"}),
		children: map[childKey]*child{},
	}
	m.reg.MustRegister(m.requests, m.failures, m.latency, m.conns, m.closed, m.relayed, m.dropped, m.limited, m.denied,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Pre-create the label sets that must show up as zeros before anything
	// happens, so dashboards and alerts see them.
	for _, r := range signaling.CloseReasons() {
		m.closed.WithLabelValues(r.String())
	}
	for _, r := range signaling.DropReasons() {
		m.dropped.WithLabelValues(r.String())
	}
	m.relayed.WithLabelValues("offer")
	m.relayed.WithLabelValues("answer")
	for _, l := range signaling.Limits() {
		m.Limited(bittorrent.TransportWS, l.String())
	}
	m.Limited(bittorrent.TransportHTTP, LimitIPAnnounces)
	m.Limited(bittorrent.TransportUDP, LimitIPRequests)
	m.Denied(bittorrent.TransportWS, DeniedOrigin)
	for _, t := range bittorrent.Transports() {
		m.Denied(t, DeniedKey)
		m.Denied(t, DeniedInfoHash)
	}
	for _, t := range []bittorrent.Transport{bittorrent.TransportWS, bittorrent.TransportHTTP} {
		m.conns.WithLabelValues(t.String())
	}
	return m
}

// Label values of limited_total and denied_total that the composition root
// counts (the WebSocket relay's limits are named by signaling.Limit).
const (
	// LimitIPAnnounces: an HTTP announce or scrape over the per-address
	// limit (the WebSocket one is signaling.LimitIPAnnounces).
	LimitIPAnnounces = "ip_announces"
	// LimitIPRequests: a UDP packet over the per-address limit.
	LimitIPRequests = "ip_requests"

	DeniedOrigin   = "origin"    // a WebSocket upgrade from a page not allowed
	DeniedKey      = "key"       // private mode: a missing or unknown key
	DeniedInfoHash = "info_hash" // a torrent the lists exclude
)

// Limited returns the counter of limited_total for transport and limit,
// for hot paths to increment without a label lookup.
func (m *Metrics) Limited(t bittorrent.Transport, limit string) prometheus.Counter {
	return m.limited.WithLabelValues(t.String(), limit)
}

// Denied returns the counter of denied_total for transport and reason.
func (m *Metrics) Denied(t bittorrent.Transport, reason string) prometheus.Counter {
	return m.denied.WithLabelValues(t.String(), reason)
}

// Registry is where the metrics live; register more collectors on it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format. A collector
// that fails (the swarm gauges while a shared store is unreachable) leaves
// its metrics out; the rest are served, since that is when they are needed.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

func (m *Metrics) child(transport bittorrent.Transport, action, event string) *child {
	k := childKey{transport, action, event}
	m.mu.RLock()
	c := m.children[k]
	m.mu.RUnlock()
	if c != nil {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c = m.children[k]; c == nil {
		c = &child{
			requests: m.requests.WithLabelValues(transport.String(), action, event),
			latency:  m.latency.WithLabelValues(transport.String(), action),
		}
		m.children[k] = c
	}
	return c
}

func (m *Metrics) handled(transport bittorrent.Transport, action, event string, d time.Duration) {
	c := m.child(transport, action, event)
	c.requests.Inc()
	c.latency.Observe(d.Seconds())
}

// failure counts one failure reply. Its label is the failure's code, from
// a bounded set, never the text the client read.
func (m *Metrics) failure(transport bittorrent.Transport, code bittorrent.FailureCode) {
	m.failures.WithLabelValues(transport.String(), code.String()).Inc()
}

// Transport returns the observer the HTTP and UDP trackers take.
func (m *Metrics) Transport(t bittorrent.Transport) TransportObserver {
	return TransportObserver{m: m, t: t}
}

// TransportObserver implements httptracker.Observer and udptracker.Observer.
type TransportObserver struct {
	m *Metrics
	t bittorrent.Transport
}

// Handled counts one request.
func (o TransportObserver) Handled(action, event string, d time.Duration) {
	o.m.handled(o.t, action, event, d)
}

// Failure counts one failure reply.
func (o TransportObserver) Failure(code bittorrent.FailureCode) { o.m.failure(o.t, code) }

// HTTPConnState tracks open HTTP connections; set it as http.Server's
// ConnState. Hijacked connections (WebSockets) leave the HTTP count and are
// counted by the WebSocket observer instead.
func (m *Metrics) HTTPConnState(state http.ConnState) {
	switch state {
	case http.StateNew:
		m.conns.WithLabelValues(bittorrent.TransportHTTP.String()).Inc()
	case http.StateClosed, http.StateHijacked:
		m.conns.WithLabelValues(bittorrent.TransportHTTP.String()).Dec()
	}
}

// WebSocket returns the observer for the signaling relay.
func (m *Metrics) WebSocket() signaling.Observer {
	o := &wsObserver{m: m, conns: m.conns.WithLabelValues(bittorrent.TransportWS.String())}
	for _, l := range signaling.Limits() {
		o.limited[l] = m.Limited(bittorrent.TransportWS, l.String())
	}
	return o
}

type wsObserver struct {
	m       *Metrics
	conns   prometheus.Gauge
	limited [8]prometheus.Counter // by signaling.Limit
}

func (o *wsObserver) ConnOpened() { o.conns.Inc() }
func (o *wsObserver) ConnClosed(r signaling.CloseReason) {
	o.conns.Dec()
	o.m.closed.WithLabelValues(r.String()).Inc()
}
func (o *wsObserver) Handled(msg signaling.Message, d time.Duration) {
	o.m.handled(bittorrent.TransportWS, msg.ActionLabel(), msg.EventLabel(), d)
}
func (o *wsObserver) Failure(code bittorrent.FailureCode) { o.m.failure(bittorrent.TransportWS, code) }
func (o *wsObserver) OfferRelayed()                       { o.m.relayed.WithLabelValues("offer").Inc() }
func (o *wsObserver) AnswerRelayed()                      { o.m.relayed.WithLabelValues("answer").Inc() }
func (o *wsObserver) Dropped(r signaling.DropReason) {
	o.m.dropped.WithLabelValues(r.String()).Inc()
}
func (o *wsObserver) Limited(l signaling.Limit) {
	if int(l) < len(o.limited) && o.limited[l] != nil {
		o.limited[l].Inc()
		return
	}
	o.m.Limited(bittorrent.TransportWS, l.String()).Inc()
}

// Store registers gauges for swarms and peers, read from the store's
// Totals each time the metrics are scraped.
func (m *Metrics) Store(store swarm.Store) {
	m.reg.MustRegister(&storeCollector{store: store})
}

var (
	swarmsDesc  = prometheus.NewDesc(ns+"_swarms", "Swarms with at least one peer.", nil, nil)
	peersDesc   = prometheus.NewDesc(ns+"_peers", "Peers by kind (webrtc: WebSocket peers; native: HTTP and UDP peers).", []string{"kind"}, nil)
	seedersDesc = prometheus.NewDesc(ns+"_seeders", "Peers that have the whole torrent, all kinds.", nil, nil)
	leechDesc   = prometheus.NewDesc(ns+"_leechers", "Peers still downloading, all kinds.", nil, nil)
)

type storeCollector struct{ store swarm.Store }

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- swarmsDesc
	ch <- peersDesc
	ch <- seedersDesc
	ch <- leechDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t, err := c.store.Totals(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(swarmsDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(swarmsDesc, prometheus.GaugeValue, float64(t.Swarms))
	ch <- prometheus.MustNewConstMetric(peersDesc, prometheus.GaugeValue, float64(t.PeersByKind[swarm.WebRTC]), "webrtc")
	ch <- prometheus.MustNewConstMetric(peersDesc, prometheus.GaugeValue, float64(t.PeersByKind[swarm.Native]), "native")
	ch <- prometheus.MustNewConstMetric(seedersDesc, prometheus.GaugeValue, float64(t.Seeders))
	ch <- prometheus.MustNewConstMetric(leechDesc, prometheus.GaugeValue, float64(t.Leechers))
}
