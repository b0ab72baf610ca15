package main

import (
	"testing"

	"go.uber.org/goleak"
)

// A run must stop every connection, sender and reader goroutine it started
// before it returns its result.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
