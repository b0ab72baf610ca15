// Package check is `swarmbridge check`: it plays two peers against one or
// more trackers and reports, step by step, whether each tracker does what
// the BEPs say (connect or reach, announce, scrape, the peers seeing each
// other with the right counts, "stopped" removing them) and, for WebSocket
// (WebTorrent) trackers, that an offer and its answer travel between the
// peers and that two real WebRTC peers connect through the tracker alone.
// It names the known quirks of real trackers as warnings instead of
// passing them silently.
// With -watch it repeats the checks and serves the results as Prometheus
// metrics, as an uptime monitor.
//
// It lives in internal/ rather than next to the public trackerclient
// library because its output (the table, the JSON, the metric names) is
// the command's interface, not an API: keeping it here lets the command
// change it without breaking importers. All tracker I/O goes through
// trackerclient; the WebRTC peers are pion's.
package check
