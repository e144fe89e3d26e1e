package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/outpace-dev/outpace/bench/scoreboard"
	"github.com/outpace-dev/outpace/sim/tune"
)

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
		Use:   "report [--out bench/scoreboard.md] [--seeds 5] [--eval-seeds 10] [--quick]",
		Short: "Regenerate the pacing scoreboard, bench/scoreboard.md",
		Long: `report runs "outpace compare" on every benchmark scenario (S1–S6, their Markov
twins and the stress runs of bench/scenarios/stress-*.yaml) and writes the
scoreboard: a summary of each mode's occupancy per scenario, then per
scenario every mode fairly tuned to the cap with occupancy and abandon rate
(95 % confidence intervals), the worst 24 h window, talk minutes, connects
and dials per agent-hour, and the gap to the optimum on the Markov twins.

The output file is generated whole and replaced whole (never half written);
it records the command line that reproduces it, the date and the machine.

The full report runs thousands of simulations and solves six optimisation
problems: expect tens of minutes on two cores. --quick runs a smoke version
(S1, S1-markov and stress-smallteam, at most one hour each, 2 tuning and 3
evaluation seeds) in seconds.`,
		Example: `  outpace report --eval-seeds 20          # what make pacing-report runs
  outpace report --seeds 10 --eval-seeds 40
  outpace report --out /tmp/scoreboard.md --only S3,S3-markov,stress-hitrate
  outpace report --out /tmp/scoreboard.md --quick`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: name the Markdown file to write, e.g. --out bench/scoreboard.md")
			}
			if quick {
				if !cmd.Flags().Changed("seeds") {
					tf.t.Seeds = 2
				}
				if !cmd.Flags().Changed("eval-seeds") {
					tf.t.EvalSeeds = 3
				}
			}
			names, err := scoreboard.Names(only, quick)
			if err != nil {
				return flagError(err)
			}
			scs, err := scoreboard.Load(dir, names, quick)
			if err != nil {
				return fmt.Errorf("--scenarios %s: %w", dir, err)
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
			cmps, err := scoreboard.Run(t, scs)
			done()
			if err != nil {
				return err
			}
			doc := scoreboard.Markdown(cmps, scs, t, scoreboard.Meta{
				Command: commandLine(cmd),
				Date:    start.UTC().Format("2006-01-02 15:04 MST"),
				Machine: scoreboard.Machine(),
				Elapsed: time.Since(start).Round(time.Second),
				Quick:   quick,
			})
			if err := scoreboard.Write(out, doc); err != nil {
				return fmt.Errorf("--out %s: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote the scoreboard to %s (%d scenarios, %s)\n", out, len(scs), time.Since(start).Round(time.Second))
			return nil
		},
	}
	tf.bind(c, true)
	c.Flags().StringVarP(&out, "out", "o", filepath.Join("bench", "scoreboard.md"), "Markdown file to write the scoreboard to (replaced whole)")
	c.Flags().StringVar(&dir, "scenarios", filepath.Join("bench", "scenarios"), "directory of the scenario files")
	c.Flags().StringSliceVar(&only, "only", nil, "run only these scenarios, comma-separated (e.g. S3,S3-markov)")
	c.Flags().BoolVar(&quick, "quick", false, "smoke run: three small scenarios, one hour each, 2 tuning and 3 evaluation seeds")
	c.Flags().BoolVar(&withBound, "optimum", true, "compute the optimum of the Markov twins (slow for large teams)")
	return c
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
