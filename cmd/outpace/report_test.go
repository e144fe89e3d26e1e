package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report wires its flags to the scoreboard and writes the file whole; the
// scoreboard's content is tested in bench/scoreboard.
func TestReportQuick(t *testing.T) {
	out := filepath.Join(t.TempDir(), "scoreboard.md")
	if err := os.WriteFile(out, []byte("old scoreboard\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := outpace(t, "report", "--quick", "--optimum=false", "-q", "--out", out, "--seeds", "1", "--eval-seeds", "2",
		"--scenarios", filepath.Join("..", "..", "bench", "scenarios"), "--only", "stress-smallteam")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{"# Pacing scoreboard", "outpace report --eval-seeds=2 --only=stress-smallteam", "--quick", "## Stress runs", "### stress-smallteam"} {
		if !strings.Contains(doc, want) {
			t.Errorf("scoreboard lacks %q", want)
		}
	}
	if strings.Contains(doc, "old scoreboard") || !strings.Contains(stdout, out) {
		t.Errorf("file not replaced, or not said:\n%s", stdout)
	}
}
