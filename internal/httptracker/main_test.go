package httptracker

import (
	"testing"

	"go.uber.org/goleak"
)

// The interop tests start HTTP servers and clients; none may outlive them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
