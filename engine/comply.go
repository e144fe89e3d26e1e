package engine

import (
	"fmt"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// BlacklistChange adds phones to a blacklist (do-not-call list) or removes
// them from it: the tenant's list when Task is 0, else the task's own.
type BlacklistChange struct {
	Tenant string
	Task   records.TaskID // 0: the tenant's list
	Phones []string       // E.164, as the numbers carry them
	Remove bool
}

// openHorizon is how far ahead the engine looks for a window to open: a
// number whose window stays closed that long is handed back due a week on.
const openHorizon = 7 * 24 * time.Hour

// blacklists are the lists the engine checks at every dial, kept current by
// EvBlacklist.
type blacklists struct {
	tenant map[string]map[string]struct{}
	task   map[records.TaskID]map[string]struct{}
}

func (b *blacklists) empty() bool { return len(b.tenant) == 0 && len(b.task) == 0 }

func (b *blacklists) listed(tenant string, task records.TaskID, phone string) bool {
	if _, ok := b.tenant[tenant][phone]; ok {
		return true
	}
	_, ok := b.task[task][phone]
	return ok
}

// blacklist applies one change to the lists.
func (e *Engine) blacklist(c *BlacklistChange) error {
	if c == nil {
		return apierr.Invalid("blacklist", "missing blacklist change")
	}
	for i, p := range c.Phones {
		if p == "" {
			return apierr.Invalid(fmt.Sprintf("blacklist.phones[%d]", i), "must not be empty")
		}
	}
	var set map[string]struct{}
	if c.Task == 0 {
		set = e.black.tenant[c.Tenant]
	} else {
		set = e.black.task[c.Task]
	}
	if c.Remove {
		for _, p := range c.Phones {
			delete(set, p)
		}
	} else {
		if set == nil {
			set = make(map[string]struct{}, len(c.Phones))
		}
		for _, p := range c.Phones {
			set[p] = struct{}{}
		}
	}
	switch {
	case c.Task == 0 && len(set) == 0:
		delete(e.black.tenant, c.Tenant)
	case c.Task == 0:
		if e.black.tenant == nil {
			e.black.tenant = make(map[string]map[string]struct{})
		}
		e.black.tenant[c.Tenant] = set
	case len(set) == 0:
		delete(e.black.task, c.Task)
	default:
		if e.black.task == nil {
			e.black.task = make(map[records.TaskID]map[string]struct{})
		}
		e.black.task[c.Task] = set
	}
	// Nothing to pace: numbers are checked when they are dialled.
	return nil
}

// verdict is what the dial-time checks say of a number.
type verdict uint8

const (
	dialIt   verdict = iota
	skipIt           // never to be dialled: NumberSkipped with a reason
	handBack         // not now: NumberPending, due again at a later time
)

// check decides, at the moment of dialling, whether num may be dialled now:
// not on the tenant's or the task's blacklist, not past its NotAfter, not
// before its NotBefore, and inside the task's calling window in every one of
// its zones. It returns the skip reason, or when to hand it back for.
func (e *Engine) check(t *task, num *records.Number) (v verdict, reason int, at time.Time) {
	if !e.black.empty() && e.black.listed(t.spec.Tenant, t.spec.ID, num.Phone) {
		return skipIt, records.NoCallBlacklisted, time.Time{}
	}
	if !num.NotAfter.IsZero() && e.now.After(num.NotAfter) {
		return skipIt, records.NoCallExpired, time.Time{}
	}
	if e.now.Before(num.NotBefore) {
		return handBack, 0, num.NotBefore
	}
	if t.alwaysOpen || t.openFor(e.now, num.Zones) {
		return dialIt, 0, time.Time{}
	}
	return handBack, 0, t.opens(e.now, num.Zones)
}

var utcZones = []*time.Location{time.UTC}

// openFor reports whether the task's window is open at now in every zone.
func (t *task) openFor(now time.Time, zones []*time.Location) bool {
	if len(zones) == 0 {
		zones = utcZones
	}
	return t.window.OpenIn(now, zones)
}

// opens returns the first instant after now at which the task's window is
// open in every zone at once, or now plus openHorizon when there is none
// before that.
func (t *task) opens(now time.Time, zones []*time.Location) time.Time {
	if len(zones) == 0 {
		zones = utcZones
	}
	horizon := now.Add(openHorizon)
	for at := now; ; {
		moved := false
		for _, z := range zones {
			o, ok := t.window.Opens(at, z, horizon)
			if !ok {
				return horizon
			}
			if o.After(at) {
				at, moved = o, true
			}
		}
		if !moved {
			return at
		}
	}
}

// next returns the number at the head of t's buffer, to dial or to put
// aside, and takes it out of the buffer.
func (t *task) next() records.Number {
	num := t.list[t.head]
	t.list[t.head] = records.Number{} // drop references
	t.head++
	if t.head == len(t.list) {
		t.list, t.head = t.list[:0], 0
	}
	return num
}

// putAside writes the fate of a number taken from the buffer but not
// dialled: skipped for good, or handed back to the number source due at.
func (e *Engine) putAside(t *task, num *records.Number, v verdict, reason int, at time.Time) {
	u := records.NumberUpdate{At: e.now, Task: t.spec.ID, Number: num.ID, Attempts: num.Attempts}
	if v == skipIt {
		u.State, u.Reason = records.NumberSkipped, reason
		if reason == records.NoCallBlacklisted && e.cfg.CTIEvents {
			e.emit(records.CTIEvent{Name: records.EventCallDeleted, Task: t.spec.ID, OtherDN: num.Phone, Reason: reason})
		}
	} else {
		u.State, u.NextAt = records.NumberPending, at
	}
	e.rd.Numbers = append(e.rd.Numbers, u)
}

// armDayEnd sets the day-end timer of t at its dialUntil, when its window
// can close at all.
func (e *Engine) armDayEnd(t *task) {
	if t.alwaysOpen || t.dialUntil.IsZero() || !t.dialUntil.After(e.now) || t.dialUntil.Equal(t.dayEndAt) {
		return
	}
	t.dayEndAt = t.dialUntil
	t.dayGen++
	e.rd.Commands = append(e.rd.Commands, Command{
		Kind: CmdSetTimer, At: t.dialUntil, Task: t.spec.ID,
		Timer: Timer{Kind: TimerDayEnd, ID: uint64(t.spec.ID), Gen: t.dayGen},
	})
}

// dayEnd hands back every number t holds that may not be dialled now, the
// day's dialing being over, so that the number source can give them out
// when their window opens again.
func (e *Engine) dayEnd(t *task) {
	t.dayEndAt = time.Time{}
	kept := t.list[:0]
	for i := t.head; i < len(t.list); i++ {
		num := t.list[i]
		if v, reason, at := e.check(t, &num); v != dialIt {
			e.putAside(t, &num, v, reason, at)
			continue
		}
		kept = append(kept, num)
	}
	clear(t.list[len(kept):])
	t.list, t.head = kept, 0
	e.markDirty(t)
}
