package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestImportList imports a seed-001 list with one bad line in 10 000 into the
// demo task of a store: the bad line is reported with its line number and
// field, every good line is stored, and a second import finds only duplicates.
func TestImportList(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // create the demo campaign, serve nothing
	quiet := &cobra.Command{}
	quiet.SetOut(&bytes.Buffer{})
	quiet.SetErr(&bytes.Buffer{})
	if err := serve(ctx, nil, serveFlags{data: dir, speed: 1, numbers: 1, every: time.Hour, sets: []string{"task.pacing.mode=progressive"}}, quiet); err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	for i := 0; i < 10000; i++ {
		if i == 5000 {
			list.WriteString("spring;+1 415 55x 0000\n")
			continue
		}
		fmt.Fprintf(&list, "spring;+1415%07d;userid=%d;;%d\n", 3000000+i, i, i%3)
	}
	file := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(file, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() string {
		var out bytes.Buffer
		c := rootCmd()
		c.SetOut(&out)
		c.SetErr(&bytes.Buffer{})
		c.SetArgs([]string{"import", "--data", dir, "--task", "1", file})
		if err := c.Execute(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	first := run()
	if !strings.Contains(first, "9999 numbers stored, 1 invalid, 0 duplicates") || !strings.Contains(first, "line 5001: number") {
		t.Fatalf("first import:\n%s", first)
	}
	if second := run(); !strings.Contains(second, "0 numbers stored, 1 invalid, 9999 duplicates") {
		t.Fatalf("second import:\n%s", second)
	}
}
