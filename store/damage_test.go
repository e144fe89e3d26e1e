package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// writeStore fills a data directory with a task and a thousand numbers and
// closes it, so that Badger leaves a table (.sst), a value log and a MANIFEST.
func writeStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st := openDisk(t, dir)
	task := store.Task{Spec: records.TaskSpec{Tenant: "acme", Name: "spring"}, Window: records.AlwaysOpen}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	src := func(yield func(records.Number, error) bool) {
		for i := range 1000 {
			if !yield(records.Number{Phone: fmt.Sprintf("+1415%07d", 2000000+i)}, nil) {
				return
			}
		}
	}
	if _, err := st.ImportStream(task.Spec.ID, src, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// files returns dir's files whose names end in suffix.
func files(t *testing.T, dir, suffix string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil || len(names) == 0 {
		t.Fatalf("no %s file in %s (%v)", suffix, dir, err)
	}
	return names
}

// TestOpenDamaged damages the files of a real data directory in the ways a
// disk, a copy or a hand can: Open reports each as ErrDamaged, naming the
// directory and saying what to do, and never panics or loses the tables by
// deleting them.
func TestOpenDamaged(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"truncated table", func(t *testing.T, dir string) {
			if err := os.Truncate(files(t, dir, ".sst")[0], 100); err != nil {
				t.Fatal(err)
			}
		}, "cannot be read"},
		{"random table", func(t *testing.T, dir string) {
			writeRandom(t, files(t, dir, ".sst")[0], 5000)
		}, "cannot be read"},
		{"empty table", func(t *testing.T, dir string) {
			if err := os.Truncate(files(t, dir, ".sst")[0], 0); err != nil {
				t.Fatal(err)
			}
		}, "cannot be read"},
		{"scrambled middle of a table", func(t *testing.T, dir string) {
			name := files(t, dir, ".sst")[0]
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for i := 100; i < len(b)-200; i++ {
				b[i] ^= 0x5a
			}
			if err := os.WriteFile(name, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "checksum"},
		{"missing table", func(t *testing.T, dir string) {
			if err := os.Remove(files(t, dir, ".sst")[0]); err != nil {
				t.Fatal(err)
			}
		}, "is missing"},
		{"garbage MANIFEST", func(t *testing.T, dir string) {
			writeRandom(t, filepath.Join(dir, "MANIFEST"), 300)
		}, "MANIFEST cannot be read"},
		{"MANIFEST cut short", func(t *testing.T, dir string) {
			if err := os.Truncate(filepath.Join(dir, "MANIFEST"), 20); err != nil {
				t.Fatal(err)
			}
		}, "MANIFEST is cut short"},
		{"missing MANIFEST", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "MANIFEST")); err != nil {
				t.Fatal(err)
			}
		}, "MANIFEST is missing"},
		{"random value log", func(t *testing.T, dir string) {
			writeRandom(t, files(t, dir, ".vlog")[0], 3000)
		}, "Badger cannot open it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeStore(t)
			c.damage(t, dir)
			before, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
			st, err := store.Open(store.Config{Dir: dir})
			if err == nil {
				st.Close()
				t.Fatal("opened a damaged directory")
			}
			if !errors.Is(err, store.ErrDamaged) {
				t.Fatalf("err = %v, want ErrDamaged", err)
			}
			msg := err.Error()
			first, rest, _ := strings.Cut(msg, "\n")
			if !strings.Contains(first, dir) || !strings.Contains(first, c.want) || !strings.Contains(rest, "backup") || !strings.Contains(rest, "lost") {
				t.Errorf("message:\n%s\nwant the directory, %q, a backup and what is lost", msg, c.want)
			}
			if strings.Count(msg, "\n") != 1 {
				t.Errorf("message has %d lines, want 2:\n%s", strings.Count(msg, "\n")+1, msg)
			}
			after, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
			if len(after) != len(before) {
				t.Errorf("tables %v became %v", before, after)
			}
		})
	}
}

// TestOpenWithoutValueLog opens a directory whose value log was removed: the
// numbers live in the tables, so Badger starts a new log and nothing is lost.
func TestOpenWithoutValueLog(t *testing.T) {
	dir := writeStore(t)
	for _, name := range files(t, dir, ".vlog") {
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
	st := openDisk(t, dir)
	defer st.Close()
	tasks, err := st.ListTasks("acme")
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks %v, err %v", tasks, err)
	}
	if nums, err := st.NextNumbers(tasks[0].Spec.ID, time.Now(), 2000, nil); err != nil || len(nums) != 1000 {
		t.Fatalf("%d numbers due, err %v; want 1000", len(nums), err)
	}
}

// TestOpenInUse refuses a directory another store holds open.
func TestOpenInUse(t *testing.T) {
	dir := t.TempDir()
	st := openDisk(t, dir)
	defer st.Close()
	_, err := store.Open(store.Config{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use") || errors.Is(err, store.ErrDamaged) {
		t.Fatalf("err = %v, want in use", err)
	}
}

func writeRandom(t *testing.T, name string, n int) {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOpenConfigNumbers refuses a negative InterruptedRetry instead of
// taking the default.
func TestOpenConfigNumbers(t *testing.T) {
	_, err := store.Open(store.Config{InMemory: true, InterruptedRetry: -time.Hour})
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Field != "store.interrupted_retry" {
		t.Fatalf("err = %v, want InvalidParams on store.interrupted_retry", err)
	}
}
