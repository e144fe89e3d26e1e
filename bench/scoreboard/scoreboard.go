// Package scoreboard is the pacing scoreboard: which benchmark scenarios it
// runs, in which groups, against which reference figures, and how it renders
// them. Run compares every pacing mode, each fairly tuned to the abandon
// cap, on each scenario (package sim/tune); Markdown renders the results as
// the whole of bench/scoreboard.md, which Write replaces in one rename so
// that an interrupted run leaves the last scoreboard whole.
package scoreboard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/tune"
)

// Group is a group of scenarios reported together, under a title and a note
// that says what they are and what the extra column means.
type Group struct {
	// Kind selects the group's extra column: KindRealistic has the
	// reference occupancy, KindMarkov the optimum, KindStress none.
	Kind      Kind
	Title     string
	Note      string
	Scenarios []string
}

// Kind is what a group's scenarios are.
type Kind uint8

// Kinds of group.
const (
	KindRealistic Kind = iota
	KindMarkov
	KindStress
)

// Groups lists the scenarios of the scoreboard by group, in order. Their
// files are bench/scenarios/<name>.yaml.
var Groups = []Group{
	{KindRealistic, "Realistic scenarios",
		"BENCHMARK.md's six archetypes. *reference* is the occupancy of the simple \"live answers in flight = idle agents\" rule, tuned, from BENCHMARK.md: the predictive pacer must beat it.",
		[]string{"S1", "S2", "S3", "S4", "S5", "S6"}},
	{KindMarkov, "Markov twins",
		"Only live and busy outcomes, exponential times, no wrap-up, no wait for an agent. *optimum* is the highest occupancy any pacer can reach at the cap (`outpace bound`); gaps are 1 − occupancy / optimum.",
		[]string{"S1-markov", "S2-markov", "S3-markov", "S4-markov", "S5-markov", "S6-markov"}},
	{KindStress, "Stress runs",
		"S3 with the hit rate halved from 2 h to 5 h (stress-hitrate), with 6 of 30 agents logged out from 2 h to 2 h 30 (stress-logout), with talk times of cv 1.5 (stress-heavytail); S1 cut to 3 agents and 2 h with no warm-up, so no history (stress-smallteam). Scenario files in bench/scenarios/stress-*.yaml.",
		[]string{"stress-hitrate", "stress-logout", "stress-heavytail", "stress-smallteam"}},
}

// QuickScenarios are the scenarios of a smoke run (Config.Quick).
var QuickScenarios = []string{"S1", "S1-markov", "stress-smallteam"}

// QuickDuration is the longest a scenario of a smoke run lasts.
const QuickDuration = time.Hour

// ReferenceOccupancy is BENCHMARK.md's reference column: the occupancy of
// the simple rule "live answers in flight = idle agents", tuned, on the
// realistic scenarios.
var ReferenceOccupancy = map[string]float64{
	"S1": 0.820, "S2": 0.873, "S3": 0.918, "S4": 0.961, "S5": 0.944, "S6": 0.979,
}

// Names returns the scenarios to run: only's (with or without ".yaml"), or
// every scenario of Groups, or QuickScenarios when quick. An unknown name is
// an InvalidParams error naming "only".
func Names(only []string, quick bool) ([]string, error) {
	var all []string
	for _, g := range Groups {
		all = append(all, g.Scenarios...)
	}
	if len(only) == 0 {
		if quick {
			return append([]string(nil), QuickScenarios...), nil
		}
		return all, nil
	}
	var out []string
	for _, n := range only {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".yaml")
		if n == "" {
			continue
		}
		known := false
		for _, a := range all {
			known = known || a == n
		}
		if !known {
			return nil, apierr.Invalid("only", "unknown scenario %q (want some of %s)", n, strings.Join(all, ", "))
		}
		out = append(out, n)
	}
	return out, nil
}

// Load reads the scenarios names from dir (<name>.yaml each); quick cuts
// each to at most QuickDuration.
func Load(dir string, names []string, quick bool) ([]*sim.Scenario, error) {
	scs := make([]*sim.Scenario, len(names))
	for i, n := range names {
		path := filepath.Join(dir, n+".yaml")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sc, err := sim.ParseScenario(data, nil, os.DirFS(dir))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if quick && sc.Duration > QuickDuration {
			sc.Duration = QuickDuration
		}
		scs[i] = sc
	}
	return scs, nil
}

