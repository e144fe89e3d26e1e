package tune

import (
	"cmp"
	"slices"
	"sync"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// Defaults of a Tuner.
const (
	DefaultCap       = pacing.DefaultAbandonTarget
	DefaultSeeds     = 5
	DefaultEvalSeeds = 10
	// MaxEvalSeeds bounds Tuner.EvalSeeds.
	MaxEvalSeeds = 1000
	// MaxWorkers bounds Tuner.Workers.
	MaxWorkers = 256
	// EvalSeedOffset separates the evaluation seeds from the tuning seeds:
	// tuning runs seeds s…s+n−1 (a refined setting also s+n…s+2n−1),
	// evaluation s+EvalSeedOffset…
	EvalSeedOffset = 100
	// chunk is the number of grid points a monotone sweep runs before it
	// checks whether to stop. Fixed, so that results do not depend on the CPU count.
	chunk = 6
)

// Tuner runs sweeps and comparisons. Its methods may be called from several
// goroutines at once: they share one bounded pool of workers and one progress
// count. Set the fields before the first call and do not change them after.
type Tuner struct {
	// Cap is the abandon cap (default 0.03).
	Cap float64
	// Seeds is the number of tuning seeds per point (default 5, at most 50:
	// a refined setting also runs the next Seeds seeds, and the evaluation
	// seeds start EvalSeedOffset after the first).
	Seeds int
	// EvalSeeds is the number of evaluation seeds of a comparison (default 10).
	EvalSeeds int
	// Workers bounds the simulations running at once (default GOMAXPROCS).
	Workers int
	// Progress, if set, is called after every run with the runs done and the
	// runs planned so far. The total grows as work is planned and shrinks when
	// a sweep stops early. Calls never overlap.
	Progress func(done, total int)
	// Optimum, if set, replaces the optimum solver (package pacing/optimum)
	// for the Markov twins of comparisons, e.g. to share one solution
	// between several comparisons. It returns the optimal occupancy at cap.
	Optimum func(tw Twin, cap float64) (float64, error)

	once sync.Once
	pool *pool
}

func (t *Tuner) init() error {
	t.once.Do(func() {
		if t.Cap == 0 {
			t.Cap = DefaultCap
		}
		if t.Seeds == 0 {
			t.Seeds = DefaultSeeds
		}
		if t.EvalSeeds == 0 {
			t.EvalSeeds = DefaultEvalSeeds
		}
		t.pool = newPool(t.Workers, t.Progress)
	})
	switch {
	case !(t.Cap > 0 && t.Cap < 1):
		return apierr.Invalid("cap", "must be a fraction in (0, 1), such as 0.03 for 3 %%; got %v", t.Cap)
	case t.Seeds < 1 || t.Seeds > EvalSeedOffset/2:
		return apierr.Invalid("seeds", "must be between 1 and %d, got %d", EvalSeedOffset/2, t.Seeds)
	case t.EvalSeeds < 2 || t.EvalSeeds > MaxEvalSeeds:
		return apierr.Invalid("eval-seeds", "must be 2–%d (a confidence interval needs two), got %d", MaxEvalSeeds, t.EvalSeeds)
	case t.Workers < 0 || t.Workers > MaxWorkers:
		return apierr.Invalid("workers", "must be 0–%d (0: one a CPU), got %d", MaxWorkers, t.Workers)
	}
	return nil
}

// Check fills in the defaults and returns the first setting out of its
// range as an InvalidParams error naming it: "cap", "seeds", "eval-seeds"
// or "workers". Every method checks the same before it runs anything.
func (t *Tuner) Check() error { return t.init() }

// seeds returns n consecutive seeds from first.
func seeds(first uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = first + uint64(i)
	}
	return out
}

// Result is a sweep of one mode's main knob. Its JSON form is
// {"mode", "cap", "best": {"setting", "report"}, "frontier": [...]}.
type Result struct {
	Mode     records.PacingMode `json:"mode"`
	Cap      float64            `json:"cap"`
	Best     Best               `json:"best"`
	Frontier []FrontierPoint    `json:"frontier"`

	// Knob names the swept knob.
	Knob string `json:"-"`
	// Seeds are the tuning seeds every point ran on.
	Seeds []uint64 `json:"-"`
	// Points holds every setting run, in grid order, those a refinement
	// placed between two of the grid's among them (Grid.Refine).
	Points []Point `json:"-"`
}

// Best is the fairly tuned setting of a sweep.
type Best struct {
	Setting string `json:"setting"`
	// Report is the mean report of the setting over the tuning seeds.
	Report *sim.Report `json:"report"`

	// Config is the setting's pacing configuration.
	Config records.PacingConfig `json:"-"`
	// Fair is false when no setting of the grid met the cap; Setting is then
	// the one with the fewest breaches (then the lowest mean abandon rate).
	Fair bool `json:"-"`
	// Index is the setting's index in Result.Points.
	Index int `json:"-"`
}

