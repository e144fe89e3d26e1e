package archtest

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

var update = flag.Bool("update", false, "rewrite the import table of ARCHITECTURE.md from allow.go")

const module = "github.com/outpace-dev/outpace"

// root is the module's directory: this package lives two levels below it.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// load loads the packages matching patterns (tests excluded) from the
// module's root, failing the test on any load or type error.
func load(t *testing.T, mode packages.LoadMode, patterns ...string) []*packages.Package {
	t.Helper()
	cfg := &packages.Config{Mode: mode, Dir: root(t)}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("packages did not load")
	}
	return pkgs
}

// rel is a package's path inside the module, or "" for another module's.
func rel(path string) string {
	if path == module {
		return "."
	}
	r, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	return r
}

// std tells the standard library's packages: their first element has no dot.
func std(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// under tells whether path is prefix or a package below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func inTrees(pkgRel string, trees []string) bool {
	return slices.ContainsFunc(trees, func(tree string) bool { return under(pkgRel, tree) })
}

// TestImports checks every package's imports against allow.go, and that the
// restricted trees reach none of the forbidden packages, directly or not.
func TestImports(t *testing.T) {
	pkgs := load(t, packages.NeedName|packages.NeedImports|packages.NeedDeps, "./...")
	seen := map[string]bool{}
	for _, p := range pkgs {
		r := rel(p.PkgPath)
		seen[r] = true
		may, listed := allowed[r]
		if !listed {
			t.Errorf("%s is not in internal/archtest/allow.go: add a line naming what it may import", r)
		}
		for imp := range p.Imports {
			if std(imp) {
				continue
			}
			if ir := rel(imp); ir != "" {
				if listed && !slices.Contains(may, ir) {
					t.Errorf("%s imports %s, which internal/archtest/allow.go does not allow", r, ir)
				}
				continue
			}
			if listed && !slices.ContainsFunc(may, func(m string) bool { return under(imp, m) }) {
				t.Errorf("%s imports %s, which internal/archtest/allow.go does not allow", r, imp)
			}
		}
		if inTrees(r, restricted) {
			for _, f := range forbiddenDeps(p) {
				t.Errorf("%s imports %s", r, f)
			}
		}
	}
	for r := range allowed {
		if !seen[r] {
			t.Errorf("internal/archtest/allow.go names %s, which is not a package of the module", r)
		}
	}
}

// forbiddenDeps returns the forbidden packages p imports: directly any of
// them, through its dependencies any but os and syscall, which fmt needs.
func forbiddenDeps(p *packages.Package) []string {
	var bad []string
	for imp := range p.Imports {
		if slices.ContainsFunc(forbidden, func(f string) bool { return under(imp, f) }) {
			bad = append(bad, imp)
		}
	}
	seen := map[string]bool{}
	var walk func(q *packages.Package)
	walk = func(q *packages.Package) {
		for path, dep := range q.Imports {
			if seen[path] {
				continue
			}
			seen[path] = true
			if path != "os" && !under(path, "syscall") && slices.ContainsFunc(forbidden, func(f string) bool { return under(path, f) }) {
				bad = append(bad, path+" (through "+q.PkgPath+")")
			}
			walk(dep)
		}
	}
	walk(p)
	sort.Strings(bad)
	return slices.Compact(bad)
}

// A finding is one thing the core must not do, at its position.
type finding struct {
	pos  token.Position
	what string
}

// timeBanned are the functions of package time that read the clock or wait
// on it; timeTypes its timers, which only those functions make.
var (
	timeBanned = map[string]string{
		"Now": "a clock read", "Since": "a clock read", "Until": "a clock read",
		"Sleep": "a sleep", "After": "a timer", "Tick": "a timer", "NewTimer": "a timer",
		"NewTicker": "a timer", "AfterFunc": "a timer",
	}
	timeTypes = map[string]bool{"Timer": true, "Ticker": true}
)

// banned tells why obj, an object a core package refers to, is not for the
// core, or "" if it is.
func banned(obj types.Object) string {
	if obj.Pkg() == nil {
		return ""
	}
	path, name := obj.Pkg().Path(), obj.Name()
	switch o := obj.(type) {
	case *types.Func:
		o = o.Origin()
		if o.Signature().Recv() != nil {
			if path == "sync" && name == "Go" { // (*sync.WaitGroup).Go
				return "a goroutine"
			}
			return "" // any other method: its receiver came from somewhere checked
		}
		switch path {
		case "context":
			// A context with a deadline runs a timer; AfterFunc a goroutine.
			switch name {
			case "WithTimeout", "WithTimeoutCause", "WithDeadline", "WithDeadlineCause":
				return "a timer"
			case "AfterFunc":
				return "a goroutine"
			}
		case "hash/maphash":
			if name == "MakeSeed" {
				return "the global random source"
			}
		case "time":
			return timeBanned[name]
		case "math/rand", "math/rand/v2":
			// The constructors of seeded sources (New, NewPCG, NewSource,
			// NewZipf …) are what the core is given; every other
			// package-level function draws from the global source.
			if !strings.HasPrefix(name, "New") {
				return "the global random source"
			}
		case "crypto/rand":
			return "the global random source"
		}
	case *types.TypeName:
		if path == "time" && timeTypes[name] {
			return "a timer"
		}
	case *types.Var:
		if path == "crypto/rand" {
			return "the global random source"
		}
	}
	return ""
}

