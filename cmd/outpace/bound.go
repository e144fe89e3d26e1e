package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/sim/plots"
	"github.com/outpace-dev/outpace/sim/tune"
)

func boundCmd() *cobra.Command {
	var (
		sf       scenarioFlags
		bc       tune.BoundConfig
		asJSON   bool
		policy   bool
		simulate int
		judgeCap float64
		workers  int
		quiet    bool
		outPlot  string
	)
	c := &cobra.Command{
		Use:   "bound --scenario FILE [--cap 0.03] [--json]",
		Short: "Compute the optimal occupancy at the abandon cap of a scenario's Markov twin",
		Long: `bound computes the highest occupancy any pacer can reach without exceeding the
abandon cap on the scenario's Markov twin: a constrained Markov decision
process over (busy agents, calls in flight), solved with a Lagrange multiplier
on the abandon constraint and relative value iteration. It prints the optimum,
the abandon rate it runs at and the optimal policy: with b agents busy, keep
target(b) calls in flight.

A Markov twin has only live and busy outcomes, every time exponential (dial to
outcome mean r, talk mean h), no wrap-up and no wait for an agent
(connect_deadline 0s). bench/scenarios/S*-markov.yaml are the twins of the
benchmark; on them the optimum is a true ceiling, and "outpace compare" shows
each mode's gap to it.

Any other scenario gets a derived twin: live probability = outcomes.live,
r = the mean dial-to-outcome time over all outcomes (a no-answer lasting the
no-answer timeout), h = mean talk + mean wrap-up, same agents and lines. That
twin's optimum is a reference point for the scenario, not a bound on it (its
waits, wrap-ups and timings differ); the output lists every difference.
--exact refuses such scenarios instead.

--simulate N runs the optimal policy through the simulator on N seeds (the
scenario's seed s, s+1, …) as the table pacing mode, and judges it like any
tuned mode: its worst 24 h window over the cap in at most one seed in twenty,
and a fresh seed predicted to stay under it (see tune --help).
The optimum is a long-run average at the cap; on a small team a run of a few
hours that averages the cap breaks it in about half the seeds, and this shows
by how much. When the optimum mixes two policies, each is run, and then
the mix itself: the table mode with table_above and table_mix, which gives
the policy above its share of every 10 minutes (the optimum at the cap,
seed by seed).
--simulate-cap judges the seeds against another cap than the one solved for:
the optimum at a lower cap, judged at 3 %, is how much the optimum keeps when
it must hold the cap seed by seed.`,
		Example: `  outpace bound --scenario bench/scenarios/S3-markov.yaml
  outpace bound -s bench/scenarios/S6-markov.yaml --json > s6-optimum.json
  outpace bound -s bench/scenarios/S3.yaml            # the derived twin of a realistic scenario
  outpace bound -s bench/scenarios/S1-markov.yaml --cap 0.05 --policy
  outpace bound -s bench/scenarios/S5-markov.yaml --plot s5-policy.png
  outpace bound -s bench/scenarios/S1-markov.yaml --simulate 20
  outpace bound -s bench/scenarios/S2-markov.yaml --cap 0.022 --simulate 20 --simulate-cap 0.03`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if simulate < 0 {
				return fmt.Errorf("--simulate must be a number of seeds ≥ 0, got %d", simulate)
			}
			if err := checkPlot(outPlot); err != nil {
				return err
			}
			sc, err := sf.load()
			if err != nil {
				return err
			}
			b, err := tune.SolveBound(sc, bc)
			if err != nil {
				return flagError(err)
			}
			if outPlot != "" {
				if err := writePlot(outPlot, func(f string) (io.WriterTo, error) { return plots.OptimumChart(sc.Name, b, f) }); err != nil {
					return err
				}
			}
			if simulate > 0 {
				if judgeCap == 0 {
					judgeCap = bc.Cap
				}
				tf := tuneFlags{t: tune.Tuner{Cap: judgeCap, Seeds: 1, Workers: workers}, quiet: quiet}
				t, done, err := tf.tuner(cmd.ErrOrStderr(), "simulating the optimum")
				if err != nil {
					return err
				}
				err = t.SimulateOptimum(sc, &b, simulate)
				done()
				if err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			return b.WriteText(w, sc.Name, policy)
		},
	}
	sf.bind(c)
	c.Flags().Float64Var(&bc.Cap, "cap", tune.DefaultCap, "abandon cap as a fraction of live answers (0.03 = 3 %)")
	c.Flags().Float64Var(&bc.Tolerance, "tolerance", 0, "largest accepted gap between the optimum found and its proven upper bound (default 1e-6)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.Flags().BoolVar(&bc.Exact, "exact", false, "refuse a scenario that is not itself a Markov twin")
	c.Flags().BoolVar(&policy, "policy", false, "print the policy for every number of busy agents (default: a summary)")
	c.Flags().IntVar(&simulate, "simulate", 0, "also run the optimal policy through the simulator on this many seeds")
	c.Flags().Float64Var(&judgeCap, "simulate-cap", 0, "cap the simulated seeds are judged against (default --cap), e.g. the optimum at 0.022 judged at 0.03")
	c.Flags().IntVar(&workers, "workers", 0, "simulations run at once with --simulate (default GOMAXPROCS)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	c.Flags().StringVar(&outPlot, "plot", "", "also draw the optimal policy: calls in flight by agents busy (PNG, SVG or PDF, by extension)")
	return c
}
