package sim

import "testing"

// TestPredictiveShort runs two hours of S3 and of its Markov twin with the
// predictive pacer: the abandon rate must hold the 3 % target and the
// occupancy must beat progressive dialing on the same customers.
func TestPredictiveShort(t *testing.T) {
	for _, name := range []string{"S3", "S3-markov"} {
		t.Run(name, func(t *testing.T) {
			path := "../bench/scenarios/" + name + ".yaml"
			prog := run(t, loadFile(t, path, "duration=2h", "task.pacing.mode=progressive"))
			pred := run(t, loadFile(t, path, "duration=2h", "task.pacing.mode=predictive", "task.pacing.abandon_target=0.03"))
			t.Logf("progressive: occupancy %.4f abandon %.4f; predictive: occupancy %.4f abandon %.4f (%d of %d)",
				prog.Occupancy, prog.AbandonRate, pred.Occupancy, pred.AbandonRate, pred.Abandoned, pred.LiveAnswers)
			if pred.AbandonRate > 0.03 || pred.MaxAbandonRate24h > 0.03 {
				t.Errorf("abandon rate %.4f (worst window %.4f), want at most 0.03", pred.AbandonRate, pred.MaxAbandonRate24h)
			}
			if pred.Occupancy <= prog.Occupancy {
				t.Errorf("occupancy %.4f, not above progressive's %.4f", pred.Occupancy, prog.Occupancy)
			}
			if pred.LiveAnswers == 0 || pred.Connected == 0 {
				t.Errorf("implausible report: %+v", pred)
			}
		})
	}
}
