package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

// compliance is the world of a randomized run's numbers: an in-memory twin
// of the store's number source, with numbers in several time zones, some with
// NotBefore and NotAfter, a calling window that closes during the run in one
// of the zones, and blacklists that change while the run goes on. It checks,
// at every Ready, that nothing is dialled outside its window, before or after
// its limits, or while it is on the tenant's or the task's blacklist.
type compliance struct {
	rng    *rand.Rand
	window records.Window
	close  time.Time // when the window closes in one zone, during the run
	nums   []compNum // number i+1
	tenant map[string]bool
	task   map[string]bool

	dials, skipped, handedBack, changes int
}

type compNum struct {
	n     records.Number
	state uint8 // 0 pending, 1 handed out, 2 dialing, 3 done or skipped
	due   time.Time
}

const compTenant = "acme"

var compZones = func() []*time.Location {
	var locs []*time.Location
	for _, name := range []string{"UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney"} {
		l, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		locs = append(locs, l)
	}
	return locs
}()

func newCompliance(rng *rand.Rand, sc *Scenario) *compliance {
	c := &compliance{rng: rng, tenant: map[string]bool{}, task: map[string]bool{}}
	// The window closes at a random moment of the run in one zone, and opened
	// between 2 and 12 hours earlier there, the same hours every day.
	c.close = sc.Start.Add(time.Duration(rng.Int64N(int64(sc.Warmup + sc.Duration)))).Truncate(time.Minute)
	lt := c.close.In(compZones[rng.IntN(len(compZones))])
	to := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute
	if to == 0 {
		to = 24 * time.Hour
	}
	from := max(to-time.Duration(2+rng.IntN(11))*time.Hour, 0)
	for i := range c.window.Days {
		c.window.Days[i] = records.Hours{From: from, To: to}
	}
	span := int64(sc.Warmup + sc.Duration)
	for i := range 4000 {
		n := records.Number{ID: records.NumberID(i + 1), Task: 1, Phone: fmt.Sprintf("+1555%07d", i+1)}
		n.Zones = []*time.Location{compZones[rng.IntN(len(compZones))]}
		if rng.IntN(4) == 0 {
			n.Zones = append(n.Zones, compZones[rng.IntN(len(compZones))])
		}
		if rng.IntN(5) == 0 {
			n.NotAfter = sc.Start.Add(time.Duration(rng.Int64N(span)))
		}
		if rng.IntN(8) == 0 {
			n.NotBefore = sc.Start.Add(time.Duration(rng.Int64N(span / 2)))
		}
		c.nums = append(c.nums, compNum{n: n})
	}
	return c
}

// spec is the simulated task, with the run's window and its day's end.
func (c *compliance) spec(sc *Scenario) *records.TaskSpec {
	acw := time.Duration(0)
	if sc.Handling.Wrap.Kind != "constant" || sc.Handling.Wrap.Value > 0 {
		acw = 24 * time.Hour
	}
	return &records.TaskSpec{
		ID: 1, Tenant: compTenant, Name: sc.Name, Queue: 1, Pacing: sc.Task.Pacing,
		NoAnswerTimeout: *sc.Task.NoAnswerTimeout, AllowShortRing: true,
		ConnectDeadline: *sc.Task.ConnectDeadline, AllowZeroDeadline: true,
		ACWTimeout: acw, MaxLinesPerAgent: sc.Task.MaxLinesPerAgent,
		Retry: sc.Task.Retry, CallerIDs: []string{"+15550100000"},
		Window: c.window, DialUntil: c.close,
	}
}

func (c *compliance) open(n *records.Number, at time.Time) bool {
	for _, z := range n.Zones {
		if !c.window.OpenAt(at, z) {
			return false
		}
	}
	return true
}

