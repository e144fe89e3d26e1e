package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/outpace-dev/outpace/records"
)

var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// harness drives an engine from a datadriven script. It plays the runner: it
// keeps the timers the engine asks for and fires them when time advances.
type harness struct {
	e       *Engine
	now     time.Time
	timers  []Command
	nextNum records.NumberID
	causes  bool // records show their hangup and early-detect causes
}

func newHarness() *harness {
	return &harness{
		e:   New(Config{Rand: rand.New(rand.NewPCG(1, 1)), CTIEvents: true}),
		now: epoch,
	}
}

func (h *harness) step(ev Event, b *strings.Builder) {
	ev.At = h.now
	if err := h.e.Step(ev); err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
	}
	h.flush(b)
}

func (h *harness) flush(b *strings.Builder) {
	if !h.e.HasReady() {
		return
	}
	rd := h.e.Ready()
	for _, u := range rd.Tasks {
		fmt.Fprintf(b, "task %d: %s", u.Task, u.Status)
		if u.Exhausted {
			b.WriteString(" (no number left)")
		}
		b.WriteString("\n")
	}
	for _, u := range rd.Numbers {
		fmt.Fprintf(b, "number %d: %s", u.Number, numberState(u.State))
		if u.Outcome != records.OutcomeNone {
			fmt.Fprintf(b, " outcome=%s", u.Outcome)
		}
		fmt.Fprintf(b, " attempts=%d", u.Attempts)
		if !u.NextAt.IsZero() {
			fmt.Fprintf(b, " next=+%s", u.NextAt.Sub(epoch))
		}
		if u.NextPhone {
			b.WriteString(" next-phone")
		}
		if u.Reason != 0 {
			fmt.Fprintf(b, " reason=%d", u.Reason)
		}
		b.WriteString("\n")
	}
	for _, r := range rd.Records {
		fmt.Fprintf(b, "record call=%d outcome=%s result=%d end=%d agent=%d ring=%ds wait=%ds talk=%ds",
			r.Call, r.Outcome, r.Result, r.EndResult, r.Agent, r.RingSeconds(), r.WaitSeconds(), r.TalkSeconds())
		if h.causes {
			fmt.Fprintf(b, " hangup=%d early=%d", r.HangupCause, r.EarlyCause)
		}
		b.WriteString("\n")
	}
	for _, c := range rd.Commands {
		switch c.Kind {
		case CmdOriginate:
			fmt.Fprintf(b, "> originate call=%d number=%d timeout=%s\n", c.Call, c.Number, c.Timeout)
		case CmdConnect:
			fmt.Fprintf(b, "> connect call=%d agent=%d\n", c.Call, c.Agent)
		case CmdPlayHangup:
			fmt.Fprintf(b, "> play-hangup call=%d message=%q\n", c.Call, c.Message)
		case CmdHangup:
			fmt.Fprintf(b, "> hangup call=%d\n", c.Call)
		case CmdSetTimer:
			fmt.Fprintf(b, "> timer %s id=%d at=+%s\n", timerName(c.Timer.Kind), c.Timer.ID, c.At.Sub(epoch))
			h.timers = append(h.timers, c)
		case CmdFetchNumbers:
			fmt.Fprintf(b, "> fetch task=%d count=%d\n", c.Task, c.Count)
		}
	}
	for _, ev := range rd.Events {
		fmt.Fprintf(b, "  %s", ev.Name)
		if ev.Call != 0 {
			fmt.Fprintf(b, " call=%d", ev.Call)
		}
		if ev.Role != records.RoleUnknown {
			fmt.Fprintf(b, " role=%s", ev.Role)
		}
		if ev.Agent != 0 {
			fmt.Fprintf(b, " agent=%d", ev.Agent)
		}
		if ev.Reason != 0 {
			fmt.Fprintf(b, " reason=%d", ev.Reason)
		}
		b.WriteString("\n")
	}
	h.e.Advance(rd)
}

func numberState(s records.NumberState) string {
	return [...]string{"pending", "dialing", "done", "skipped"}[s]
}

func timerName(k TimerKind) string {
	switch k {
	case TimerPacing:
		return "pacing"
	case TimerDeadline:
		return "deadline"
	case TimerACW:
		return "acw"
	case TimerDayEnd:
		return "day-end"
	case TimerAgentRing:
		return "agent-ring"
	}
	return "?"
}

