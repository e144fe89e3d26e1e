package pacing

import (
	"strconv"
	"strings"

	"github.com/outpace-dev/outpace/apierr"
)

// maxTableTarget bounds one entry of a table: calls in flight, not per agent.
const maxTableTarget = 1 << 16

// Table is the lookup-table pacer: with b agents busy it keeps Targets[b]
// calls in flight (ringing or waiting for an agent), the last entry holding
// for every larger b. It is the form of the optimal policy that
// `outpace bound` computes for a Markov twin (package pacing/optimum), so
// that the optimum itself can be run through the simulator, seed by seed,
// like any other mode. It has no state and ignores observations; it never
// cancels a call, so the calls in flight can stay above the target after an
// agent takes one.
type Table struct {
	Targets []int
}

// NewTable returns the table pacer. Every entry must be in [0, 65536].
func NewTable(targets []int) (*Table, error) {
	if len(targets) == 0 {
		return nil, apierr.Invalid("pacing.table", "needs at least one entry: the calls to keep in flight with 0, 1, 2, … agents busy")
	}
	for b, n := range targets {
		if n < 0 || n > maxTableTarget {
			return nil, apierr.Invalid("pacing.table", "table[%d] (the calls for that many agents busy) is %d, want 0–%d", b, n, maxTableTarget)
		}
	}
	return &Table{Targets: append([]int(nil), targets...)}, nil
}

// Observe implements Pacer; the table measures nothing.
func (*Table) Observe(Observation) {}

// Decide implements Pacer: place Targets[busy] − in flight, at least 0.
func (t *Table) Decide(s *Snapshot) Decision {
	target := t.Targets[min(s.Busy, len(t.Targets)-1)]
	return Decision{Place: max(0, target-s.InFlight()), Level: float64(target)}
}

// String returns the table, e.g. "9,7,4,3,1,0".
func (t *Table) String() string { return FormatTable(t.Targets) }

// FormatTable writes a table as its entries separated by commas.
func FormatTable(targets []int) string {
	var b strings.Builder
	for i, n := range targets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
