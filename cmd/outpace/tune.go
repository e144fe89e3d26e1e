package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/sim/plots"
	"github.com/outpace-dev/outpace/sim/tune"
)

// tuneFlags are the flags of the commands that tune: tune, compare, bound
// --simulate and report. They bind into the Tuner those commands run.
type tuneFlags struct {
	t       tune.Tuner
	quiet   bool
	hasEval bool
}

func (f *tuneFlags) bind(c *cobra.Command, eval bool) {
	c.Flags().Float64Var(&f.t.Cap, "cap", tune.DefaultCap, "abandon cap as a fraction of live answers (0.03 = 3 %)")
	c.Flags().IntVar(&f.t.Seeds, "seeds", tune.DefaultSeeds, fmt.Sprintf("tuning seeds per setting (the scenario's seed s, s+1, …; at most %d)", tune.EvalSeedOffset/2))
	f.hasEval = eval
	if eval {
		c.Flags().IntVar(&f.t.EvalSeeds, "eval-seeds", tune.DefaultEvalSeeds, "evaluation seeds per mode (s+100, s+101, …), at least 2 for a confidence interval")
	}
	c.Flags().IntVar(&f.t.Workers, "workers", 0, "simulations run at once (default GOMAXPROCS)")
	c.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
}

// tuner checks the flags and returns the Tuner with a progress bar on
// stderr (unless quiet); call the returned function when the work is done.
func (f *tuneFlags) tuner(stderr io.Writer, what string) (*tune.Tuner, func(), error) {
	t := &f.t
	// A Tuner takes zero for its default; on the command line zero seeds is a mistake.
	switch {
	case t.Seeds < 1:
		return nil, nil, fmt.Errorf("--seeds: must be between 1 and %d, got %d", tune.EvalSeedOffset/2, t.Seeds)
	case f.hasEval && t.EvalSeeds < 1:
		return nil, nil, fmt.Errorf("--eval-seeds: must be at least 1, got %d", t.EvalSeeds)
	}
	done := func() {}
	if !f.quiet {
		bar := progressbar.NewOptions(1,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("runs"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
		t.Progress = func(done, total int) {
			bar.ChangeMax(max(total, 1))
			_ = bar.Set(done)
		}
		done = func() { _ = bar.Finish() }
	}
	if err := t.Check(); err != nil {
		return nil, nil, flagError(err)
	}
	return t, done, nil
}

func tuneCmd() *cobra.Command {
	var (
		sf      scenarioFlags
		tf      tuneFlags
		mode    string
		asJSON  bool
		outPlot string
		values  []string
	)
	c := &cobra.Command{
		Use:   "tune --scenario FILE --mode MODE [--cap 0.03] [--seeds N] [--values V,…] [--json] [--plot out.png]",
		Short: "Sweep a pacing mode's main knob and find its best setting under the abandon cap",
		Long: `tune runs the scenario under a grid of settings of one pacing mode's main knob,
several seeds per setting in parallel, and reports the frontier (occupancy
against abandon rate) and the best setting that stays under the cap.

The knob swept per mode:
` + sweepHelp() + `
Fair tuning: a setting qualifies when the worst 24 h abandon window stays at or
under the cap in at least 19 of 20 seeds (so on every seed when there are fewer
than 20) and a fresh seed is predicted to stay under it too: the 95 % upper
prediction bound of its worst window, mean + t·sd·√(1 + 1/n) over the seeds
(column "fresh seed"), is at or under the cap. The best setting is the
qualifying one with the highest mean occupancy. Every mode is tuned by this
same rule. Each setting runs on the same seeds (the scenario's seed s, s+1, …),
so settings are compared on the same customers. Along a knob the sweep stops
after two settings in a row whose mean abandon rate is over the cap. It then
halves the step after the best qualifying setting twice, keeping the half that
holds the best (the ratio's 0.25 becomes 0.0625), so that no mode's best hangs
on where the grid's steps fall; those settings are listed in their place, and
qualify only if they also hold on as many seeds again (s+n, …), counted in
their "over cap" column.

--values sweeps the values given instead of the grid, every one of them, to
look closer between two of its steps: taskscales for ratio ("4:75", or C/A
as "18.75"), abandon targets for predictive ("0.026"), max_level for
vicidial (on each drop-limit line), thresholds for issabel, aggressiveness
for closedform.

The JSON form is {"mode", "cap", "best": {"setting", "report"}, "frontier":
[{"setting", "occupancy", "abandon_rate"}]}: report is the best setting's
report averaged over the seeds, and the frontier holds the settings no other
setting beat on both occupancy and abandon rate, by rising abandon rate.`,
		Example: `  outpace tune --scenario bench/scenarios/S3.yaml --mode ratio
  outpace tune -s bench/scenarios/S1.yaml --mode vicidial --seeds 10 --plot vicidial.png
  outpace tune -s bench/scenarios/S5.yaml --mode closedform --cap 0.05 --json > closedform.json
  outpace tune -s bench/scenarios/S3.yaml --mode ratio --set duration=2h --set agents.count=12
  outpace tune -s bench/scenarios/S5-markov.yaml --mode ratio --values 2:37,4:75,1:19 --seeds 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := tune.ParseMode(mode)
			if err != nil {
				return flagError(err)
			}
			if err := checkPlot(outPlot); err != nil {
				return err
			}
			sc, err := sf.load()
			if err != nil {
				return err
			}
			t, done, err := tf.tuner(cmd.ErrOrStderr(), "tuning "+mode) // checks --cap
			if err != nil {
				return err
			}
			var g tune.Grid
			if len(values) > 0 {
				g, err = tune.ValuesGrid(m, sc.Task.Pacing, tf.t.Cap, values)
			} else {
				g, err = tune.DefaultGrid(m, sc.Task.Pacing, tf.t.Cap)
			}
			if err != nil {
				done()
				return flagError(err)
			}
			res, err := t.SweepGrid(sc, g)
			done()
			if err != nil {
				return err
			}
			// On a Markov twin the optimum shows how far the best setting is from the ceiling.
			opt := 0.0
			if !asJSON || outPlot != "" {
				opt, _ = tune.ExactOptimum(sc, tf.t.Cap)
			}
			if outPlot != "" {
				if err := writePlot(outPlot, func(f string) (io.WriterTo, error) { return plots.SweepChart(sc.Name, res, opt, f) }); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			return res.WriteText(out, sc.Name, opt)
		},
	}
	sf.bind(c)
	tf.bind(c, false)
	c.Flags().StringVarP(&mode, "mode", "m", "", "pacing mode to tune: "+modeList())
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.Flags().StringVar(&outPlot, "plot", "", "also draw the frontier (PNG, SVG or PDF, by extension)")
	c.Flags().StringSliceVar(&values, "values", nil, "sweep these values of the mode's knob instead of its grid (comma-separated or repeated)")
	_ = c.MarkFlagRequired("mode")
	return c
}

// modeList names the modes a sweep can tune.
func modeList() string { return pacing.ModeNames((*pacing.ModeSpec).Tuned, "") }

// sweepHelp says what a sweep runs for each mode, a line per mode, and the
// value each knob takes when a scenario leaves it out.
func sweepHelp() string {
	var b strings.Builder
	var defaults []string
	for _, s := range pacing.Modes() {
		if !s.Tuned() {
			continue
		}
		fmt.Fprintf(&b, "  %-12s %s\n", s.Mode, strings.ReplaceAll(s.Sweep, "\n", "\n"+strings.Repeat(" ", 15)))
		if s.Knob != nil {
			if v, ok := s.Knob.Default(); ok {
				defaults = append(defaults, s.Knob.Name+" "+v.Text)
			}
		}
	}
	fmt.Fprintf(&b, "\nA knob the scenario leaves out takes its default:\n  %s.\n", strings.Join(defaults, ", "))
	return b.String()
}
