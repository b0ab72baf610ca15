package bittorrent

import "testing"

func TestIDsPrintAsLowercaseHex(t *testing.T) {
	var ih InfoHash
	ih[0], ih[19] = 0xAB, 0x01
	if got, want := ih.String(), "ab00000000000000000000000000000000000001"; got != want {
		t.Errorf("InfoHash: %s, want %s", got, want)
	}
	p := PeerID([]byte("-WW0300-abcdefghijkl"))
	if got, want := p.String(), "2d5757303330302d6162636465666768696a6b6c"; got != want {
		t.Errorf("PeerID: %s, want %s", got, want)
	}
}

func TestLabels(t *testing.T) {
	for e, want := range map[Event]string{EventUpdate: "update", EventStarted: "started", EventCompleted: "completed", EventStopped: "stopped", Event(9): "unknown"} {
		if got := e.String(); got != want {
			t.Errorf("Event(%d): %q, want %q", e, got, want)
		}
	}
	var got []string
	for _, tr := range Transports() {
		got = append(got, tr.String())
	}
	if len(got) != 3 || got[0] != "ws" || got[1] != "http" || got[2] != "udp" || Transport(0).String() != "unknown" {
		t.Errorf("transports %v", got)
	}
}

// Failure codes are distinct snake_case labels; unknown ones read "other".
func TestFailureLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range FailureCodes() {
		l := c.String()
		if l == "" || seen[l] {
			t.Errorf("code %d: label %q empty or taken", c, l)
		}
		for _, r := range l {
			if (r < 'a' || r > 'z') && r != '_' {
				t.Errorf("code %d: label %q is not snake_case", c, l)
			}
		}
		seen[l] = true
	}
	if FailureCode(200).String() != "other" || FailureRateLimited.String() != "rate_limited" {
		t.Error("labels")
	}
}
