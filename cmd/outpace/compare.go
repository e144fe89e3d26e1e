package main

import (
	"encoding/json"
	"io"

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
			return cmp.WriteText(out, sc.Agents.Count)
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
