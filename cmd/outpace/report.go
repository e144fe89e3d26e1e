package main

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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/tune"
)

func init() { extraCommands = append(extraCommands, reportCmd) }

// Markers around the generated section of BENCHMARKS.md.
const (
	reportStart = "<!-- pacing-report:start -->"
	reportEnd   = "<!-- pacing-report:end -->"
)

// scoreboard lists the scenarios of the report, by group, in order.
var scoreboard = []struct {
	group, title, note string
	names              []string
}{
	{"realistic", "Realistic scenarios",
		"BENCHMARK.md's six archetypes. *reference* is the occupancy of the simple \"live answers in flight = idle agents\" rule, tuned, from BENCHMARK.md: the predictive pacer must beat it.",
		[]string{"S1", "S2", "S3", "S4", "S5", "S6"}},
	{"markov", "Markov twins",
		"Only live and busy outcomes, exponential times, no wrap-up, no wait for an agent. *optimum* is the highest occupancy any pacer can reach at the cap (`outpace bound`); gaps are 1 − occupancy / optimum.",
		[]string{"S1-markov", "S2-markov", "S3-markov", "S4-markov", "S5-markov", "S6-markov"}},
	{"stress", "Stress runs",
		"S3 with the hit rate halved from 2 h to 5 h (stress-hitrate), with 6 of 30 agents logged out from 2 h to 2 h 30 (stress-logout), with talk times of cv 1.5 (stress-heavytail); S1 cut to 3 agents and 2 h with no warm-up, so no history (stress-smallteam). Scenario files in bench/scenarios/stress-*.yaml.",
		[]string{"stress-hitrate", "stress-logout", "stress-heavytail", "stress-smallteam"}},
}

// quickScenarios are the scenarios of --quick.
var quickScenarios = []string{"S1", "S1-markov", "stress-smallteam"}

// referenceOccupancy is BENCHMARK.md's reference column: the simple rule
// "live answers in flight = idle agents", tuned, on the realistic scenarios.
var referenceOccupancy = map[string]float64{
	"S1": 0.820, "S2": 0.873, "S3": 0.918, "S4": 0.961, "S5": 0.944, "S6": 0.979,
}

func reportCmd() *cobra.Command {
	var (
		tf        tuneFlags
		out       string
		dir       string
		only      []string
		quick     bool
		withBound bool
	)
	c := &cobra.Command{
		Use:   "report --out BENCHMARKS.md [--seeds 5] [--eval-seeds 10] [--quick]",
		Short: "Regenerate the pacing scoreboard of BENCHMARKS.md",
		Long: `report runs "outpace compare" on every benchmark scenario (S1–S6, their Markov
twins and the stress runs of bench/scenarios/stress-*.yaml) and rewrites the
scoreboard section of the output file: a summary of each mode's occupancy per
scenario, then per scenario every mode fairly tuned to the cap with occupancy
and abandon rate (95 % confidence intervals), the worst 24 h window, talk
minutes, connects and dials per agent-hour, and the gap to the optimum on the
Markov twins.

Only the text between the markers
  ` + reportStart + `
  ` + reportEnd + `
is replaced; the markers are appended when the file lacks them, and the rest
of the file is kept. The section records the command line that reproduces it,
the date and the machine.

The full report runs thousands of simulations and solves six optimisation
problems: expect tens of minutes on two cores. --quick runs a smoke version
(S1, S1-markov and stress-smallteam, at most one hour each, 2 tuning and 3
evaluation seeds) in seconds.`,
		Example: `  outpace report --out BENCHMARKS.md --eval-seeds 20  # what make pacing-report runs
  outpace report --out BENCHMARKS.md --seeds 10 --eval-seeds 40
  outpace report --out /tmp/bench.md --only S3,S3-markov,stress-hitrate
  outpace report --out /tmp/bench.md --quick`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: name the Markdown file to update, e.g. --out BENCHMARKS.md")
			}
			if quick {
				if !cmd.Flags().Changed("seeds") {
					tf.seeds = 2
				}
				if !cmd.Flags().Changed("eval-seeds") {
					tf.evalSeeds = 3
				}
			}
			names, err := reportNames(only, quick)
			if err != nil {
				return err
			}
			scs := make([]*sim.Scenario, len(names))
			for i, n := range names {
				if scs[i], err = loadScenario(filepath.Join(dir, n+".yaml"), quick); err != nil {
					return fmt.Errorf("--scenarios %s: %w", dir, err)
				}
			}
			t, done, err := tf.tuner(cmd.ErrOrStderr(), "scoreboard")
			if err != nil {
				return err
			}
			if !withBound {
				t.Optimum = func(tune.Twin, float64) (float64, error) {
					return 0, errors.New("not computed (--optimum=false)")
				}
			}
			start := time.Now()
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
			done()
			if err := errors.Join(errs...); err != nil {
				return err
			}
			section := scoreboardMarkdown(cmps, scs, reportMeta{
				Command: commandLine(cmd),
				Date:    start.UTC().Format("2006-01-02 15:04 MST"),
				Machine: fmt.Sprintf("GOMAXPROCS=%d, %d CPUs, %s/%s, %s", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version()),
				Elapsed: time.Since(start).Round(time.Second),
				Tuner:   t,
				Quick:   quick,
			})
			if err := updateSection(out, section); err != nil {
				return fmt.Errorf("--out %s: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "updated the scoreboard in %s (%d scenarios, %s)\n", out, len(scs), time.Since(start).Round(time.Second))
			return nil
		},
	}
	tf.bind(c, true)
	c.Flags().StringVarP(&out, "out", "o", "BENCHMARKS.md", "Markdown file whose scoreboard section to rewrite")
	c.Flags().StringVar(&dir, "scenarios", filepath.Join("bench", "scenarios"), "directory of the scenario files")
	c.Flags().StringSliceVar(&only, "only", nil, "run only these scenarios, comma-separated (e.g. S3,S3-markov)")
	c.Flags().BoolVar(&quick, "quick", false, "smoke run: three small scenarios, one hour each, 2 tuning and 3 evaluation seeds")
	c.Flags().BoolVar(&withBound, "optimum", true, "compute the optimum of the Markov twins (slow for large teams)")
	return c
}

