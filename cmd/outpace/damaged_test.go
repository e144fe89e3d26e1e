package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/store"
)

// TestDamagedStore runs serve and import on a data directory whose table
// was cut short: each fails with the store's message (the directory, what is
// wrong, what to do) instead of a panic on one of Badger's goroutines.
func TestDamagedStore(t *testing.T) {
	dir, _ := storeWithTask(t)
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(tables) == 0 {
		t.Fatal("no table written")
	}
	if err := os.Truncate(tables[0], 100); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(list, []byte("spring;+14155550100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"serve", "--data", dir, "--metrics", ""},
		{"import", "--data", dir, "--task", "1", list},
	} {
		c := rootCmd()
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(args)
		err := c.Execute()
		if !errors.Is(err, store.ErrDamaged) {
			t.Fatalf("%s: err = %v, want ErrDamaged", args[0], err)
		}
		if msg := err.Error(); !strings.Contains(msg, dir+" is damaged: table 000001.sst") || !strings.Contains(msg, "backup") {
			t.Errorf("%s: message %q", args[0], msg)
		}
		if strings.Contains(out.String(), "goroutine") {
			t.Errorf("%s printed a stack trace:\n%s", args[0], out.String())
		}
	}
}
