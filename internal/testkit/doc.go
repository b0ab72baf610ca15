// Package testkit is the home of the helpers that only tests use: nothing
// under internal/testkit/ is imported by the tracker binary or by a
// library package, only by _test.go files (of the packages, of e2e/ and of
// the tools such as cmd/swarmbridge-load). Keeping them in one directory
// makes it plain what ships and what does not, and keeps test-only
// dependencies (anacrolix/torrent, goleak) out of the binary.
//
//   - trackerproc builds cmd/swarmbridge and runs it as a subprocess,
//     learning its addresses from the start-up log.
//   - servertest runs the whole tracker in-process on loopback.
//   - loopbackns re-runs a test binary in a network namespace that has
//     only "lo", for browser and WebRTC tests.
//   - torrenttest makes torrents and anacrolix/torrent clients.
//   - bencodetest is a strict bencode decoder for checking responses.
//   - binstrtest converts ids to and from WebTorrent's binary strings.
//   - certstest writes throw-away TLS certificates.
//   - redistest starts redis-server instances and Redis Clusters.
//   - dbtest gives a test a fresh SQLite file and PostgreSQL database.
//   - policytest builds a bittorrent.Policy out of functions.
//   - wspeer is a WebTorrent peer over WebSocket (announces with offers,
//     answers, scrapes), written apart from the tracker's codec.
//   - wtpeer is a WebTorrent peer with real WebRTC (pion) on loopback, on
//     trackerclient: offers, answers and data channels.
//   - wsserve runs fake WebSocket trackers on coder/websocket.
//   - logbuf is a buffer several goroutines may write while a test reads.
package testkit
