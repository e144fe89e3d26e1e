package sim

import (
	"os"
	"testing"
)

func loadFile(t testing.TB, path string, sets ...string) *Scenario {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseScenario(data, sets, os.DirFS("../bench/scenarios"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func run(t testing.TB, sc *Scenario) *Report {
	t.Helper()
	s, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSmokeS5(t *testing.T) {
	r := run(t, loadFile(t, "../bench/scenarios/S5.yaml"))
	t.Logf("%+v", *r)
}
