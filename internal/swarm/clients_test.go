package swarm

import (
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

func TestClientOf(t *testing.T) {
	for id, want := range map[string]Client{
		"-WW0300-abcdefghijkl": ClientWebTorrent,
		"-qB4650-abcdefghijkl": ClientQBittorrent,
		"-TR4060-abcdefghijkl": ClientTransmission,
		"-LT2090-abcdefghijkl": ClientLibtorrent,
		"-lt0D80-abcdefghijkl": ClientRTorrent,
		"-GT0003-abcdefghijkl": ClientAnacrolix,
		"M7-4-3--abcdefghijkl": ClientBitTorrent,
		"-XX1234-abcdefghijkl": ClientOther,
		"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13": ClientOther,
		"-WW0300abcdefghijklm": ClientOther, // no closing dash: not Azureus style
	} {
		if got := ClientOf(bittorrent.PeerID([]byte(id))); got != want {
			t.Errorf("%q: %v, want %v", id, got, want)
		}
	}
	if ClientWebTorrent.String() != "WebTorrent" || Client(200).String() != "other" {
		t.Fatal("names")
	}
}
