package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim/plots"
	"github.com/outpace-dev/outpace/sim/tune"
)

func compareCmd() *cobra.Command {
	var (
		sf      scenarioFlags
		tf      tuneFlags
		modes   []string
		asJSON  bool
		outPlot string
	)
	c := &cobra.Command{
		Use:   "compare --scenario FILE [--modes m1,m2] [--seeds N] [--eval-seeds N] [--cap 0.03] [--json] [--plot out.png]",
		Short: "Tune every pacing mode fairly to the abandon cap and set them side by side",
		Long: `compare tunes each pacing mode to the cap exactly as "outpace tune" does (same
grids, same fair-tuning rule, same seeds for every mode), then runs each
mode's best setting on fresh evaluation seeds and reports the means with 95 %
confidence intervals (Student's t over the seeds).

Seeds: with the scenario's seed s, tuning uses s … s+seeds−1 (a setting the
sweep places between two steps of a grid must also hold on s+seeds …
s+2·seeds−1) and evaluation s+100 … s+100+eval-seeds−1, so no mode is judged
on the seeds it was tuned on, and every mode meets the same customers (common
random numbers).

Columns:
  setting     the best setting found by the sweep ("!" when none met the cap)
  occupancy   agent time busy (talk, wrap-up, reserved) / logged-in time
  abandon     abandoned / live answers
  worst       the highest worst-24 h-window abandon rate over the seeds
  over cap    evaluation seeds whose worst 24 h window broke the cap
  talk, connects, dials   per agent-hour
  vs optimum  the gap 1 − occupancy / optimum, when the scenario is a Markov
              twin (only live and busy outcomes, exponential times, no wrap-up,
              no wait for an agent): its optimum bounds every pacer

Modes that cannot run are listed with their error; the others still compare.`,
		Example: `  outpace compare --scenario bench/scenarios/S3.yaml
  outpace compare -s bench/scenarios/S3-markov.yaml --modes ratio,predictive,vicidial
  outpace compare -s bench/scenarios/S1.yaml --seeds 10 --eval-seeds 20 --plot s1.png
  outpace compare -s bench/scenarios/S5.yaml --json > s5.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ms, err := parseModes(modes)
			if err != nil {
				return err
			}
			if err := checkPlot(outPlot); err != nil {
				return err
			}
			sc, err := sf.load()
			if err != nil {
				return err
			}
			t, done, err := tf.tuner(cmd.ErrOrStderr(), "comparing")
			if err != nil {
				return err
			}
			cmp, err := t.Compare(sc, ms)
			done()
			if err != nil {
				return err
			}
			if outPlot != "" {
				if err := writePlot(outPlot, func(f string) (io.WriterTo, error) { return plots.ComparisonChart(cmp, f) }); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(cmp)
			}
			return writeComparison(out, cmp, sc.Agents.Count)
		},
	}
	sf.bind(c)
	tf.bind(c, true)
	c.Flags().StringSliceVar(&modes, "modes", nil, "modes to compare, comma-separated (default all: "+modeList()+")")
	c.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	c.Flags().StringVar(&outPlot, "plot", "", "also draw every mode's frontier on one chart (PNG, SVG or PDF, by extension)")
	return c
}

// parseModes checks --modes; empty means every mode.
func parseModes(names []string) ([]records.PacingMode, error) {
	ms, err := tune.ParseModes(names)
	if err != nil {
		return nil, flagError(err)
	}
	return ms, nil
}

func writeComparison(w io.Writer, c tune.Comparison, agents int) error {
	fmt.Fprintf(w, "%s, %d agents: cap %.3g %%, tuned on seeds %s, evaluated on seeds %s (mean ± 95 %% CI)\n",
		c.Scenario, agents, 100*c.Cap, seedRange(c.TuningSeeds), seedRange(c.EvalSeeds))
	switch {
	case c.Optimum != nil:
		fmt.Fprintf(w, "Markov twin: the optimum at the cap is %.2f %% occupancy\n", 100**c.Optimum)
	case c.Twin != nil && c.Twin.Exact:
		fmt.Fprintf(w, "Markov twin, but the optimum is unavailable: %s\n", c.OptimumError)
	default:
		fmt.Fprintf(w, "not a Markov twin: no exact optimum (outpace bound derives a twin for reference)\n")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tsetting\toccupancy\tabandon\tworst\tover cap\ttalk min/h\tconnects/h\tdials/h\tvs optimum\t")
	var failed []tune.ModeResult
	for _, m := range c.Modes {
		if m.Error != "" {
			failed = append(failed, m)
			continue
		}
		setting := m.Setting
		if !m.Fair {
			setting += " !"
		}
		gap := "—"
		if m.GapToOptimum != nil {
			gap = fmt.Sprintf("−%.2f %%", 100**m.GapToOptimum)
			if *m.GapToOptimum < 0 {
				gap = fmt.Sprintf("+%.2f %%", -100**m.GapToOptimum)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f ± %.2f %%\t%.2f ± %.2f %%\t%.2f %%\t%d/%d\t%.1f\t%.1f\t%.1f\t%s\t\n",
			m.Mode, setting, 100*m.Occupancy.Mean, 100*m.Occupancy.CI95, 100*m.AbandonRate.Mean, 100*m.AbandonRate.CI95,
			100*m.MaxAbandonRate24h.Max, m.Breaches, m.Occupancy.N,
			m.TalkMinPerAgentHour, m.ConnectsPerAgentHour, m.DialsPerAgentHour, gap)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range c.Modes {
		if m.Error == "" && !m.Fair {
			fmt.Fprintf(w, "! %s: no setting met the cap on every tuning seed; shown is the least bad\n", m.Mode)
		}
	}
	for _, m := range failed {
		fmt.Fprintf(w, "%s: not compared: %s\n", m.Mode, m.Error)
	}
	return nil
}