// FrontierPoint is one point of the efficient frontier: no other setting of
// the sweep had a lower mean abandon rate and a higher mean occupancy.
type FrontierPoint struct {
	Setting     string  `json:"setting"`
	Occupancy   float64 `json:"occupancy"`
	AbandonRate float64 `json:"abandon_rate"`
}

// Point is one setting of a sweep, run on every tuning seed.
type Point struct {
	Setting Setting
	// Occupancy and AbandonRate are means over the seeds.
	Occupancy, AbandonRate float64
	// WorstAbandon is the highest max_abandon_rate_24h over the seeds.
	WorstAbandon float64
	// Breaches counts the seeds whose max_abandon_rate_24h is over the cap.
	Breaches int
	// FreshWorst is the one-sided 95 % upper prediction bound of a fresh
	// seed's max_abandon_rate_24h (see FreshBound).
	FreshWorst float64
	// Fair says the point meets the cap in at least 19 of 20 seeds and a
	// fresh seed is predicted to as well (FreshWorst at or under the cap).
	Fair bool
	// Reports are the seeds' reports, in seed order.
	Reports []*sim.Report
	// Confirm holds a refined setting's reports on as many seeds again, the
	// next ones after the tuning seeds (Grid.Refine): they count towards
	// Breaches, WorstAbandon, FreshWorst and Fair, not towards the means.
	Confirm []*sim.Report
}

// Fair reports whether breaches out of n seeds meet the fair-tuning rule: at
// most one seed in 20 over the cap.
func Fair(breaches, n int) bool { return breaches <= n/20 }

// Sweep sweeps mode's main knob over DefaultGrid on seeds runs per point
// (0: DefaultSeeds) and returns the frontier and the best fair setting.
// progress may be nil.
func Sweep(sc *sim.Scenario, mode records.PacingMode, cap float64, seeds int, progress func(done, total int)) (Result, error) {
	t := &Tuner{Cap: cap, Seeds: seeds, Progress: progress}
	return t.Sweep(sc, mode)
}

// Sweep sweeps mode's main knob over DefaultGrid.
func (t *Tuner) Sweep(sc *sim.Scenario, mode records.PacingMode) (Result, error) {
	if err := t.init(); err != nil {
		return Result{}, err
	}
	g, err := DefaultGrid(mode, sc.Task.Pacing, t.Cap)
	if err != nil {
		return Result{}, err
	}
	return t.SweepGrid(sc, g)
}

// SweepGrid runs the settings of g on the tuning seeds.
func (t *Tuner) SweepGrid(sc *sim.Scenario, g Grid) (Result, error) {
	if err := t.init(); err != nil {
		return Result{}, err
	}
	if len(g.Settings) == 0 {
		return Result{}, apierr.Invalid("grid", "no settings to sweep for mode %q", g.Mode)
	}
	res := Result{Mode: g.Mode, Cap: t.Cap, Knob: g.Knob, Seeds: seeds(sc.Seed, t.Seeds)}
	n := len(res.Seeds)
	t.pool.plan(len(g.Settings) * n)
	// The lines run concurrently; their points are joined in grid order.
	var lines [][]Setting
	for lo := 0; lo < len(g.Settings); {
		hi := lo
		for hi < len(g.Settings) && g.Settings[hi].Line == g.Settings[lo].Line {
			hi++
		}
		lines = append(lines, g.Settings[lo:hi])
		lo = hi
	}
	pts := make([][]Point, len(lines))
	errs := make([]error, len(lines))
	var wg sync.WaitGroup
	for i, line := range lines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pts[i], errs[i] = t.sweepLine(sc, line, g.Monotone, res.Seeds)
			if errs[i] == nil && g.Monotone && g.Refine > 0 {
				pts[i], errs[i] = t.refineLine(sc, g, pts[i], res.Seeds)
			}
		}()
	}
	wg.Wait()
	for i := range lines {
		if errs[i] != nil {
			return Result{}, errs[i]
		}
		res.Points = append(res.Points, pts[i]...)
	}
	res.Best = best(res.Points)
	res.Frontier = frontier(res.Points)
	return res, nil
}

// sweepLine runs one line of a grid on seeds, in chunks when it is
// monotone, and leaves it after two consecutive points over the cap on
// average. Runs that will not happen are taken off the plan.
func (t *Tuner) sweepLine(sc *sim.Scenario, line []Setting, monotone bool, seeds []uint64) ([]Point, error) {
	var pts []Point
	step := len(line)
	if monotone {
		step = chunk
	}
	over := 0
	for start := 0; start < len(line); start += step {
		part := line[start:min(start+step, len(line))]
		cfgs := make([]records.PacingConfig, len(part))
		for i, s := range part {
			cfgs[i] = s.Config
		}
		unplanned := (len(line) - start - len(part)) * len(seeds)
		reps, err := t.pool.run(sc, cfgs, seeds)
		if err != nil {
			t.pool.plan(-unplanned)
			return nil, err
		}
		stop := false
		for i, s := range part {
			pt := point(s, reps[i], t.Cap)
			pts = append(pts, pt)
			if pt.AbandonRate > t.Cap {
				over++
			} else {
				over = 0
			}
			stop = stop || (monotone && over >= 2)
		}
		if stop {
			t.pool.plan(-unplanned)
			break
		}
	}
	return pts, nil
}

