package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmbridge/swarmbridge/internal/udptracker"
)

// udpCollector exports the UDP tracker's own counters of packets it
// dropped or could not serve. They are read when metrics are scraped, so
// counting costs the hot path one atomic add.
type udpCollector struct{ s *udptracker.Server }

var udpDroppedDesc = prometheus.NewDesc("swarmbridge_udp_dropped_total",
	"UDP packets dropped without a reply, by reason (bad_connection_id counts connection-id rejections).",
	[]string{"reason"}, nil)

var udpErrorsDesc = prometheus.NewDesc("swarmbridge_udp_errors_total",
	"UDP socket errors, by operation.", []string{"op"}, nil)

func (udpCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- udpDroppedDesc
	ch <- udpErrorsDesc
}

func (c udpCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	for reason, n := range map[string]uint64{
		"malformed":         st.Malformed,
		"bad_protocol_id":   st.BadProtocolID,
		"bad_connection_id": st.BadConnectionID,
		"unknown_action":    st.UnknownAction,
		"source_port_zero":  st.SourcePortZero,
		"rate_limited":      st.RateLimited,
	} {
		ch <- prometheus.MustNewConstMetric(udpDroppedDesc, prometheus.CounterValue, float64(n), reason)
	}
	ch <- prometheus.MustNewConstMetric(udpErrorsDesc, prometheus.CounterValue, float64(st.ReadErrors), "read")
	ch <- prometheus.MustNewConstMetric(udpErrorsDesc, prometheus.CounterValue, float64(st.WriteErrors), "write")
}
