// Package archtest holds the architecture tests: which packages may import
// what, and that every package documents itself once.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The deterministic core and the simulator never touch the network, the file
// system, gRPC or the store. The core (engine, fsm, pacing) also never reads a
// clock or starts goroutines; see TestCoreIsPure.
var forbidden = map[string][]string{
	"engine": {"net", "os", "google.golang.org/grpc", "github.com/dgraph-io/badger"},
	"fsm":    {"net", "os", "google.golang.org/grpc", "github.com/dgraph-io/badger"},
	"pacing": {"net", "os", "google.golang.org/grpc", "github.com/dgraph-io/badger"},
	"sim":    {"net", "os", "google.golang.org/grpc", "github.com/dgraph-io/badger"},
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// TestImports checks the imports of every package under the restricted trees
// (tests excluded): directly, none of the forbidden packages; transitively,
// nothing but the standard library's own use of os (fmt needs it).
func TestImports(t *testing.T) {
	root := repoRoot(t)
	for dir, bad := range forbidden {
		for _, mode := range []string{"direct", "deps"} {
			args := []string{"list", "-f", "{{join .Imports \"\\n\"}}", "./" + dir + "/..."}
			if mode == "deps" {
				args = []string{"list", "-deps", "-f", "{{.ImportPath}}", "./" + dir + "/..."}
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list %s: %v", dir, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, b := range bad {
					if mode == "deps" && b == "os" {
						continue
					}
					if dep == b || strings.HasPrefix(dep, b+"/") {
						t.Errorf("%s/... imports %s (%s)", dir, dep, mode)
					}
				}
			}
		}
	}
}

// TestCoreIsPure scans the non-test sources of the core for clock reads,
// goroutines and the global random source.
func TestCoreIsPure(t *testing.T) {
	root := repoRoot(t)
	banned := []string{"time.Now(", "time.Since(", "time.Sleep(", "time.After(", "time.Tick(", "time.NewTimer(", "go func", "rand.Int", "rand.Float", "rand.Seed(", "rand.Shuffle("}
	for _, dir := range []string{"engine", "fsm", "pacing"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "/internal/") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(src), "\n") {
				code, _, _ := strings.Cut(line, "//")
				for _, b := range banned {
					if strings.Contains(code, b) && !strings.Contains(code, "r.") {
						t.Errorf("%s:%d: %q in the deterministic core", path, i+1, b)
					}
				}
				if strings.HasPrefix(strings.TrimSpace(code), "go ") {
					t.Errorf("%s:%d: goroutine in the deterministic core", path, i+1)
				}
			}
			return nil
		})
	}
}

// TestPackageComments checks that every package has exactly one package comment.
func TestPackageComments(t *testing.T) {
	root := repoRoot(t)
	dirs := map[string]int{}
	seen := map[string]bool{}
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		seen[dir] = true
		if f.Doc != nil {
			dirs[dir]++
		}
		return nil
	})
	for dir := range seen {
		rel, _ := filepath.Rel(root, dir)
		switch n := dirs[dir]; {
		case n == 0:
			t.Errorf("%s has no package comment", rel)
		case n > 1:
			t.Errorf("%s has %d package comments; want one", rel, n)
		}
	}
}
