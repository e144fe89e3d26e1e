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

// TestDayEndReachesPacer: the simulated day is the task's calling window, so
// the predictive pacer knows when dialing stops and spends a young window's
// abandon budget over the day (records.PredictiveConfig.YoungWindow). Three
// agents with no history for two hours: switching the young window off
// changes the run, and both runs hold the cap.
func TestDayEndReachesPacer(t *testing.T) {
	path := "../bench/scenarios/stress-smallteam.yaml"
	on := run(t, loadFile(t, path, "task.pacing.mode=predictive"))
	off := run(t, loadFile(t, path, "task.pacing.mode=predictive", "task.pacing.predictive.young_window=-1s"))
	t.Logf("young window: occupancy %.4f abandon %.4f; off: occupancy %.4f abandon %.4f",
		on.Occupancy, on.AbandonRate, off.Occupancy, off.AbandonRate)
	if on.Dials == off.Dials && on.Occupancy == off.Occupancy {
		t.Errorf("the young window changed nothing: the day's end did not reach the pacer")
	}
	for _, r := range []*Report{on, off} {
		if r.MaxAbandonRate24h > 0.03 {
			t.Errorf("worst window %.4f, want at most 0.03", r.MaxAbandonRate24h)
		}
	}
}