// refineLine halves g.Refine times the step between the line's best fair
// point and the next one, which either is not fair or has a lower occupancy
// (Grid.Refine): each new setting, halfway between the two, replaces the
// best when it is fair with a higher occupancy, and the next one otherwise.
// The new points join pts in order of aggressiveness. A line with no fair
// point, or whose best is its last point, is left as it is. Occupancy need
// not rise along a line: VICIdial at a 12 % hit rate keeps 89 % of its
// agents busy at max_level 1.5, 95 % at 1.625 and 68 % at 2, where its drop
// rule keeps slamming its level to 1.
//
// A refined setting runs on the tuning seeds and on as many seeds again
// (Point.Confirm), and must be fair on them all: chosen among more settings
// near the cap, on five seeds alone it would more often be one those seeds
// happened to favour (on the scoreboard's first run without it, closed-form
// on S3-markov took a setting that broke the cap on 3 of 20 evaluation
// seeds; with it, the one below, which broke it on none).
func (t *Tuner) refineLine(sc *sim.Scenario, g Grid, pts []Point, seeds []uint64) ([]Point, error) {
	b := best(pts)
	lo, hi := b.Index, b.Index+1
	if !b.Fair || hi >= len(pts) {
		return pts, nil
	}
	n := len(seeds)
	all := append(slices.Clone(seeds), confirmSeeds(seeds)...)
	t.pool.plan(g.Refine * len(all))
	for k := range g.Refine {
		mid, ok := between(g.Mode, pts[lo].Setting, pts[hi].Setting)
		if !ok {
			t.pool.plan(-(g.Refine - k) * len(all))
			break
		}
		reps, err := t.pool.run(sc, []records.PacingConfig{mid.Config}, all)
		if err != nil {
			t.pool.plan(-(g.Refine - k - 1) * len(all))
			return nil, err
		}
		pts = slices.Insert(pts, hi, confirmedPoint(mid, reps[0][:n], reps[0][n:], t.Cap))
		if m := pts[hi]; m.Fair && m.Occupancy > pts[lo].Occupancy {
			lo, hi = hi, hi+1
		}
	}
	return pts, nil
}

// confirmSeeds returns the seeds a refined setting confirms its fairness on:
// as many as the tuning seeds, right after them.
func confirmSeeds(tuning []uint64) []uint64 {
	return seeds(tuning[len(tuning)-1]+1, len(tuning))
}

// confirmedPoint is point over reps, judged fair on reps and confirm
// together.
func confirmedPoint(s Setting, reps, confirm []*sim.Report, cap float64) Point {
	p := point(s, reps, cap)
	for _, r := range confirm {
		r.Setting = s.Label
	}
	j := judge(append(slices.Clone(reps), confirm...), cap)
	p.Confirm, p.WorstAbandon, p.Breaches, p.FreshWorst, p.Fair = confirm, j.MaxAbandonRate24h.Max, j.Breaches, j.FreshWorst, j.Fair
	return p
}

func point(s Setting, reps []*sim.Report, cap float64) Point {
	for _, r := range reps {
		r.Setting = s.Label
	}
	j := judge(reps, cap)
	return Point{Setting: s, Reports: reps,
		Occupancy: j.Occupancy.Mean, AbandonRate: j.AbandonRate.Mean, WorstAbandon: j.MaxAbandonRate24h.Max,
		Breaches: j.Breaches, FreshWorst: j.FreshWorst, Fair: j.Fair}
}

// best picks the fair point of highest mean occupancy (the earliest on a tie),
// or, when none is fair, the one with the fewest breaches, then the lowest
// mean abandon rate.
func best(pts []Point) Best {
	bi := -1
	for i, p := range pts {
		if p.Fair && (bi < 0 || p.Occupancy > pts[bi].Occupancy) {
			bi = i
		}
	}
	fair := bi >= 0
	if !fair {
		bi = 0
		for i, p := range pts {
			q := pts[bi]
			if p.Breaches < q.Breaches || (p.Breaches == q.Breaches && p.AbandonRate < q.AbandonRate) {
				bi = i
			}
		}
	}
	p := pts[bi]
	return Best{Setting: p.Setting.Label, Report: meanReport(p.Reports), Config: p.Setting.Config, Fair: fair, Index: bi}
}

// frontier returns the efficient points, by rising abandon rate (and so
// rising occupancy).
func frontier(pts []Point) []FrontierPoint {
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(pts[a].AbandonRate, pts[b].AbandonRate); c != 0 {
			return c
		}
		return cmp.Compare(pts[b].Occupancy, pts[a].Occupancy)
	})
	var out []FrontierPoint
	for _, i := range idx {
		p := pts[i]
		if len(out) > 0 && p.Occupancy <= out[len(out)-1].Occupancy {
			continue
		}
		out = append(out, FrontierPoint{Setting: p.Setting.Label, Occupancy: p.Occupancy, AbandonRate: p.AbandonRate})
	}
	return out
}
