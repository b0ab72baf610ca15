package signaling_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// The relay tests run against the pollers (the default on Linux). They run
// once more here with every connection served by a reader goroutine, the
// path of TLS connections and of every platform without epoll: both paths
// share the frame reader and the message path, and must behave alike.

// relaySuite is every test of relay_test.go, limits_test.go and
// observer_test.go.
var relaySuite = map[string]func(*testing.T){
	"TestFanOutSendsOneOfferPerPeerNeverToSelf":           TestFanOutSendsOneOfferPerPeerNeverToSelf,
	"TestSurplusOffersAreDroppedNotRepeated":              TestSurplusOffersAreDroppedNotRepeated,
	"TestMaxOffersCapsFanOut":                             TestMaxOffersCapsFanOut,
	"TestAnswerRoutedBackToOfferer":                       TestAnswerRoutedBackToOfferer,
	"TestAnswersToUnknownOffersAreRefused":                TestAnswersToUnknownOffersAreRefused,
	"TestAnswersExpireWithTheOffer":                       TestAnswersExpireWithTheOffer,
	"TestScrape":                                          TestScrape,
	"TestEvents":                                          TestEvents,
	"TestCloseRemovesEveryRegistrationOfTheConnection":    TestCloseRemovesEveryRegistrationOfTheConnection,
	"TestReconnectWithSamePeerIDKeepsThePeer":             TestReconnectWithSamePeerIDKeepsThePeer,
	"TestBadInputGetsFailuresWithActionAndInfoHash":       TestBadInputGetsFailuresWithActionAndInfoHash,
	"TestRepeatedGarbageClosesTheConnection":              TestRepeatedGarbageClosesTheConnection,
	"TestOversizedMessageClosesWith1009":                  TestOversizedMessageClosesWith1009,
	"TestTooManyTorrentsPerConnection":                    TestTooManyTorrentsPerConnection,
	"TestSlowConsumerIsDroppedWithoutStallingSenders":     TestSlowConsumerIsDroppedWithoutStallingSenders,
	"TestUnansweredPingsCloseTheConnection":               TestUnansweredPingsCloseTheConnection,
	"TestShutdownClosesWith1001":                          TestShutdownClosesWith1001,
	"TestBinaryIDsRelayedByteExactly":                     TestBinaryIDsRelayedByteExactly,
	"TestFullScrapeWhenAllowed":                           TestFullScrapeWhenAllowed,
	"TestMaxConnsRefusesUpgradesWith503":                  TestMaxConnsRefusesUpgradesWith503,
	"TestMaxConnsPerIPRefusesUpgradesWith429":             TestMaxConnsPerIPRefusesUpgradesWith429,
	"TestPolicyAdmitRefusesUpgradesWith403":               TestPolicyAdmitRefusesUpgradesWith403,
	"TestAnnouncesPerConnIsATokenBucket":                  TestAnnouncesPerConnIsATokenBucket,
	"TestAnswersAreNotRateLimited":                        TestAnswersAreNotRateLimited,
	"TestFloodingFarOverTheLimitClosesWith1008":           TestFloodingFarOverTheLimitClosesWith1008,
	"TestPolicyAllowIsAskedWithTheClientAddress":          TestPolicyAllowIsAskedWithTheClientAddress,
	"TestPolicyAuthorizeGuardsAnnouncesAnswersAndScrapes": TestPolicyAuthorizeGuardsAnnouncesAnswersAndScrapes,
	"TestFullScrapeLeavesRefusedHashesOut":                TestFullScrapeLeavesRefusedHashesOut,
	"TestIdleConnectionsAreClosedWith1001":                TestIdleConnectionsAreClosedWith1001,
	"TestIdleTimeoutCountsOnlyClientMessages":             TestIdleTimeoutCountsOnlyClientMessages,
	"TestRepeatedUnmatchedAnswersCloseTheConnection":      TestRepeatedUnmatchedAnswersCloseTheConnection,
	"TestLargestOfferReachesItsTarget":                    TestLargestOfferReachesItsTarget,
	"TestUnknownClientAddressRefusesTheUpgrade":           TestUnknownClientAddressRefusesTheUpgrade,
	"TestFullScrapeTooLargeFailsPolitely":                 TestFullScrapeTooLargeFailsPolitely,
	"TestObserverGetsTypedLabelsAndFailureCodes":          TestObserverGetsTypedLabelsAndFailureCodes,
	"TestAFullQueueIsCountedAsQueueFull":                  TestAFullQueueIsCountedAsQueueFull,
}

func TestRelaySuiteOnReaderGoroutines(t *testing.T) {
	readerGoroutines = true
	defer func() { readerGoroutines = false }()
	names := make([]string, 0, len(relaySuite))
	for name := range relaySuite {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(strings.TrimPrefix(name, "Test"), relaySuite[name])
	}
}

// TestRelaySuiteOnWorkers runs the suite once more with a store that says it
// may block: every message then goes through its connection's inbox to
// the Handler's workers, and the relay must behave as it does inline.
func TestRelaySuiteOnWorkers(t *testing.T) {
	onWorkers = true
	defer func() { onWorkers = false }()
	names := make([]string, 0, len(relaySuite))
	for name := range relaySuite {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(strings.TrimPrefix(name, "Test"), relaySuite[name])
	}
}

// TestRelaySuiteIsComplete keeps relaySuite in step with the files.
func TestRelaySuiteIsComplete(t *testing.T) {
	fset := token.NewFileSet()
	var inFiles []string
	for _, file := range []string{"relay_test.go", "limits_test.go", "observer_test.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") && fn.Name.Name != "TestMain" {
				inFiles = append(inFiles, fn.Name.Name)
			}
		}
	}
	for _, name := range inFiles {
		if relaySuite[name] == nil {
			t.Errorf("%s is not in relaySuite", name)
		}
	}
	if len(inFiles) != len(relaySuite) {
		t.Errorf("relaySuite has %d tests, the files %d", len(relaySuite), len(inFiles))
	}
}
