package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/pacing/optimum"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim/plots"
	"github.com/outpace-dev/outpace/sim/tune"
)

// boundResult is the JSON of `outpace bound`: the solver's result
// (occupancy_at_cap, abandon_rate, policy, …) with the cap and the twin.
type boundResult struct {
	optimum.Result
	Cap float64 `json:"cap"`
	// ProgressiveOccupancy is the closed-form occupancy of progressive
	// dialing on the twin, for scale.
	ProgressiveOccupancy float64   `json:"progressive_occupancy"`
	Twin                 tune.Twin `json:"twin"`
	SolveS               float64   `json:"solve_s"`
	// Simulated holds, with --simulate, the optimal policy run through the
	// simulator: Policy first, then PolicyAbove when the optimum mixes them.
	Simulated []tune.Simulated `json:"simulated,omitempty"`
	// SimulateCap is the cap the simulated seeds were judged against.
	SimulateCap float64 `json:"simulate_cap,omitempty"`
}

func boundCmd() *cobra.Command {
	var (
		sf        scenarioFlags
		cap       float64
		tolerance float64
		asJSON    bool
		exact     bool
		policy    bool
		simulate  int
		judgeCap  float64
		workers   int
		quiet     bool
		outPlot   string
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
			if !(cap > 0 && cap < 1) {
				return fmt.Errorf("--cap must be a fraction in (0, 1), such as 0.03 for 3 %%; got %v", cap)
			}
			if simulate < 0 {
				return fmt.Errorf("--simulate must be a number of seeds ≥ 0, got %d", simulate)
			}
			if tolerance < 0 || tolerance >= 1 {
				return fmt.Errorf("--tolerance must be in [0, 1), got %v", tolerance)
			}
			if err := checkPlot(outPlot); err != nil {
				return err
			}
			sc, err := sf.load()
			if err != nil {
				return err
			}
			tw := tune.MarkovTwin(sc)
			if exact && !tw.Exact {
				return fmt.Errorf("--exact: %s is not a Markov twin:\n  %s", sc.Name, strings.Join(tw.Derivation[1:], "\n  "))
			}
			p := tw.Params(cap)
			p.Tolerance = tolerance
			start := time.Now()
			res, err := optimum.Solve(p)
			if err != nil {
				return fmt.Errorf("solving the twin of %s: %w", sc.Name, err)
			}
			out := boundResult{Result: res, Cap: cap, ProgressiveOccupancy: optimum.Progressive(p), Twin: tw,
				SolveS: time.Since(start).Seconds()}
			if outPlot != "" {
				title := fmt.Sprintf("%s: the optimal policy at a %.3g %% cap", sc.Name, 100*cap)
				if !tw.Exact {
					title = fmt.Sprintf("%s (derived twin): the optimal policy at a %.3g %% cap", sc.Name, 100*cap)
				}
				render := func(f string) (io.WriterTo, error) { return plots.PolicyChart(title, res, p.Lines(), f) }
				if err := writePlot(outPlot, render); err != nil {
					return err
				}
			}
			if simulate > 0 {
				if judgeCap == 0 {
					judgeCap = cap
				}
				tf := tuneFlags{cap: judgeCap, seeds: 1, workers: workers, quiet: quiet}
				t, done, err := tf.tuner(cmd.ErrOrStderr(), "simulating the optimum")
				if err != nil {
					return err
				}
				cfg := sc.Task.Pacing
				cfg.Mode = records.ModeTable
				runs := []records.PacingConfig{cfg}
				runs[0].Table = optimum.Targets(res.Policy)
				if res.PolicyAbove != nil {
					above, mix := runs[0], runs[0]
					above.Table = optimum.Targets(res.PolicyAbove)
					mix.TableAbove, mix.TableMix = above.Table, res.Mix
					runs = append(runs, above)
					if res.Mix > 0 && res.Mix < 1 {
						runs = append(runs, mix)
					}
				}
				for _, cfg := range runs {
					s, err := t.Simulate(sc, cfg, simulate)
					if err != nil {
						done()
						return fmt.Errorf("simulating the optimal policy on %s: %w", sc.Name, err)
					}
					out.Simulated = append(out.Simulated, s)
				}
				done()
				out.SimulateCap = judgeCap
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			return writeBound(w, sc.Name, out, policy)
		},
	}
	sf.bind(c)
	c.Flags().Float64Var(&cap, "cap", tune.DefaultCap, "abandon cap as a fraction of live answers (0.03 = 3 %)")
	c.Flags().Float64Var(&tolerance, "tolerance", 0, "largest accepted gap between the optimum found and its proven upper bound (default 1e-6)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.Flags().BoolVar(&exact, "exact", false, "refuse a scenario that is not itself a Markov twin")
	c.Flags().BoolVar(&policy, "policy", false, "print the policy for every number of busy agents (default: a summary)")
	c.Flags().IntVar(&simulate, "simulate", 0, "also run the optimal policy through the simulator on this many seeds")
	c.Flags().Float64Var(&judgeCap, "simulate-cap", 0, "cap the simulated seeds are judged against (default --cap), e.g. the optimum at 0.022 judged at 0.03")
	c.Flags().IntVar(&workers, "workers", 0, "simulations run at once with --simulate (default GOMAXPROCS)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	c.Flags().StringVar(&outPlot, "plot", "", "also draw the optimal policy: calls in flight by agents busy (PNG, SVG or PDF, by extension)")
	return c
}

func writeBound(w io.Writer, name string, b boundResult, full bool) error {
	tw := b.Twin
	if tw.Exact {
		fmt.Fprintf(w, "%s is a Markov twin: the optimum below bounds every pacer on it.\n", name)
	} else {
		fmt.Fprintf(w, "%s is not a Markov twin. The figures below are for its derived twin:\n", name)
		for _, d := range tw.Derivation {
			fmt.Fprintf(w, "  - %s\n", d)
		}
	}
	fmt.Fprintf(w, "\ntwin: %d agents, %g lines per agent, live probability %.4g, r = %.2fs, h = %.1fs\n",
		tw.Agents, tw.MaxLinesPerAgent, tw.LiveProb, tw.MeanOutcomeS, tw.MeanTalkS)
	fmt.Fprintf(w, "optimal occupancy at a %.3g %% cap: %.4f (%.2f %%), proven upper bound %.4f\n",
		100*b.Cap, b.OccupancyAtCap, 100*b.OccupancyAtCap, b.Bound)
	fmt.Fprintf(w, "abandon rate of the optimal policy: %.4f %%\n", 100*b.AbandonRate)
	fmt.Fprintf(w, "progressive dialing on the twin: %.4f (never abandons)\n", b.ProgressiveOccupancy)
	if b.PolicyAbove != nil {
		fmt.Fprintf(w, "the optimum shares %.1f %% of the time with a more aggressive policy (a randomised mix)\n", 100*b.Mix)
	}
	fmt.Fprintf(w, "solved in %.2fs (%d multipliers, %d sweeps, λ = %.4g)\n\n", b.SolveS, b.Multipliers, b.Iterations, b.Lambda)
	fmt.Fprintln(w, "policy: with b agents busy, keep target calls in flight")
	rows := b.Policy
	if !full && len(rows) > 24 {
		step := (len(rows) + 19) / 20
		var pick []optimum.PolicyRow
		for i := 0; i < len(rows); i += step {
			pick = append(pick, rows[i])
		}
		if pick[len(pick)-1].Busy != rows[len(rows)-1].Busy {
			pick = append(pick, rows[len(rows)-1])
		}
		rows = pick
		defer fmt.Fprintln(w, "(every", step, "rows; --policy prints them all)")
	}
	for i, r := range rows {
		sep := "   "
		if (i+1)%6 == 0 || i == len(rows)-1 {
			sep = "\n"
		}
		fmt.Fprintf(w, "b=%3d → %3d%s", r.Busy, r.Target, sep)
	}
	for i, s := range b.Simulated {
		if i == 0 {
			fmt.Fprintf(w, "\nthe optimal policy in the simulator, %d seeds (fair: worst 24 h window over %.3g %% in at most 1 seed in 20, and a fresh seed under it):\n", s.Occupancy.N, 100*b.SimulateCap)
		}
		which := [...]string{"policy", "policy above", "the mix"}[min(i, 2)]
		fmt.Fprintf(w, "  %-12s occupancy %.4f ± %.4f, abandon rate %.2f %% (worst seed %.2f %%, fresh seed %.2f %%), over the cap in %d of %d seeds: %s\n",
			which, s.Occupancy.Mean, s.Occupancy.CI95, 100*s.AbandonRate.Mean, 100*s.MaxAbandonRate24h.Max, 100*s.FreshWorst, s.Breaches, s.Occupancy.N, fairWord(s.Fair))
	}
	return nil
}

func fairWord(fair bool) string {
	if fair {
		return "fair"
	}
	return "not fair"
}