// fetch hands out numbers as the store does: due, inside their window, not
// before their NotBefore; those found past their NotAfter are retired.
func (c *compliance) fetch(_ records.TaskID, now time.Time, max int, buf []records.Number) ([]records.Number, bool, error) {
	out := buf[:0]
	for i := range c.nums {
		if len(out) == max {
			break
		}
		x := &c.nums[i]
		if x.state != 0 || x.due.After(now) || now.Before(x.n.NotBefore) || !c.open(&x.n, now) {
			continue
		}
		if !x.n.NotAfter.IsZero() && now.After(x.n.NotAfter) {
			x.state = 3
			continue
		}
		x.state = 1
		out = append(out, x.n)
	}
	return out, len(out) == 0, nil
}

func (c *compliance) listed(phone string) bool { return c.tenant[phone] || c.task[phone] }

// commit applies the number updates of a Ready and checks the engine's
// skips: a number skipped as blacklisted is listed, one skipped as expired
// is past its NotAfter.
func (c *compliance) commit(rd *engine.Ready) error {
	for _, u := range rd.Numbers {
		x := &c.nums[u.Number-1]
		switch u.State {
		case records.NumberDialing:
			if x.state != 1 {
				return fmt.Errorf("number %d dialled in state %d, not handed out", u.Number, x.state)
			}
			x.state = 2
		case records.NumberPending:
			if x.state == 1 { // handed back unused: due when it may be dialled
				c.handedBack++
				if !u.NextAt.After(u.At) {
					return fmt.Errorf("number %d handed back due at once, at %s", u.Number, u.At)
				}
			}
			x.state, x.due = 0, u.NextAt
		case records.NumberSkipped:
			c.skipped++
			switch u.Reason {
			case records.NoCallBlacklisted:
				if !c.listed(x.n.Phone) {
					return fmt.Errorf("number %d skipped as blacklisted, but %s is not listed", u.Number, x.n.Phone)
				}
			case records.NoCallExpired:
				if x.n.NotAfter.IsZero() || !u.At.After(x.n.NotAfter) {
					return fmt.Errorf("number %d skipped as expired at %s, NotAfter %s", u.Number, u.At, x.n.NotAfter)
				}
			default:
				return fmt.Errorf("number %d skipped with reason %d", u.Number, u.Reason)
			}
			x.state = 3
		default:
			x.state = 3
		}
	}
	return nil
}

// check looks at every Originate of a Ready, then changes a blacklist now
// and then: a Step between Ready and Advance, as a runner may do.
func (c *compliance) check(s *Sim, rd *engine.Ready) error {
	now := s.Now()
	for _, cmd := range rd.Commands {
		if cmd.Kind != engine.CmdOriginate {
			continue
		}
		c.dials++
		n := &c.nums[cmd.Number-1].n
		switch {
		case !c.open(n, now):
			return fmt.Errorf("at %s: number %d dialled outside its window %v in %v", now, n.ID, c.window.Days[0], n.Zones)
		case c.listed(n.Phone):
			return fmt.Errorf("at %s: number %d dialled while %s is blacklisted", now, n.ID, n.Phone)
		case now.Before(n.NotBefore) || (!n.NotAfter.IsZero() && now.After(n.NotAfter)):
			return fmt.Errorf("at %s: number %d dialled outside [%s, %s]", now, n.ID, n.NotBefore, n.NotAfter)
		}
	}
	if c.rng.IntN(20) != 0 {
		return nil
	}
	// Mostly numbers likely handed out already: the engine holds them.
	var phones []string
	for range 1 + c.rng.IntN(20) {
		i := c.rng.IntN(len(c.nums))
		if c.rng.IntN(2) == 0 {
			for j := range c.nums {
				if c.nums[j].state == 1 {
					i = j
					break
				}
			}
		}
		phones = append(phones, c.nums[i].n.Phone)
	}
	ch := &engine.BlacklistChange{Tenant: compTenant, Phones: phones, Remove: c.rng.IntN(3) == 0}
	list := c.tenant
	if c.rng.IntN(2) == 0 {
		ch.Task, list = 1, c.task
	}
	if err := s.Engine().Step(engine.Event{At: now, Kind: engine.EvBlacklist, Blacklist: ch}); err != nil {
		return err
	}
	for _, p := range phones {
		if ch.Remove {
			delete(list, p)
		} else {
			list[p] = true
		}
	}
	c.changes++
	return nil
}
