package main

import (
	"os"
	"testing"
)

// TestUpToDate fails when docs/state-machines.md no longer matches the
// definitions; regenerate it with the command in the package comment.
func TestUpToDate(t *testing.T) {
	const path = "../../docs/state-machines.md"
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := render(); string(got) != want {
		t.Fatalf("%s is stale; run go run ./internal/gendiagrams docs/state-machines.md", path)
	}
	if a, b := render(), render(); a != b {
		t.Fatal("render is not deterministic")
	}
}
