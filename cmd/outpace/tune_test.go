package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tiny (10 agents, one hour) and tinyMarkov (a Markov twin of 3 agents) are
// the simulator's test scenarios, shared with its own tests.
var (
	tiny       = fixture("small.yaml")
	tinyMarkov = fixture("tiny-markov.yaml")
)

func fixture(name string) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "sim", "testdata", name))
	if err != nil {
		panic(err)
	}
	return string(data)
}

func writeScenario(t *testing.T, yml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// outpace runs the command line in-process and returns stdout and stderr.
func outpace(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := rootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestTuneJSON(t *testing.T) {
	path := writeScenario(t, tiny)
	png := filepath.Join(t.TempDir(), "frontier.png")
	out, _, err := outpace(t, "tune", "--scenario", path, "--mode", "ratio", "--seeds", "2", "--json", "-q", "--plot", png)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(t, []byte(out)), ","); got != "best,cap,frontier,mode" {
		t.Fatalf("keys %s", got)
	}
	var res struct {
		Mode string  `json:"mode"`
		Cap  float64 `json:"cap"`
		Best struct {
			Setting string          `json:"setting"`
			Report  json.RawMessage `json:"report"`
		} `json:"best"`
		Frontier []struct {
			Setting     string   `json:"setting"`
			Occupancy   *float64 `json:"occupancy"`
			AbandonRate *float64 `json:"abandon_rate"`
		} `json:"frontier"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Mode != "ratio" || res.Cap != 0.03 || res.Best.Setting == "" || len(res.Frontier) < 2 {
		t.Fatalf("result %+v", res)
	}
	for i, f := range res.Frontier {
		if f.Setting == "" || f.Occupancy == nil || f.AbandonRate == nil {
			t.Fatalf("frontier point %d: %+v", i, f)
		}
		if i > 0 && *f.AbandonRate < *res.Frontier[i-1].AbandonRate {
			t.Errorf("frontier not sorted by abandon rate at %d", i)
		}
	}
	rk := keys(t, res.Best.Report)
	for _, want := range []string{"occupancy", "abandon_rate", "max_abandon_rate_24h", "slices", "setting"} {
		if !slices.Contains(rk, want) {
			t.Errorf("best report lacks %q", want)
		}
	}
	data, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("no PNG frontier written (%v)", err)
	}

	text, _, err := outpace(t, "tune", "-s", path, "-m", "progressive", "--seeds", "2", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "best: 1:1") {
		t.Errorf("text output:\n%s", text)
	}
}

// --values reaches the grid: only the values given run.
func TestTuneValues(t *testing.T) {
	out, _, err := outpace(t, "tune", "-s", writeScenario(t, tiny), "-m", "ratio", "--seeds", "1", "-q", "--values", "3:5", "--values", "1:1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, " 1:1 ") || !strings.Contains(out, " 3:5 ") || strings.Contains(out, " 5:6 ") {
		t.Errorf("settings run:\n%s", out)
	}
}

func TestTuneFlagErrors(t *testing.T) {
	path := writeScenario(t, tiny)
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"tune", "-s", path, "--mode", "turbo"}, "--mode"},
		{[]string{"tune", "-s", path}, "mode"},
		{[]string{"tune", "-s", path, "-m", "ratio", "--cap", "3"}, "--cap"},
		{[]string{"tune", "-s", path, "-m", "ratio", "--seeds", "0"}, "--seeds"},
		{[]string{"tune", "-s", path, "-m", "ratio", "--plot", "x.gif"}, "--plot"},
		{[]string{"tune", "-s", path, "-m", "ratio", "--values", "2:3,1:40"}, "--values"},
		{[]string{"compare", "-s", path, "--modes", "ratio,turbo"}, "--modes"},
		{[]string{"compare", "-s", path, "--eval-seeds", "0"}, "--eval-seeds"},
		{[]string{"tune", "-s", path, "-m", "ratio", "--workers", "-1"}, "--workers"},
		{[]string{"report", "--only", "S9", "--out", filepath.Join(t.TempDir(), "b.md")}, "--only"},
		{[]string{"bound", "-s", path, "--exact"}, "--exact"},
		{[]string{"bound", "-s", path, "--simulate", "-1"}, "--simulate"},
		{[]string{"bound", "-s", path, "--cap", "0"}, "--cap"},
		{[]string{"bound", "-s", path, "--plot", "policy.gif"}, "--plot"},
	} {
		_, _, err := outpace(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%v: error %v, want one naming %s", c.args, err, c.flag)
		}
	}
}

// The root lists every subcommand, and each one's --help teaches: an
// example of its use and a long description.
func TestHelpTeaches(t *testing.T) {
	want := []string{"backend", "bound", "compare", "ctl", "import", "report", "serve", "sim", "tune"}
	var got []string
	for _, c := range rootCmd().Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			got = append(got, c.Name())
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("subcommands %v, want %v", got, want)
	}
	for _, cmd := range want {
		out, _, err := outpace(t, cmd, "--help")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "Examples:") || !strings.Contains(out, "outpace "+cmd) || len(out) < 800 {
			t.Errorf("%s --help is thin:\n%s", cmd, out)
		}
	}
}
