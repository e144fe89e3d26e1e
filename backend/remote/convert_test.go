package remote

import (
	"testing"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

// A failure crosses the protocol with its outcome and both its causes.
func TestFailureRoundTrip(t *testing.T) {
	for _, in := range []engine.Event{
		{Kind: engine.EvFailed, Call: 7, Outcome: records.OutcomeInvalid, Cause: 10004, EarlyCause: 119},
		{Kind: engine.EvFailed, Call: 8, Outcome: records.OutcomeNoAnswer, Cause: 10005, EarlyCause: 105},
		{Kind: engine.EvFailed, Call: 9, Outcome: records.OutcomeBusy, Cause: 10006},
	} {
		m := fromEvent(&in)
		out, ok := toEvent(m.GetEvent())
		if !ok || out.Kind != in.Kind || out.Call != in.Call || out.Outcome != in.Outcome || out.Cause != in.Cause || out.EarlyCause != in.EarlyCause {
			t.Errorf("%+v came back as %+v (ok %v)", in, out, ok)
		}
	}
}