// reportNames returns the scenarios to run: --only, or every scoreboard
// scenario (the quick ones with --quick).
func reportNames(only []string, quick bool) ([]string, error) {
	known := map[string]bool{}
	var all []string
	for _, g := range scoreboard {
		for _, n := range g.names {
			known[n] = true
			all = append(all, n)
		}
	}
	if len(only) == 0 {
		if quick {
			return quickScenarios, nil
		}
		return all, nil
	}
	var out []string
	for _, n := range only {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".yaml")
		if n == "" {
			continue
		}
		if !known[n] {
			return nil, fmt.Errorf("--only: unknown scenario %q (want some of %s)", n, strings.Join(all, ", "))
		}
		out = append(out, n)
	}
	return out, nil
}

// loadScenario reads a scoreboard scenario; quick cuts it to at most an hour.
func loadScenario(path string, quick bool) (*sim.Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc, err := sim.ParseScenario(data, nil, os.DirFS(filepath.Dir(path)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if quick && sc.Duration > time.Hour {
		sc.Duration = time.Hour
	}
	return sc, nil
}

// commandLine renders the command as run, with the flags that were set,
// leaving out those that cannot change the result (--quiet, --workers).
func commandLine(cmd *cobra.Command) string {
	parts := []string{"outpace", cmd.Name()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "quiet" || f.Name == "workers" {
			return
		}
		v := f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			v = strings.Join(sv.GetSlice(), ",")
		}
		if f.Value.Type() == "bool" && v == "true" {
			parts = append(parts, "--"+f.Name)
			return
		}
		parts = append(parts, fmt.Sprintf("--%s=%s", f.Name, v))
	})
	if !cmd.Flags().Changed("out") {
		parts = append(parts, "--out="+cmd.Flags().Lookup("out").Value.String())
	}
	return strings.Join(parts, " ")
}

type reportMeta struct {
	Command, Date, Machine string
	Elapsed                time.Duration
	Tuner                  *tune.Tuner
	Quick                  bool
}

// scoreboardMarkdown renders the section between the markers.
func scoreboardMarkdown(cmps []tune.Comparison, scs []*sim.Scenario, m reportMeta) string {
	var b bytes.Buffer
	byName := map[string]int{}
	for i, c := range cmps {
		byName[c.Scenario] = i
	}
	t := m.Tuner
	fmt.Fprintf(&b, "## Pacing scoreboard\n\n")
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

	for _, g := range scoreboard {
		var rows []int
		for _, n := range g.names {
			if i, ok := byName[n]; ok {
				rows = append(rows, i)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "### %s\n\n%s\n\n", g.title, g.note)
		// Summary: occupancy per mode.
		fmt.Fprintf(&b, "| scenario |")
		for _, mode := range tune.Modes {
			fmt.Fprintf(&b, " %s |", mode)
		}
		switch g.group {
		case "realistic":
			fmt.Fprintf(&b, " reference |")
		case "markov":
			fmt.Fprintf(&b, " optimum |")
		}
		fmt.Fprintf(&b, "\n|---|")
		for range tune.Modes {
			fmt.Fprintf(&b, "---:|")
		}
		if g.group != "stress" {
			fmt.Fprintf(&b, "---:|")
		}
		fmt.Fprintln(&b)
		for _, i := range rows {
			c := cmps[i]
			fmt.Fprintf(&b, "| %s |", c.Scenario)
			for _, mode := range tune.Modes {
				fmt.Fprintf(&b, " %s |", summaryCell(c, mode))
			}
			switch g.group {
			case "realistic":
				if ref, ok := referenceOccupancy[c.Scenario]; ok {
					fmt.Fprintf(&b, " %.1f %% |", 100*ref)
				} else {
					fmt.Fprintf(&b, " — |")
				}
			case "markov":
				fmt.Fprintf(&b, " %s |", optimumCell(c))
			}
			fmt.Fprintln(&b)
		}
		fmt.Fprintln(&b)
		for _, i := range rows {
			writeScenarioTable(&b, cmps[i], scs[i])
		}
	}
	return b.String()
}

func summaryCell(c tune.Comparison, mode pacing.Mode) string {
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

func writeScenarioTable(b *bytes.Buffer, c tune.Comparison, sc *sim.Scenario) {
	fmt.Fprintf(b, "#### %s\n\n", c.Scenario)
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

// updateSection replaces the text between the markers of path with section,
// appending the markers when the file lacks them (or creating the file).
func updateSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc := spliceSection(string(old), section)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchmarks-*.md")
	if err != nil {
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

// spliceSection puts section between the markers of doc.
func spliceSection(doc, section string) string {
	block := reportStart + "\n" + strings.TrimRight(section, "\n") + "\n" + reportEnd
	i := strings.Index(doc, reportStart)
	j := strings.Index(doc, reportEnd)
	if i >= 0 && j > i {
		return doc[:i] + block + doc[j+len(reportEnd):]
	}
	if doc == "" {
		doc = "# Benchmarks\n"
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + block + "\n"
}
