package sim

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestPredictiveSweep runs the predictive pacer over scenarios and seeds and
// prints, per scenario, the mean occupancy, the mean and worst abandon rate and
// the number of seeds over the cap. It is a measuring tool, not a test: it runs
// only with OUTPACE_SWEEP=1, e.g.
//
//	OUTPACE_SWEEP=1 OUTPACE_SCENARIOS=S1,S3-markov OUTPACE_SEEDS=1-20 \
//	OUTPACE_SETS="task.pacing.predictive.margin_z=1" OUTPACE_WORKERS=2 \
//	go test ./sim/ -run TestPredictiveSweep -v -timeout 0
//
// OUTPACE_SETS is a ';'-separated list of scenario overrides; OUTPACE_MODE
// replaces the pacing mode (default predictive).
func TestPredictiveSweep(t *testing.T) {
	if os.Getenv("OUTPACE_SWEEP") != "1" {
		t.Skip("set OUTPACE_SWEEP=1 to run")
	}
	scenarios := strings.Split(envOr("OUTPACE_SCENARIOS", "S1,S2,S3,S4,S5,S6,S1-markov,S2-markov,S3-markov,S4-markov,S5-markov,S6-markov"), ",")
	lo, hi := 1, 20
	if v := os.Getenv("OUTPACE_SEEDS"); v != "" {
		a, b, ok := strings.Cut(v, "-")
		lo, _ = strconv.Atoi(a)
		hi = lo
		if ok {
			hi, _ = strconv.Atoi(b)
		}
	}
	sets := []string{"task.pacing.mode=" + envOr("OUTPACE_MODE", "predictive")}
	if v := os.Getenv("OUTPACE_SETS"); v != "" {
		sets = append(sets, strings.Split(v, ";")...)
	}
	workers, _ := strconv.Atoi(envOr("OUTPACE_WORKERS", "2"))
	verbose := os.Getenv("OUTPACE_VERBOSE") == "1"

	type job struct {
		sc   string
		seed int
	}
	type res struct {
		occ, ab, ab24 float64
	}
	results := map[string][]res{}
	var mu sync.Mutex
	// Every job is queued before the workers start, and every scenario is
	// loaded once here first: a worker that fails its test (t.Fatal ends
	// only its goroutine) then leaves no sender blocked.
	for _, sc := range scenarios {
		loadFile(t, "../bench/scenarios/"+sc+".yaml", sets...)
	}
	jobs := make(chan job, len(scenarios)*(hi-lo+1))
	for _, sc := range scenarios {
		for seed := lo; seed <= hi; seed++ {
			jobs <- job{sc, seed}
		}
	}
	close(jobs)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sc := loadFile(t, "../bench/scenarios/"+j.sc+".yaml", append([]string{fmt.Sprintf("seed=%d", j.seed)}, sets...)...)
				r := run(t, sc)
				mu.Lock()
				results[j.sc] = append(results[j.sc], res{r.Occupancy, r.AbandonRate, r.MaxAbandonRate24h})
				if verbose {
					fmt.Printf("%-10s seed %2d  occ %.4f  ab %.4f  max24h %.4f  wall %.1fs\n", j.sc, j.seed, r.Occupancy, r.AbandonRate, r.MaxAbandonRate24h, r.WallS)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	fmt.Printf("sets: %s\n", strings.Join(sets, " "))
	fmt.Printf("%-10s %6s %8s %8s %8s %8s %5s\n", "scenario", "seeds", "occ", "occ_sd", "ab", "ab_max", "over")
	for _, sc := range scenarios {
		rs := results[sc]
		var so, so2, sa, amax float64
		over := 0
		for _, r := range rs {
			so += r.occ
			so2 += r.occ * r.occ
			sa += r.ab
			amax = max(amax, r.ab24)
			if r.ab24 > 0.03 {
				over++
			}
		}
		n := float64(len(rs))
		sd := math.Sqrt(max(so2/n-(so/n)*(so/n), 0))
		fmt.Printf("%-10s %6d %8.4f %8.4f %8.4f %8.4f %5d\n", sc, len(rs), so/n, sd, sa/n, amax, over)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