// randomOrder tells whether ranging over x visits a map in the runtime's
// random order: a map itself, or maps.All, maps.Keys or maps.Values of one
// (slices.Sorted(maps.Keys(m)) is in order).
func randomOrder(info *types.Info, x ast.Expr) bool {
	if _, ok := info.TypeOf(x).Underlying().(*types.Map); ok {
		return true
	}
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return false
	}
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	case *ast.IndexExpr: // maps.Keys[M]
		if sel, ok := fun.X.(*ast.SelectorExpr); ok {
			id = sel.Sel
		}
	case *ast.IndexListExpr: // maps.All[M, K, V]
		if sel, ok := fun.X.(*ast.SelectorExpr); ok {
			id = sel.Sel
		}
	}
	if id == nil {
		return false
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "maps" {
		return false
	}
	switch fn.Name() {
	case "All", "Keys", "Values":
		return true
	}
	return false
}

// impurities returns what the non-test sources of pkgs must not do: refer to
// a banned object by whatever name, start a goroutine, or range over a map,
// whose order the runtime draws at random.
func impurities(pkgs []*packages.Package) []finding {
	var out []finding
	for _, p := range pkgs {
		for id, obj := range p.TypesInfo.Uses {
			if why := banned(obj); why != "" {
				out = append(out, finding{p.Fset.Position(id.Pos()), fmt.Sprintf("%s (%s.%s)", why, obj.Pkg().Path(), obj.Name())})
			}
		}
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					out = append(out, finding{p.Fset.Position(n.Pos()), "a goroutine"})
				case *ast.RangeStmt:
					if randomOrder(p.TypesInfo, n.X) {
						out = append(out, finding{p.Fset.Position(n.Pos()), "a map's random order (range over slices.Sorted(maps.Keys(m)))"})
					}
				}
				return true
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].pos, out[j].pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}

const typed = packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedSyntax

// TestCoreIsPure checks that the core reads no clock, sleeps on no timer,
// starts no goroutine and draws from no global random source, a map's
// iteration order included.
func TestCoreIsPure(t *testing.T) {
	var patterns []string
	for _, tree := range core {
		if _, err := os.Stat(filepath.Join(root(t), tree)); err == nil {
			patterns = append(patterns, "./"+tree+"/...")
		}
	}
	for _, f := range impurities(load(t, typed, patterns...)) {
		if r, err := filepath.Rel(root(t), f.pos.Filename); err == nil {
			f.pos.Filename = r
		}
		t.Errorf("%s: %s in the deterministic core", f.pos, f.what)
	}
}

var want = regexp.MustCompile(`// want "([^"]*)"`)

// TestCoreIsPureCatches runs the check on testdata/impure, whose lines
// marked `// want "…"` each hide a clock read, a timer, a goroutine or the
// global random source under another name, and whose other lines are
// allowed: each marked line must be found with that text, and nothing else.
func TestCoreIsPureCatches(t *testing.T) {
	pkgs := load(t, typed, "./internal/archtest/testdata/impure")
	expected := map[string]string{}
	for _, p := range pkgs {
		for _, name := range p.GoFiles {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(src), "\n") {
				if m := want.FindStringSubmatch(line); m != nil {
					expected[filepath.Base(name)+":"+strconv.Itoa(i+1)] = m[1]
				}
			}
		}
	}
	if len(expected) == 0 {
		t.Fatal("testdata/impure marks no line")
	}
	got := map[string][]string{}
	for _, f := range impurities(pkgs) {
		key := filepath.Base(f.pos.Filename) + ":" + strconv.Itoa(f.pos.Line)
		got[key] = append(got[key], f.what)
	}
	for key, w := range expected {
		if !slices.ContainsFunc(got[key], func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("%s: want %q, found %q", key, w, got[key])
		}
	}
	for key, g := range got {
		if _, ok := expected[key]; !ok {
			t.Errorf("%s: found %q on a line that is allowed", key, g)
		}
	}
}

// The import table of ARCHITECTURE.md sits between these lines.
const (
	tableBegin = "<!-- begin imports: generated from internal/archtest/allow.go by `go test ./internal/archtest -update` -->"
	tableEnd   = "<!-- end imports -->"
)

// table prints allow.go as markdown.
func table() string {
	var b strings.Builder
	b.WriteString("| package | may import, besides the standard library |\n|---|---|\n")
	names := make([]string, 0, len(allowed))
	for n := range allowed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var own, other []string
		for _, m := range allowed[n] {
			if std(m) { // the module's own: no dot in the first element
				own = append(own, m)
			} else {
				other = append(other, m)
			}
		}
		sort.Strings(own)
		sort.Strings(other)
		for i, m := range own {
			own[i] = "`" + m + "`"
		}
		cell := strings.Join(append(own, other...), ", ")
		if cell == "" {
			cell = "—"
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, cell)
	}
	return b.String()
}

// TestArchitectureDoc checks that ARCHITECTURE.md prints allow.go; -update
// rewrites its table.
func TestArchitectureDoc(t *testing.T) {
	path := filepath.Join(root(t), "ARCHITECTURE.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := bytes.Cut(doc, []byte(tableBegin+"\n"))
	_, after, ok2 := bytes.Cut(rest, []byte(tableEnd))
	if !ok1 || !ok2 {
		t.Fatalf("ARCHITECTURE.md lacks the lines %q and %q around its import table", tableBegin, tableEnd)
	}
	fresh := slices.Concat(before, []byte(tableBegin+"\n"+table()+tableEnd), after)
	if bytes.Equal(fresh, doc) {
		return
	}
	if !*update {
		t.Fatal("ARCHITECTURE.md's import table differs from internal/archtest/allow.go: run go test ./internal/archtest -update")
	}
	if err := os.WriteFile(path, fresh, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPackageComments checks that every package has exactly one package comment.
func TestPackageComments(t *testing.T) {
	root := root(t)
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