// advance moves time forward by d, firing due timers in time order.
func (h *harness) advance(d time.Duration, b *strings.Builder) {
	end := h.now.Add(d)
	for {
		sort.SliceStable(h.timers, func(i, j int) bool { return h.timers[i].At.Before(h.timers[j].At) })
		if len(h.timers) == 0 || h.timers[0].At.After(end) {
			break
		}
		t := h.timers[0]
		h.timers = h.timers[1:]
		if t.At.After(h.now) {
			h.now = t.At
		}
		var sub strings.Builder
		h.step(Event{Kind: EvTimer, Timer: t.Timer}, &sub)
		if sub.Len() > 0 {
			fmt.Fprintf(b, "at +%s:\n%s", h.now.Sub(epoch), sub.String())
		}
	}
	h.now = end
}

// numbers returns n new numbers, numbered on from the last.
func (h *harness) numbers(n, alts int) []records.Number {
	nums := make([]records.Number, n)
	for i := range nums {
		h.nextNum++
		nums[i] = records.Number{ID: h.nextNum, Phone: fmt.Sprintf("+1415555%04d", h.nextNum)}
		for j := range alts {
			nums[i].Alternatives = append(nums[i].Alternatives, fmt.Sprintf("+1415666%02d%02d", h.nextNum%100, j+1))
		}
	}
	return nums
}

// dayEnd is the time d after the epoch, zero for 0.
func dayEnd(d time.Duration) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return epoch.Add(d)
}

func (h *harness) printState(b *strings.Builder) {
	ids := make([]int, 0, len(h.e.tasks))
	for id := range h.e.tasks {
		ids = append(ids, int(id))
	}
	slices.Sort(ids)
	for _, id := range ids {
		s, _ := h.e.TaskStats(records.TaskID(id))
		fmt.Fprintf(b, "task %d: %s ringing=%d waiting=%d live=%d abandoned=%d queued=%d",
			id, s.Status, s.Ringing, s.Waiting, s.LiveAnswers, s.Abandoned, s.Queued)
		if !s.DialUntil.IsZero() {
			fmt.Fprintf(b, " dial-until=+%s", s.DialUntil.Sub(epoch))
		}
		b.WriteString("\n")
	}
	qids := make([]int, 0, len(h.e.queues))
	for id := range h.e.queues {
		qids = append(qids, int(id))
	}
	slices.Sort(qids)
	for _, id := range qids {
		s, _ := h.e.QueueStats(records.QueueID(id))
		fmt.Fprintf(b, "queue %d: logged-in=%d idle=%d paused=%d busy=%d waiting=%d\n",
			id, s.LoggedIn, s.Idle, s.Paused, s.Busy, s.Waiting)
	}
	aids := make([]int, 0, len(h.e.agents))
	for id := range h.e.agents {
		aids = append(aids, int(id))
	}
	slices.Sort(aids)
	for _, id := range aids {
		s, _ := h.e.AgentStatus(records.AgentID(id))
		fmt.Fprintf(b, "agent %d: %s", id, s.State)
		if s.Reason != 0 {
			fmt.Fprintf(b, "(%d)", s.Reason)
		}
		if s.OnCall {
			fmt.Fprintf(b, " on call %d", s.Call)
		}
		b.WriteString("\n")
	}
}

