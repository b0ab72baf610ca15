package browser_test

import (
	"io"
	"sync"
	_ "unsafe" // for go:linkname

	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"

	// The package whose WebRTC API bridgeWebtorrentAPI replaces; it is
	// linked in through github.com/anacrolix/torrent anyway.
	_ "github.com/anacrolix/torrent/webtorrent"
)

// anacrolix/torrent v1.59.1 gives no hook into its WebRTC side: the only
// WebRTC settings in torrent.ClientConfig are ICEServerList/ICEServers
// (and DisableWebtorrent), and the webtorrent package builds every
// PeerConnection from one package-level, unexported *webrtc.API
//
//	var api = webrtc.NewAPI(webrtc.WithSettingEngine(s)) // webtorrent/transport.go
//
// made from an unexported webrtc.SettingEngine `s` that only detaches data
// channels and silences pion's logs (webtorrent/setting-engine.go). pion's
// ICE agent leaves out loopback interfaces and addresses unless the
// SettingEngine says SetIncludeLoopbackCandidate(true) (pion/ice net.go,
// localInterfaces), so in this loopback-only network namespace the
// anacrolix side would gather no candidate at all and no browser could ever
// reach it.
//
// The least invasive fix short of patching the module is to replace that
// variable, before any client exists, with an API built the same way plus
// loopback candidates. go:linkname reaches it; if a future anacrolix
// renames or removes the variable, this file stops linking (a loud
// failure, not a silent fallback).
//
//go:linkname bridgeWebtorrentAPI github.com/anacrolix/torrent/webtorrent.api
var bridgeWebtorrentAPI *webrtc.API

var bridgeLoopbackWebRTCOnce sync.Once

// bridgeEnableLoopbackWebRTC makes anacrolix's WebTorrent peers gather
// loopback host candidates (and only loopback ones: the namespace has no
// other interface, and the filter makes sure of it). It is done once per
// test binary and never undone: restoring the old API could race with
// goroutines of a client that is still shutting down, and in this
// namespace loopback is all there is.
func bridgeEnableLoopbackWebRTC() {
	bridgeLoopbackWebRTCOnce.Do(func() {
		var s webrtc.SettingEngine
		s.LoggerFactory = bridgeDiscardLogs{}
		s.DetachDataChannels() // anacrolix needs detached data channels
		s.SetIncludeLoopbackCandidate(true)
		s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		bridgeWebtorrentAPI = webrtc.NewAPI(webrtc.WithSettingEngine(s))
	})
}

// bridgeDiscardLogs silences pion as anacrolix's own SettingEngine does.
type bridgeDiscardLogs struct{}

func (bridgeDiscardLogs) NewLogger(scope string) logging.LeveledLogger {
	return logging.NewDefaultLeveledLoggerForScope(scope, logging.LogLevelInfo, io.Discard)
}
