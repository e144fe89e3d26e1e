package pacing

import (
	"strconv"
	"strings"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// maxTableTarget bounds one entry of a table: calls in flight, not per agent.
const maxTableTarget = 1 << 16

// TableMixPeriod is the period over which a table mixed with another
// (Config.TableMix) shares its time: the last TableMix of every period of
// the snapshots' clock runs the table above.
const TableMixPeriod = 10 * time.Minute

// Table is the lookup-table pacer: with b agents busy it keeps Targets[b]
// calls in flight (ringing or waiting for an agent), the last entry holding
// for every larger b. It is the form of the optimal policy that
// `outpace bound` computes for a Markov twin (package pacing/optimum), so
// that the optimum itself can be run through the simulator, seed by seed,
// like any other mode. It has no state and ignores observations; it never
// cancels a call, so the calls in flight can stay above the target after an
// agent takes one.
//
// When the cap falls between two of the twin's deterministic policies, the
// optimum mixes them: it gives a share Mix of the time to the more
// aggressive one (Above). The table does so by time-sharing, the last Mix of
// every TableMixPeriod on Above, which has the same long-run occupancy and
// abandon rate as the randomised mix (both policies are optimal for the same
// Lagrange multiplier) and keeps the pacer free of randomness.
type Table struct {
	Targets []int
	Above   []int
	Mix     float64
}

// NewTable returns the table pacer, which spends the share mix of its time
// on the table above (none: mix 0 and above empty). Every entry must be in
// [0, 65536].
func NewTable(targets, above []int, mix float64) (*Table, error) {
	if err := checkTable("pacing.table", targets); err != nil {
		return nil, err
	}
	switch {
	case !(mix >= 0 && mix <= 1):
		return nil, apierr.Invalid("pacing.table_mix", "must be a share of the time in [0, 1], got %v", mix)
	case mix > 0 && len(above) == 0:
		return nil, apierr.Invalid("pacing.table_above", "table_mix %v needs the table to mix with", mix)
	case mix == 0 && len(above) > 0:
		return nil, apierr.Invalid("pacing.table_mix", "table_above is given: say which share of the time it runs (0 < table_mix ≤ 1)")
	}
	if len(above) > 0 {
		if err := checkTable("pacing.table_above", above); err != nil {
			return nil, err
		}
	}
	return &Table{Targets: append([]int(nil), targets...), Above: append([]int(nil), above...), Mix: mix}, nil
}

func checkTable(field string, targets []int) error {
	if len(targets) == 0 {
		return apierr.Invalid(field, "needs at least one entry: the calls to keep in flight with 0, 1, 2, … agents busy")
	}
	for b, n := range targets {
		if n < 0 || n > maxTableTarget {
			return apierr.Invalid(field, "%s[%d] (the calls for that many agents busy) is %d, want 0–%d", field[len("pacing."):], b, n, maxTableTarget)
		}
	}
	return nil
}

// Observe implements Pacer; the table measures nothing.
func (*Table) Observe(Observation) {}

// Decide implements Pacer: place Targets[busy] − in flight, at least 0
// (Above[busy] in the share of the time given to it). A mixed table asks to
// decide again when it next changes tables.
func (t *Table) Decide(s *Snapshot) Decision {
	targets := t.Targets
	var next time.Time
	if t.Mix > 0 {
		period := int64(TableMixPeriod / time.Second)
		switchAt := int64((1 - t.Mix) * float64(period))
		sec := s.Now.Unix()
		phase := (sec%period + period) % period
		start := s.Now.Truncate(time.Second).Add(-time.Duration(phase) * time.Second)
		if phase >= switchAt {
			targets = t.Above
			next = start.Add(TableMixPeriod)
		} else {
			next = start.Add(time.Duration(switchAt) * time.Second)
		}
	}
	target := targets[min(s.Busy, len(targets)-1)]
	return Decision{Place: max(0, target-s.InFlight()), Level: float64(target), Next: next}
}

// String returns the table, e.g. "9,7,4,3,1,0", and a mixed table as
// "9,7,4,3,1,0 above=10,8,5,3,1,0 mix=0.3".
func (t *Table) String() string {
	if t.Mix == 0 {
		return FormatTable(t.Targets)
	}
	return FormatTable(t.Targets) + " above=" + FormatTable(t.Above) + " mix=" + strconv.FormatFloat(t.Mix, 'g', -1, 64)
}

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