func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		h := newHarness()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var b strings.Builder
			arg := func(key string, def string) string {
				for _, a := range d.CmdArgs {
					if a.Key == key {
						if len(a.Vals) == 0 {
							return "true"
						}
						return a.Vals[0]
					}
				}
				return def
			}
			num := func(key string, def int) int {
				v, err := strconv.Atoi(arg(key, strconv.Itoa(def)))
				if err != nil {
					t.Fatalf("%s: %s=%q is not a number", d.Pos, key, arg(key, ""))
				}
				return v
			}
			dur := func(key string, def time.Duration) time.Duration {
				v, err := time.ParseDuration(arg(key, def.String()))
				if err != nil {
					t.Fatalf("%s: %s: %v", d.Pos, key, err)
				}
				return v
			}
			call := records.CallID(num("call", 0))
			agent := records.AgentID(num("agent", 0))
			switch d.Cmd {
			case "add-queue":
				h.step(Event{Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: records.QueueID(num("id", 1)), Strategy: records.Strategy(num("strategy", 1))}}, &b)
			case "add-agents":
				first, n := num("first", 1), num("n", 1)
				for i := first; i < first+n; i++ {
					h.step(Event{Kind: EvCreateAgent, AgentSpec: &records.AgentSpec{ID: records.AgentID(i), Phone: fmt.Sprintf("10%02d", i), Priority: num("priority", 0)}}, &b)
					if q := num("queue", 1); q > 0 {
						h.step(Event{Kind: EvSignIn, Agent: records.AgentID(i), Queue: records.QueueID(q)}, &b)
					}
					if arg("login", "true") == "true" {
						h.step(Event{Kind: EvAgentLogin, Agent: records.AgentID(i)}, &b)
					}
				}
			case "add-task":
				spec := &records.TaskSpec{
					ID: records.TaskID(num("id", 1)), Queue: records.QueueID(num("queue", 1)),
					Pacing:          records.PacingConfig{Mode: records.PacingMode(arg("mode", "progressive")), Ratio: arg("ratio", "")},
					NoAnswerTimeout: dur("timeout", 25*time.Second), AllowShortRing: arg("short-ring", "") == "true",
					ConnectDeadline: dur("deadline", 2*time.Second), AllowZeroDeadline: true,
					AgentRingTimeout: dur("agent-ring", 0),
					ACWTimeout:       dur("acw", 0), MaxLinesPerAgent: float64(num("lines", 3)),
					SafeHarbor: arg("safe-harbor", ""),
					DialUntil:  dayEnd(dur("dial-until", 0)),
					Window:     window(t, d.Pos, arg("window", "always")),
					Retry: records.RetryPolicy{
						Busy:     records.RetryRule{MaxAttempts: num("busy-attempts", 0), Delay: dur("busy-delay", 0)},
						NoAnswer: records.RetryRule{MaxAttempts: num("noanswer-attempts", 0), Delay: dur("noanswer-delay", 0)},
					},
				}
				h.step(Event{Kind: EvCreateTask, TaskSpec: spec}, &b)
			case "add-numbers":
				h.step(Event{Kind: EvAddNumbers, Task: records.TaskID(num("task", 1)), Numbers: h.withLimits(t, d, h.numbers(num("n", 1), num("alts", 0)))}, &b)
			case "numbers": // the answer to a fetch
				h.step(Event{Kind: EvNumbers, Task: records.TaskID(num("task", 1)), Numbers: h.withLimits(t, d, h.numbers(num("n", 0), num("alts", 0))),
					Exhausted: arg("exhausted", "") == "true", DialUntil: dayEnd(dur("dial-until", 0)),
					DayKnown: arg("day-known", "") == "true"}, &b)
			case "blacklist":
				var phones []string
				for _, a := range d.CmdArgs {
					if a.Key == "phones" {
						phones = a.Vals
					}
				}
				h.step(Event{Kind: EvBlacklist, Blacklist: &BlacklistChange{
					Tenant: arg("tenant", ""), Task: records.TaskID(num("task", 0)), Phones: phones, Remove: arg("remove", "") == "true",
				}}, &b)
			case "start-task":
				h.step(Event{Kind: EvStartTask, Task: records.TaskID(num("id", 1))}, &b)
			case "pause-task":
				h.step(Event{Kind: EvPauseTask, Task: records.TaskID(num("id", 1))}, &b)
			case "end-task":
				h.step(Event{Kind: EvEndTask, Task: records.TaskID(num("id", 1))}, &b)
			case "login":
				h.step(Event{Kind: EvAgentLogin, Agent: agent, Reason: num("reason", 0)}, &b)
			case "ready":
				h.step(Event{Kind: EvAgentReady, Agent: agent}, &b)
			case "not-ready":
				h.step(Event{Kind: EvAgentNotReady, Agent: agent, Reason: num("reason", 2)}, &b)
			case "logout":
				h.step(Event{Kind: EvAgentLogout, Agent: agent}, &b)
			case "sign-in":
				h.step(Event{Kind: EvSignIn, Agent: agent, Queue: records.QueueID(num("queue", 1))}, &b)
			case "sign-out":
				h.step(Event{Kind: EvSignOut, Agent: agent, Queue: records.QueueID(num("queue", 1))}, &b)
			case "show-busy", "show-idle":
				h.step(Event{Kind: EvAgentAvailability, Agent: agent, Queue: records.QueueID(num("queue", 1)), ShowBusy: d.Cmd == "show-busy"}, &b)
			case "print-agent": // an agent's figures and membership of queue 1
				s, err := h.e.AgentStatus(agent)
				if err != nil {
					t.Fatalf("%s: %v", d.Pos, err)
				}
				in, shown := h.e.Membership(agent, 1)
				at := func(t time.Time) string {
					if t.IsZero() {
						return "never"
					}
					return "+" + t.Sub(epoch).String()
				}
				fmt.Fprintf(&b, "agent %d: taken=%d missed=%d last-answer=%s last-assign=%s changed=%s wrap=%s signed-in=%t shown-busy=%t\n",
					agent, s.Taken, s.Missed, at(s.LastAnswer), at(s.LastAssign), at(s.Changed), s.Wrap, in, shown)
			case "progress":
				h.step(Event{Kind: EvProgress, Call: call}, &b)
			case "answer":
				out := records.OutcomeLive
				if arg("machine", "") == "true" {
					out = records.OutcomeMachine
				}
				h.step(Event{Kind: EvAnswered, Call: call, Outcome: out}, &b)
			case "fail":
				out := map[string]records.Outcome{"busy": records.OutcomeBusy, "no_answer": records.OutcomeNoAnswer, "invalid": records.OutcomeInvalid}[arg("outcome", "invalid")]
				h.step(Event{Kind: EvFailed, Call: call, Outcome: out, Cause: num("cause", 0), EarlyCause: num("early", 0)}, &b)
			case "agent-answer":
				h.step(Event{Kind: EvAgentAnswered, Call: call}, &b)
			case "agent-fail":
				h.step(Event{Kind: EvAgentFailed, Call: call}, &b)
			case "hold":
				h.step(Event{Kind: EvHold, Call: call}, &b)
			case "retrieve":
				h.step(Event{Kind: EvRetrieve, Call: call}, &b)
			case "hangup":
				side, ok := map[string]Side{"customer": SideCustomer, "agent": SideAgent, "system": SideSystem}[arg("side", "customer")]
				if !ok {
					t.Fatalf("%s: side=%s: want customer, agent or system", d.Pos, arg("side", ""))
				}
				h.step(Event{Kind: EvHangup, Call: call, Side: side, Cause: num("cause", 0)}, &b)
			case "hangup-request": // an agent or a supervisor ends the call
				var task records.TaskID
				if v := arg("task", ""); v != "" {
					n, err := strconv.ParseUint(v, 10, 64)
					if err != nil {
						t.Fatalf("%s: task=%s: %v", d.Pos, v, err)
					}
					task = records.TaskID(n)
				}
				h.step(Event{Kind: EvHangupRequest, Call: call, Task: task, Side: SideAgent}, &b)
			case "advance":
				if len(d.CmdArgs) != 1 {
					t.Fatalf("%s: advance takes one duration", d.Pos)
				}
				dd, err := time.ParseDuration(d.CmdArgs[0].Key)
				if err != nil {
					t.Fatalf("%s: %v", d.Pos, err)
				}
				h.advance(dd, &b)
			case "drain":
				h.step(Event{Kind: EvDrain}, &b)
			case "show-causes": // records show their causes from now on
				h.causes = true
				b.WriteString("ok\n")
			case "print-state":
				h.printState(&b)
			case "print-level": // the level TaskStats reports
				st, err := h.e.TaskStats(records.TaskID(num("task", 1)))
				if err != nil {
					t.Fatalf("%s: %v", d.Pos, err)
				}
				fmt.Fprintf(&b, "task %d: level=%.2f\n", num("task", 1), st.Level)
			default:
				t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
			}
			if b.Len() == 0 {
				return "ok\n"
			}
			return b.String()
		})
	})
}