// Run compares every mode of tune.Modes on each scenario, all at once on
// the tuner's pool; the comparisons come back in the scenarios' order.
func Run(t *tune.Tuner, scs []*sim.Scenario) ([]tune.Comparison, error) {
	cmps := make([]tune.Comparison, len(scs))
	errs := make([]error, len(scs))
	var wg sync.WaitGroup
	for i, sc := range scs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmps[i], errs[i] = t.Compare(sc, nil)
		}()
	}
	wg.Wait()
	return cmps, errors.Join(errs...)
}

// Meta is what the scoreboard says of its own making.
type Meta struct {
	// Command is the command line that reproduces the scoreboard.
	Command string
	// Date is when the run started, e.g. "2026-11-22 14:05 UTC".
	Date string
	// Machine describes the machine (Machine()).
	Machine string
	// Elapsed is how long the run took.
	Elapsed time.Duration
	// Quick marks a smoke run, whose figures are not results.
	Quick bool
}

// Machine describes the machine the scoreboard runs on: the Go scheduler's
// processors, the CPUs, the platform and the Go version.
func Machine() string {
	return fmt.Sprintf("GOMAXPROCS=%d, %d CPUs, %s/%s, %s", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// Markdown renders the scoreboard of the comparisons cmps of the scenarios
// scs (in the same order), tuned by t, as a whole Markdown document: how
// the modes were tuned, then per group a summary of each mode's occupancy
// per scenario, then per scenario every mode's figures.
func Markdown(cmps []tune.Comparison, scs []*sim.Scenario, t *tune.Tuner, m Meta) string {
	var b bytes.Buffer
	byName := map[string]int{}
	for i, c := range cmps {
		byName[c.Scenario] = i
	}
	fmt.Fprintf(&b, "# Pacing scoreboard\n\n")
	fmt.Fprintf(&b, "This file is generated: `make pacing-report` rewrites all of it.\n\n")
	if m.Quick {
		fmt.Fprintf(&b, "**Smoke run (--quick): short scenarios and few seeds; not a result.**\n\n")
	}
	fmt.Fprintf(&b, "Generated on %s by\n\n    %s\n\non %s, in %s (`make pacing-report` runs it with the defaults).\n\n", m.Date, m.Command, m.Machine, m.Elapsed)
	fmt.Fprintf(&b, "Every mode is tuned fairly to an abandon cap of %.3g %%: its main knob is swept (see `outpace tune --help`) on tuning seeds "+
		"s … s+%d (s = the scenario's seed), and the best setting is the one with the highest mean occupancy whose worst 24 h abandon window stays "+
		"at or under the cap in at least 19 of 20 seeds (on every seed, with fewer than 20) and is predicted to on a fresh seed "+
		"(the 95 %% upper prediction bound of a fresh seed's worst window, from the tuning seeds' mean and spread, at or under the cap). That setting is then run on %d fresh evaluation seeds "+
		"(s+100 …); the figures below are means over them, with 95 %% confidence intervals (Student's t). Every mode meets the same customers "+
		"on a given seed (common random numbers). *worst 24 h* is the highest worst-window abandon rate over the evaluation seeds, "+
		"*over cap* the number of evaluation seeds whose worst window broke the cap. A setting marked ! is the least bad of a sweep in which "+
		"no setting met the cap on the tuning seeds; an occupancy marked † broke the cap on more evaluation seeds than chance allows a setting that "+
		"meets the 19-of-20 rule (binomial test at 5 %%: 4 or more of 20). "+
		"In the summaries, (−x) is the gap to the optimum in percent.\n\n",
		100*t.Cap, t.Seeds-1, t.EvalSeeds)

	for _, g := range Groups {
		var rows []int
		for _, n := range g.Scenarios {
			if i, ok := byName[n]; ok {
				rows = append(rows, i)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", g.Title, g.Note)
		writeSummary(&b, g, cmps, rows)
		for _, i := range rows {
			writeScenario(&b, cmps[i], scs[i])
		}
	}
	return b.String()
}

// writeSummary writes a group's table of each mode's occupancy per scenario.
func writeSummary(b *bytes.Buffer, g Group, cmps []tune.Comparison, rows []int) {
	fmt.Fprintf(b, "| scenario |")
	for _, mode := range tune.Modes {
		fmt.Fprintf(b, " %s |", mode)
	}
	switch g.Kind {
	case KindRealistic:
		fmt.Fprintf(b, " reference |")
	case KindMarkov:
		fmt.Fprintf(b, " optimum |")
	}
	fmt.Fprintf(b, "\n|---|")
	for range tune.Modes {
		fmt.Fprintf(b, "---:|")
	}
	if g.Kind != KindStress {
		fmt.Fprintf(b, "---:|")
	}
	fmt.Fprintln(b)
	for _, i := range rows {
		c := cmps[i]
		fmt.Fprintf(b, "| %s |", c.Scenario)
		for _, mode := range tune.Modes {
			fmt.Fprintf(b, " %s |", summaryCell(c, mode))
		}
		switch g.Kind {
		case KindRealistic:
			if ref, ok := ReferenceOccupancy[c.Scenario]; ok {
				fmt.Fprintf(b, " %.1f %% |", 100*ref)
			} else {
				fmt.Fprintf(b, " — |")
			}
		case KindMarkov:
			fmt.Fprintf(b, " %s |", optimumCell(c))
		}
		fmt.Fprintln(b)
	}
	fmt.Fprintln(b)
}

func summaryCell(c tune.Comparison, mode records.PacingMode) string {
	for _, m := range c.Modes {
		if m.Mode != mode {
			continue
		}
		if m.Error != "" {
			return "n/a"
		}
		s := fmt.Sprintf("%.1f %%", 100*m.Occupancy.Mean)
		if tune.Breaking(m.Breaches, m.Occupancy.N) {
			s += " †"
		}
		if m.GapToOptimum != nil {
			s += fmt.Sprintf(" (−%.1f)", 100**m.GapToOptimum)
		}
		return s
	}
	return "—"
}

func optimumCell(c tune.Comparison) string {
	if c.Optimum != nil {
		return fmt.Sprintf("%.1f %%", 100**c.Optimum)
	}
	if c.OptimumError != "" {
		return "n/a"
	}
	return "—"
}

// writeScenario writes one scenario's table: every mode at its tuned setting.
func writeScenario(b *bytes.Buffer, c tune.Comparison, sc *sim.Scenario) {
	fmt.Fprintf(b, "### %s\n\n", c.Scenario)
	fmt.Fprintf(b, "%d agents, %s measured after a %s warm-up, %g lines per agent.", sc.Agents.Count, sc.Duration, sc.Warmup, sc.Task.MaxLinesPerAgent)
	switch {
	case c.Optimum != nil:
		fmt.Fprintf(b, " Optimum at the cap: **%.2f %%**.", 100**c.Optimum)
	case c.OptimumError != "":
		fmt.Fprintf(b, " Optimum: %s.", c.OptimumError)
	}
	fmt.Fprintf(b, "\n\n| mode | setting | occupancy | abandon rate | worst 24 h | over cap | talk min / agent-h | connects / agent-h | dials / agent-h | gap to optimum |\n")
	fmt.Fprintf(b, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var failed []string
	for _, m := range c.Modes {
		if m.Error != "" {
			failed = append(failed, fmt.Sprintf("%s: %s", m.Mode, m.Error))
			fmt.Fprintf(b, "| %s | n/a | | | | | | | | |\n", m.Mode)
			continue
		}
		setting := "`" + m.Setting + "`"
		if !m.Fair {
			setting += " !"
		}
		occ := fmt.Sprintf("%.2f ± %.2f %%", 100*m.Occupancy.Mean, 100*m.Occupancy.CI95)
		if tune.Breaking(m.Breaches, m.Occupancy.N) {
			occ += " †"
		}
		gap := "—"
		if m.GapToOptimum != nil {
			gap = fmt.Sprintf("%.2f %%", 100**m.GapToOptimum)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %.2f ± %.2f %% | %.2f %% | %d/%d | %.1f | %.1f | %.1f | %s |\n",
			m.Mode, setting, occ, 100*m.AbandonRate.Mean, 100*m.AbandonRate.CI95, 100*m.MaxAbandonRate24h.Max,
			m.Breaches, m.Occupancy.N, m.TalkMinPerAgentHour, m.ConnectsPerAgentHour, m.DialsPerAgentHour, gap)
	}
	fmt.Fprintln(b)
	sort.Strings(failed)
	for _, f := range failed {
		fmt.Fprintf(b, "- %s\n", f)
	}
	if len(failed) > 0 {
		fmt.Fprintln(b)
	}
}

// Write replaces the file at path with doc: it writes a temporary file
// beside it and renames it over path, so that a reader or a failed write
// never sees half a scoreboard.
func Write(path, doc string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".scoreboard-*.md")
	if err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := io.WriteString(tmp, doc); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
