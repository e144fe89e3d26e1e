package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/records"
	server "github.com/outpace-dev/outpace/serve"
	"github.com/outpace-dev/outpace/store"
)

// TestImportList imports a seed-001 list with one bad line in 10 000 into the
// demo task of a store: the bad line is reported with its line number and
// field, every good line is stored, and a second import finds only duplicates.
func TestImportList(t *testing.T) {
	dir := t.TempDir()
	if err := server.SetUp(context.Background(), server.Config{Data: dir, Numbers: 1}); err != nil {
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

// runImport runs outpace import with args and returns its output and error.
func runImport(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	c := rootCmd()
	c.SetOut(&out)
	c.SetErr(&bytes.Buffer{})
	c.SetArgs(append([]string{"import"}, args...))
	err := c.Execute()
	return out.String(), err
}

// TestImportNoStore imports into a missing directory and into an empty one:
// both fail, naming --data, and neither gets a store.
func TestImportNoStore(t *testing.T) {
	list := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(list, []byte("spring;+14155550100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	empty := t.TempDir()
	for _, dir := range []string{missing, empty} {
		_, err := runImport(t, "--data", dir, "--task", "1", list)
		if err == nil || !strings.Contains(err.Error(), "--data "+dir+": no store there") {
			t.Errorf("import into %s: err = %v", dir, err)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("import created %s (stat: %v)", missing, err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("import wrote %d files into the empty directory", len(entries))
	}
}

// TestImportNothingStored imports a list of bad lines: the report lists
// them and the command fails with their count; a list the task already holds
// in full is no failure.
func TestImportNothingStored(t *testing.T) {
	dir, task := storeWithTask(t)
	write := func(text string) string {
		name := filepath.Join(t.TempDir(), "list.txt")
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	id := fmt.Sprint(task)
	out, err := runImport(t, "--data", dir, "--task", id, "--campaign", "spring", write("spring;12\nspring;+1 415 55x 0000\nautumn;+14155550100\n"))
	if err == nil || !strings.Contains(err.Error(), "no number imported into task "+id+": 3 lines read, 2 invalid, 1 of other campaigns") {
		t.Fatalf("all bad: err = %v\n%s", err, out)
	}
	if !strings.Contains(out, "0 numbers stored, 2 invalid") || !strings.Contains(out, "entry 2:") {
		t.Errorf("all bad: report\n%s", out)
	}
	good := write("spring;+14155550100\n")
	for i := range 2 {
		if out, err := runImport(t, "--data", dir, "--task", id, good); err != nil {
			t.Fatalf("good list, run %d: %v\n%s", i+1, err, out)
		}
	}
}

// storeWithTask returns a closed store's directory holding one always-open
// task of the demo tenant, and that task's id.
func storeWithTask(t *testing.T) (string, records.TaskID) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	task := store.Task{Spec: records.TaskSpec{Tenant: demoTenant, Name: "spring"}, Window: records.AlwaysOpen}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, task.Spec.ID
}
