package tune

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// pool runs simulations on at most cap(sem) workers at once and counts them
// for the progress callback.
type pool struct {
	sem chan struct{}

	mu          sync.Mutex
	done, total int
	progress    func(done, total int)
}

func newPool(workers int, progress func(done, total int)) *pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &pool{sem: make(chan struct{}, workers), progress: progress}
}

// plan adds n runs (negative: removes runs that will not happen) to the total.
func (p *pool) plan(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += n
	if p.progress != nil {
		p.progress(p.done, p.total)
	}
}

func (p *pool) finished() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.progress != nil {
		p.progress(p.done, p.total)
	}
}

// run simulates sc under every configuration on every seed; out[i][j] is
// cfgs[i] on seeds[j]. The runs must have been planned. The error is the
// first one in (configuration, seed) order, whatever order the runs end in.
func (p *pool) run(sc *sim.Scenario, cfgs []records.PacingConfig, seeds []uint64) ([][]*sim.Report, error) {
	out := make([][]*sim.Report, len(cfgs))
	errs := make([]error, len(cfgs)*len(seeds))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		out[i] = make([]*sim.Report, len(seeds))
		for j, seed := range seeds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.sem <- struct{}{}
				out[i][j], errs[i*len(seeds)+j] = runOne(sc, cfg, seed)
				<-p.sem
				p.finished()
			}()
		}
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s, seed %d: %w", cfgs[k/len(seeds)].Mode, seeds[k%len(seeds)], err)
		}
	}
	return out, nil
}

// runOne simulates a copy of sc with the given pacing and seed. The copy
// shares sc's read-only parts (distributions, schedules).
func runOne(sc *sim.Scenario, cfg records.PacingConfig, seed uint64) (*sim.Report, error) {
	c := *sc
	c.Seed = seed
	c.Task.Pacing = cfg
	s, err := sim.New(&c, sim.Options{})
	if err != nil {
		return nil, err
	}
	return s.Run()
}
