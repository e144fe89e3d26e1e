package scoreboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/sim/tune"
)

func TestNames(t *testing.T) {
	all, err := Names(nil, false)
	if err != nil || len(all) != 16 || all[0] != "S1" || all[15] != "stress-smallteam" {
		t.Errorf("every scenario: %v, %v", all, err)
	}
	if q, _ := Names(nil, true); strings.Join(q, ",") != "S1,S1-markov,stress-smallteam" {
		t.Errorf("quick: %v", q)
	}
	if got, err := Names([]string{" S3.yaml", "", "S3-markov"}, true); err != nil || strings.Join(got, ",") != "S3,S3-markov" {
		t.Errorf("only: %v, %v", got, err)
	}
	if _, err := Names([]string{"S9"}, false); err == nil || !strings.Contains(err.Error(), "only") || !strings.Contains(err.Error(), "S9") {
		t.Errorf("unknown scenario: %v", err)
	}
	// Every scenario of the scoreboard has its file.
	if _, err := Load(filepath.Join("..", "scenarios"), all, true); err != nil {
		t.Error(err)
	}
}

// A scoreboard of two short scenarios, one a Markov twin, renders every
// group they belong to, each mode's row, the reference and the optimum,
// and replaces the file whole.
func TestMarkdown(t *testing.T) {
	scs, err := Load(filepath.Join("..", "scenarios"), []string{"S1", "S1-markov"}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		sc.Duration, sc.Warmup = 20*time.Minute, 0
	}
	tn := &tune.Tuner{Seeds: 1, EvalSeeds: 2}
	cmps, err := Run(tn, scs)
	if err != nil {
		t.Fatal(err)
	}
	doc := Markdown(cmps, scs, tn, Meta{Command: "outpace report --quick", Date: "2026-01-02 03:04 UTC", Machine: Machine(), Quick: true})
	for _, want := range []string{
		"# Pacing scoreboard\n", "make pacing-report", "Smoke run", "outpace report --quick", "GOMAXPROCS=",
		"## Realistic scenarios", "## Markov twins", "### S1\n", "### S1-markov\n", "Optimum at the cap: **",
		"| predictive |", "| closedform |", " 82.0 % |", "tuning seeds s … s+0",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("scoreboard lacks %q", want)
		}
	}
	if strings.Contains(doc, "## Stress runs") {
		t.Error("a group without a scenario run is rendered")
	}

	path := filepath.Join(t.TempDir(), "scoreboard.md")
	if err := os.WriteFile(path, []byte("old scoreboard, longer than the new one"+strings.Repeat(".", len(doc))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, doc); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != doc {
		t.Errorf("file not replaced whole (%v)", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v (%v), want 0644", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("%d files left beside the scoreboard", len(ents))
	}
}
