// Package bench holds outpace's benchmarks (`make bench`) and the benchmark
// scenarios (bench/scenarios/). The simulator's own reports are the pacing
// scoreboard; the Go benchmarks here measure throughput: engine events per
// second and allocations per event, and simulated dial attempts per second.
package bench
