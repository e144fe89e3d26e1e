package api

import (
	"context"
	"fmt"
	"time"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/lists"
)

// AbandonLockout is how long an abandoned number is not dialled again
// (Ofcom).
const AbandonLockout = 72 * time.Hour

// ExplainNumber judges a number against every rule the dialer applies
// before dialing it, from the store: the task's status, the number's
// state, its not-before and not-after times, the calling window in each
// zone its callee may be in, the blacklists, the lockout after an abandon
// and its retry time. The time judged is the request's, else the engine's
// clock.
func (h *taskService) ExplainNumber(ctx context.Context, req *pb.ExplainNumberRequest) (*pb.ExplainNumberResponse, error) {
	tenant := TenantFrom(ctx)
	st := h.s.cfg.Store
	task, err := st.GetTask(tenant, records.TaskID(req.GetTaskId()))
	if err != nil {
		return nil, err
	}
	var info store.NumberInfo
	if id := req.GetNumberId(); id != 0 {
		info, err = st.GetNumber(task.Spec.ID, records.NumberID(id))
	} else {
		var p string
		if p, err = phone("phone", req.GetPhone()); err == nil {
			info, err = st.FindNumber(task.Spec.ID, p)
		}
	}
	if err != nil {
		return nil, err
	}
	now := fromTS(req.GetTime())
	if now.IsZero() {
		now = h.s.engineNow()
	}
	out := &pb.ExplainNumberResponse{Number: pbNumber(&info.Number), Time: ts(now)}
	add := func(rule pb.Rule, passed bool, at time.Time, format string, args ...any) {
		out.Checks = append(out.Checks, &pb.Check{Rule: rule, Passed: passed, Detail: fmt.Sprintf(format, args...), AllowedAt: ts(at)})
	}

	switch task.Status {
	case records.TaskRunning:
		add(pb.Rule_RULE_TASK_STATUS, true, time.Time{}, "the task is open")
	default:
		add(pb.Rule_RULE_TASK_STATUS, false, time.Time{}, "the task is %s: open it to dial", task.Status)
	}

	switch info.State {
	case records.NumberPending:
		add(pb.Rule_RULE_NUMBER_STATE, true, time.Time{}, "waiting to be dialled")
	case records.NumberDialing:
		add(pb.Rule_RULE_NUMBER_STATE, false, time.Time{}, "being dialled now (call %d)", info.Call)
	case records.NumberDone:
		add(pb.Rule_RULE_NUMBER_STATE, false, time.Time{}, "finished (last attempt: %s)", info.Outcome)
	default:
		add(pb.Rule_RULE_NUMBER_STATE, false, time.Time{}, "skipped for good (reason %d)", info.Reason)
	}

	if nb := info.NotBefore; !nb.IsZero() && now.Before(nb) {
		add(pb.Rule_RULE_NOT_BEFORE, false, nb, "not before %s", nb.UTC().Format(time.RFC3339))
	} else {
		add(pb.Rule_RULE_NOT_BEFORE, true, time.Time{}, "no later start set, or it has passed")
	}
	if na := info.NotAfter; !na.IsZero() && now.After(na) {
		add(pb.Rule_RULE_NOT_AFTER, false, time.Time{}, "its last day passed at %s", na.UTC().Format(time.RFC3339))
	} else {
		add(pb.Rule_RULE_NOT_AFTER, true, time.Time{}, "no end set, or it has not passed")
	}

	h.explainWindow(tenant, &task, &info, now, add)

	listed, err := st.Blacklisted(tenant, task.Spec.ID, info.Phone)
	if err != nil {
		return nil, err
	}
	if listed {
		add(pb.Rule_RULE_BLACKLIST, false, time.Time{}, "%s is on the tenant's or the task's blacklist", info.Phone)
	} else {
		add(pb.Rule_RULE_BLACKLIST, true, time.Time{}, "on no blacklist")
	}

	lockout := false
	if info.Call != 0 && info.Outcome == records.OutcomeLive {
		if rec, err := st.GetRecord(tenant, info.Call); err == nil && rec.Result == records.ResultCustomerOnly {
			if until := rec.End.Add(AbandonLockout); now.Before(until) {
				lockout = true
				add(pb.Rule_RULE_ABANDON_LOCKOUT, false, until, "call %d was abandoned at %s: no new call for 72 h", rec.Call,
					rec.End.UTC().Format(time.RFC3339))
			}
		}
	}
	if !lockout {
		add(pb.Rule_RULE_ABANDON_LOCKOUT, true, time.Time{}, "no abandon in the last 72 h")
	}

	if !info.NextAt.IsZero() && now.Before(info.NextAt) {
		add(pb.Rule_RULE_RETRY, false, info.NextAt, "attempt %d after %s (last: %s)", info.Attempts+1, info.NextAt.UTC().Format(time.RFC3339), info.Outcome)
	} else {
		add(pb.Rule_RULE_RETRY, true, time.Time{}, "%d attempts so far; nothing to wait for", info.Attempts)
	}

	out.Dialable = true
	var at time.Time
	known := true
	for _, c := range out.Checks {
		if c.GetPassed() {
			continue
		}
		out.Dialable = false
		if c.GetAllowedAt() == nil {
			known = false
		} else if t := c.GetAllowedAt().AsTime(); t.After(at) {
			at = t
		}
	}
	if !out.Dialable && known {
		out.DialableAt = ts(at)
	}
	return out, nil
}

// explainWindow checks the calling window in every zone the number's
// callee may be in: its own zone, else those of its prefix, else the
// tenant's.
func (h *taskService) explainWindow(tenant string, task *store.Task, info *store.NumberInfo, now time.Time,
	add func(pb.Rule, bool, time.Time, string, ...any)) {
	zones := []string{info.TZ}
	if info.TZ == "" {
		zones = lists.TimeZones(info.Phone)
	}
	if len(zones) == 0 {
		zone := "UTC"
		if t, err := h.s.cfg.Store.GetTenant(tenant); err == nil && t.TZ != "" {
			zone = t.TZ
		}
		zones = []string{zone}
	}
	w := task.Window.Effective()
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue
		}
		local := now.In(loc)
		day := w.Days[local.Weekday()]
		hours := fmt.Sprintf("%s %s in %s, window %s–%s", local.Format("Mon 15:04"), local.Format("MST"), z,
			clock(day.From), clock(day.To))
		if w.OpenAt(now, loc) {
			continue
		}
		add(pb.Rule_RULE_CALLING_WINDOW, false, nextOpen(&w, now, loc), "closed: %s", hours)
		return
	}
	add(pb.Rule_RULE_CALLING_WINDOW, true, time.Time{}, "open in %v", zones)
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// nextOpen returns when w next opens in loc after now, within 8 days (zero
// when it never does).
func nextOpen(w *records.Window, now time.Time, loc *time.Location) time.Time {
	t := now.Truncate(time.Minute)
	for step := 0; step < 8*24*60; step += 15 {
		c := t.Add(time.Duration(step) * time.Minute)
		if w.OpenAt(c, loc) {
			for m := c.Add(-15 * time.Minute); !m.After(c); m = m.Add(time.Minute) {
				if m.After(now) && w.OpenAt(m, loc) {
					return m
				}
			}
			return c
		}
	}
	return time.Time{}
}
