package signaling

import (
	"testing"

	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
)

// The public reasons are the engine's, value for value: the relay converts
// between them at the seam.
func TestCloseReasonsAreTheEngines(t *testing.T) {
	pairs := map[CloseReason]engine.CloseReason{
		CloseClient:        engine.CloseClient,
		CloseReadError:     engine.CloseReadError,
		CloseWriteError:    engine.CloseWriteError,
		CloseMessageTooBig: engine.CloseMessageTooBig,
		CloseSlowConsumer:  engine.CloseSlowConsumer,
		ClosePingTimeout:   engine.ClosePingTimeout,
		CloseAbuse:         engine.CloseAbuse,
		CloseShutdown:      engine.CloseShutdown,
		CloseRateLimited:   engine.CloseRateLimited,
		CloseIdle:          engine.CloseIdle,
		CloseInboxFull:     engine.CloseInboxFull,
		CloseInvalidUTF8:   engine.CloseInvalidUTF8,
	}
	for pub, eng := range pairs {
		if uint8(pub) != uint8(eng) {
			t.Errorf("%v is %d here and %d in the engine", eng, pub, eng)
		}
	}
	if rs := CloseReasons(); len(rs) != len(pairs) || len(engine.CloseReasons()) != len(pairs) {
		t.Errorf("%d reasons listed, %d in the engine, %d known here", len(rs), len(engine.CloseReasons()), len(pairs))
	}
}
