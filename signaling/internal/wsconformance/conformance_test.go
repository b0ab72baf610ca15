package wsconformance

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Where the tracker differs from ws on purpose (the case says why): a
// 64-bit length with its most significant bit set (1.4.x). Both fail the
// connection; ws with 1009 (it cannot represent the length), the tracker
// with 1002, since §5.2 makes that bit 0.
//
// Where the two agree and the RFC leaves room, the cases state what both do
// (non-minimal length encodings are accepted, 1.3.x; the close code is
// echoed, the reason need not be, 7.x).

// testCase is one conformance case. Its number follows the section of
// the Autobahn testsuite it is modelled on, where there is one; section 8
// holds what Autobahn spreads over its sections (masking, input that
// arrives slowly or pipelined).
type testCase struct {
	name string
	run  func(t *testing.T, tg *target)
}

// onConn is a case that runs on a fresh connection.
func onConn(name string, run func(s *session)) testCase {
	return testCase{name: name, run: func(t *testing.T, tg *target) { run(open(t, tg, nil)) }}
}

// allCases is the suite, in order.
func allCases() []testCase {
	var cs []testCase
	for _, section := range [][]testCase{
		framingCases(), pingCases(), reservedBitCases(), opcodeCases(),
		fragmentationCases(), utf8Cases(), closeCases(), streamCases(),
	} {
		cs = append(cs, section...)
	}
	return cs
}

func runCases(t *testing.T, tg *target) {
	for _, tc := range allCases() {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, tg) })
	}
}

// TestTrackerConformance runs the suite against the tracker over plain TCP
// and over TLS, read by the pollers on Linux, and over TLS from a listener
// the pollers cannot read (reader goroutines, as everywhere without epoll).
func TestTrackerConformance(t *testing.T) {
	t.Run("ws", func(t *testing.T) { runCases(t, startTracker(t, plain)) })
	t.Run("wss", func(t *testing.T) { runCases(t, startTracker(t, tlsPolled)) })
	t.Run("wss-reader-goroutines", func(t *testing.T) { runCases(t, startTracker(t, tlsGoroutines)) })
}

// TestWSAgreesWithTheSuite runs the same cases against the ws npm
// package's server, the independent implementation whose agreement with
// RFC 6455 the cases' expectations rest on.
func TestWSAgreesWithTheSuite(t *testing.T) {
	runCases(t, startNodeWS(t))
}
