// Package simulated runs the simulated world of a scenario (sim.Live: the
// carrier and the agents' phones, and the agents themselves through their
// requests) as a stand-alone backend process, attached to a server over
// the backend protocol by a remote.Client, in real or scaled time.
package simulated

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
)

// MaxSpeed bounds Config.Speed.
const MaxSpeed = 10_000

// MaxAgents bounds how many agents one simulated backend stands in for.
const MaxAgents = 100_000

// Config configures a simulated backend.
type Config struct {
	Client   remote.ClientConfig
	Scenario *sim.Scenario
	// Agents are the ids of the agents the world stands in for (the
	// members of the campaign's queue); they log in when it starts.
	Agents []records.AgentID
	// Speed is how many simulated seconds pass in a wall second (1: real
	// time); the server must run at the same speed.
	Speed float64
	// Seed seeds the world's random streams.
	Seed uint64
}

// Check reports a bad configuration, naming the field.
func (c *Config) Check() error {
	switch {
	case c.Scenario == nil:
		return apierr.Invalid("scenario", "a scenario is required")
	case !(c.Speed > 0 && c.Speed <= MaxSpeed):
		return apierr.Invalid("speed", "must be above 0 and at most %d, got %v", MaxSpeed, c.Speed)
	case len(c.Agents) == 0:
		return apierr.Invalid("agents", "at least one agent is required")
	}
	return c.Client.Check()
}

// Run attaches the world to the server and keeps it attached until ctx is
// done.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	return NewClient(cfg).Run(ctx)
}

// NewClient returns the client that attaches cfg's world; its Run starts it.
func NewClient(cfg Config) *remote.Client {
	clock := runner.NewScaled(time.Now(), cfg.Speed)
	live := sim.NewLive(cfg.Scenario, cfg.Seed, cfg.Agents, sim.ScenarioWraps(cfg.Scenario), clock)
	return remote.NewClient(cfg.Client, live)
}

// ParseAgents parses a list of agent ids and ranges ("1-30,41,45-50").
func ParseAgents(s string) ([]records.AgentID, error) {
	var ids []records.AgentID
	seen := map[records.AgentID]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseID(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseID(hi); err != nil {
				return nil, err
			}
		}
		if b < a {
			return nil, apierr.Invalid("agents", "range %q ends before it starts", part)
		}
		if int(b-a)+len(ids) >= MaxAgents {
			return nil, apierr.Invalid("agents", "more than %d agents", MaxAgents)
		}
		for id := a; ; id++ {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			if id == b {
				break
			}
		}
	}
	if len(ids) == 0 {
		return nil, apierr.Invalid("agents", "no agent id in %q", s)
	}
	return ids, nil
}

func parseID(s string) (records.AgentID, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil || n == 0 || n > math.MaxUint32 {
		return 0, apierr.Invalid("agents", "%q is not an agent id (1 to %d)", s, uint32(math.MaxUint32))
	}
	return records.AgentID(n), nil
}

// AgentRange returns the ids 1 to n, the agents of the demo campaign that
// serve creates on an empty store.
func AgentRange(n int) []records.AgentID {
	ids := make([]records.AgentID, n)
	for i := range ids {
		ids[i] = records.AgentID(i + 1)
	}
	return ids
}
