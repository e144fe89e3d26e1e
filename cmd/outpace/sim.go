package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/sim"
)

// scenarioFlags are the flags every simulator-driven command shares.
type scenarioFlags struct {
	file string
	sets []string
	seed int64
	cmd  *cobra.Command
}

func (f *scenarioFlags) bind(c *cobra.Command) {
	c.Flags().StringVarP(&f.file, "scenario", "s", "", "scenario file (YAML; see bench/scenarios/)")
	c.Flags().StringArrayVar(&f.sets, "set", nil, "override a scenario field, e.g. --set task.pacing.mode=ratio --set agents.count=20 (repeatable)")
	c.Flags().Int64Var(&f.seed, "seed", 0, "random seed, 0 or more (default: the scenario's seed)")
	f.cmd = c
	_ = c.MarkFlagRequired("scenario")
}

// load reads and validates the scenario with its overrides.
func (f *scenarioFlags) load() (*sim.Scenario, error) {
	data, err := os.ReadFile(f.file)
	if err != nil {
		return nil, err
	}
	sets := f.sets
	if f.cmd != nil && f.cmd.Flags().Changed("seed") {
		if f.seed < 0 {
			return nil, fmt.Errorf("--seed must be 0 or more, got %d", f.seed)
		}
		sets = append(append([]string(nil), sets...), fmt.Sprintf("seed=%d", f.seed))
	}
	return sim.ParseScenario(data, sets, os.DirFS(filepath.Dir(f.file)))
}

func simCmd() *cobra.Command {
	var (
		sf      scenarioFlags
		asJSON  bool
		quiet   bool
		outPlot string
	)
	c := &cobra.Command{
		Use:   "sim --scenario FILE [--json] [--seed N] [--set path=value]...",
		Short: "Run the discrete-event simulator on a scenario and print its report",
		Long: `sim runs the real engine against a simulated carrier and team in virtual time
and reports occupancy, abandon rate, talk minutes, connects and dials per agent
hour, idle wait between calls, and the same per time slice.

The same scenario and seed give the same report, bit for bit (wall time aside).
The seed in use is always printed.

Scenario fields can be overridden without editing the file:
  --set task.pacing.mode=ratio --set task.pacing.ratio=1:3
  --set agents.count=50 --set outcomes.live=0.25 --set outcomes.no_answer=0.35
  --set duration=2h --set report.slice=15m`,
		Example: `  outpace sim --scenario bench/scenarios/S1.yaml
  outpace sim --scenario bench/scenarios/S5.yaml --json --seed 7
  outpace sim --scenario bench/scenarios/S3.yaml --set task.pacing.mode=ratio --set task.pacing.ratio=1:2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPlot(outPlot); err != nil {
				return err
			}
			sc, err := sf.load()
			if err != nil {
				return err
			}
			r, err := runSim(sc, !quiet && !asJSON, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if outPlot != "" {
				if err := plotRun(r, outPlot); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			return r.WriteText(out)
		},
	}
	sf.bind(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	c.Flags().StringVar(&outPlot, "plot", "", "also write a time-series plot of the run (PNG or SVG, by extension)")
	return c
}

// runSim runs one scenario, with a progress bar on stderr when the run takes
// more than a second.
func runSim(sc *sim.Scenario, progress bool, stderr io.Writer) (*sim.Report, error) {
	opts := sim.Options{}
	if progress {
		fmt.Fprintf(stderr, "simulating %s with seed %d\n", sc.Name, sc.Seed)
		start := time.Now()
		var bar *progressbar.ProgressBar
		opts.Progress = func(done, total time.Duration) {
			if bar == nil {
				if time.Since(start) < time.Second {
					return
				}
				bar = progressbar.NewOptions64(int64(total/time.Second),
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("simulated seconds"),
					progressbar.OptionShowCount(),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(100*time.Millisecond))
			}
			_ = bar.Set64(int64(done / time.Second))
		}
		defer func() {
			if bar != nil {
				_ = bar.Finish()
			}
		}()
	}
	s, err := sim.New(sc, opts)
	if err != nil {
		return nil, err
	}
	return s.Run()
}
