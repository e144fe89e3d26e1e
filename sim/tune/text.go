package tune

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/pacing/optimum"
)

// WriteText writes the sweep as a table for people: every setting run with
// its means over the seeds, the frontier and the best setting marked, then
// the best setting's figures and the --set flags that run it. optimum, when
// positive, is the optimal occupancy of the scenario's Markov twin at the
// cap, which the best setting is measured against.
func (r Result) WriteText(w io.Writer, scenario string, optimum float64) error {
	fmt.Fprintf(w, "%s: %s, %s swept on seeds %s, cap %.3g %%\n", scenario, r.Mode, r.Knob, seedRange(r.Seeds), 100*r.Cap)
	fmt.Fprintf(w, "fair = worst 24 h abandon window ≤ cap on at least 19 of 20 seeds, and on a fresh seed (95 %% prediction bound); * best, + on the frontier\n\n")
	onFrontier := map[string]bool{}
	for _, f := range r.Frontier {
		onFrontier[f.Setting] = true
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tsetting\toccupancy\tabandon\tworst seed\tfresh seed\tover cap\tfair\t")
	for i, p := range r.Points {
		mark := ""
		if onFrontier[p.Setting.Label] {
			mark = "+"
		}
		if i == r.Best.Index {
			mark = "*"
		}
		fair := "no"
		if p.Fair {
			fair = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f %%\t%.2f %%\t%.2f %%\t%.2f %%\t%d/%d\t%s\t\n", mark, p.Setting.Label,
			100*p.Occupancy, 100*p.AbandonRate, 100*p.WorstAbandon, 100*p.FreshWorst, p.Breaches, len(p.Reports)+len(p.Confirm), fair)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b := r.Best.Report
	p := r.Points[r.Best.Index]
	if !r.Best.Fair {
		fmt.Fprintf(w, "\nno setting kept the abandon rate under the cap on enough seeds; the least bad is %s\n", r.Best.Setting)
	} else {
		fmt.Fprintf(w, "\nbest: %s\n", r.Best.Setting)
	}
	fmt.Fprintf(w, "  occupancy %.2f %%, abandon rate %.2f %% (worst seed %.2f %%)\n", 100*b.Occupancy, 100*b.AbandonRate, 100*p.WorstAbandon)
	fmt.Fprintf(w, "  talk %.1f min, %.1f connects and %.1f dials per agent-hour\n", b.TalkMinPerAgentHour, b.ConnectsPerAgentHour, b.DialsPerAgentHour)
	if spec, ok := pacing.Spec(r.Mode); ok && spec.Knob != nil {
		fmt.Fprintf(w, "  run it: --set task.pacing.mode=%s %s\n", r.Mode, spec.SetFlags(r.Best.Config))
	}
	if optimum > 0 {
		fmt.Fprintf(w, "  optimum of this Markov twin at the cap: %.2f %%; the best setting reaches %.1f %% of it\n",
			100*optimum, 100*b.Occupancy/optimum)
	}
	return nil
}

// WriteText writes the comparison as a table for people: a line per mode
// with its tuned setting and its figures on the evaluation seeds (means
// ± 95 % confidence intervals), then the modes that found no fair setting
// and those that could not run. agents is the scenario's team size.
func (c Comparison) WriteText(w io.Writer, agents int) error {
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
	var failed []ModeResult
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

// WriteText writes the optimum for people: what the twin is (and, when
// derived, how), the optimal occupancy and its bound, the policy (every
// row when full, else about twenty), and the simulated runs if any.
func (b BoundResult) WriteText(w io.Writer, name string, full bool) error {
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

// seedRange renders consecutive seeds as "1–5".
func seedRange(s []uint64) string {
	switch len(s) {
	case 0:
		return "none"
	case 1:
		return fmt.Sprint(s[0])
	}
	return fmt.Sprintf("%d–%d", s[0], s[len(s)-1])
}

func fairWord(fair bool) string {
	if fair {
		return "fair"
	}
	return "not fair"
}