// window parses a calling window: "always", "default", or "HH:MM-HH:MM"
// every day.
func window(t *testing.T, pos, s string) records.Window {
	switch s {
	case "always":
		return records.AlwaysOpen
	case "default":
		return records.Window{}
	}
	from, to, ok := strings.Cut(s, "-")
	clock := func(c string) time.Duration {
		h, m, ok := strings.Cut(c, ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("%s: window %q: want HH:MM-HH:MM", pos, s)
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute
	}
	if !ok {
		t.Fatalf("%s: window %q: want HH:MM-HH:MM", pos, s)
	}
	var w records.Window
	for i := range w.Days {
		w.Days[i] = records.Hours{From: clock(from), To: clock(to)}
	}
	return w
}

// withLimits applies the number arguments of a script line to nums: zone=
// (the called party's zones, comma-separated), not-before= and not-after=
// (durations from now, negative for the past).
func (h *harness) withLimits(t *testing.T, d *datadriven.TestData, nums []records.Number) []records.Number {
	for _, a := range d.CmdArgs {
		switch a.Key {
		case "zone":
			var zones []*time.Location
			for _, name := range a.Vals {
				loc, err := time.LoadLocation(name)
				if err != nil {
					t.Fatalf("%s: %v", d.Pos, err)
				}
				zones = append(zones, loc)
			}
			for i := range nums {
				nums[i].Zones = zones
			}
		case "not-before", "not-after":
			dd, err := time.ParseDuration(a.Vals[0])
			if err != nil {
				t.Fatalf("%s: %v", d.Pos, err)
			}
			for i := range nums {
				if a.Key == "not-before" {
					nums[i].NotBefore = h.now.Add(dd)
				} else {
					nums[i].NotAfter = h.now.Add(dd)
				}
			}
		}
	}
	return nums
}
