package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportQuick(t *testing.T) {
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	before := "# Benchmarks\n\nHand-written intro.\n\n" + reportStart + "\nold table\n" + reportEnd + "\n\n## Notes\nkept\n"
	if err := os.WriteFile(out, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := outpace(t, "report", "--quick", "--optimum=false", "-q", "--out", out,
		"--scenarios", filepath.Join("..", "..", "bench", "scenarios"), "--only", "S1,S1-markov,stress-smallteam")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{
		"Hand-written intro.", "## Notes\nkept", "## Pacing scoreboard", "outpace report", "GOMAXPROCS=",
		"### Realistic scenarios", "### Markov twins", "### Stress runs", "#### S1-markov", "| predictive |", "| closedform |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(doc, "old table") || strings.Count(doc, reportStart) != 1 || strings.Count(doc, reportEnd) != 1 {
		t.Errorf("section not replaced:\n%s", doc)
	}
}

func TestSpliceSection(t *testing.T) {
	if got := spliceSection("", "x"); got != "# Benchmarks\n\n"+reportStart+"\nx\n"+reportEnd+"\n" {
		t.Errorf("new file: %q", got)
	}
	if got := spliceSection("# B\n\ntext\n", "x"); !strings.HasPrefix(got, "# B\n\ntext\n\n"+reportStart) {
		t.Errorf("no markers: %q", got)
	}
	doc := "a\n" + reportStart + "\nold\n" + reportEnd + "\nb\n"
	if got := spliceSection(doc, "new\n"); got != "a\n"+reportStart+"\nnew\n"+reportEnd+"\nb\n" {
		t.Errorf("markers: %q", got)
	}
}
