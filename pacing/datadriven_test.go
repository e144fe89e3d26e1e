package pacing

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/outpace-dev/outpace/records"
)

// The pacers' scenario tests: every testdata/*.txt file is a script of the
// commands below, run against one pacer in virtual time. Times are offsets
// from the epoch, 2026-01-05 09:00:00 UTC unless `new` sets another time of
// day. Update the expected output with -rewrite and review the diff.
//
//	new mode=<mode> [epoch=HH:MM[:SS]] [key=value ...]
//	    Builds a pacer through New. Keys are the yaml names of Config's own
//	    fields (abandon_target, ratio) and of the section named like the mode
//	    (vicidial: max_level=3 intensity=10 …); durations are written 5s.
//	    Prints "ok" or the error. Resets the snapshot and the counters.
//	observe <t> <kind> [dur=<d>] [n=<count>]
//	    Reports n (default 1) identical observations at offset t. Kinds: dial,
//	    outcome=<live|machine|no_answer|busy|invalid>, connect, abandon,
//	    talk_end, wrap_end, agent_free. dur is the Observation's Duration.
//	observe <t> outcome=(<o1>, <o2>, …) dur=(<d1>, …) n=(<n1>, …)
//	    Reports several kinds of outcome interleaved in proportion, as dials
//	    end on a real task: each next outcome is the kind furthest behind its
//	    share, not every n1 of the first kind before the second.
//	decide <t> [idle=] [paused=] [ringing=] [waiting=] [reserved=] [talk=]
//	    [wrap=] [talk_since=(<t1>, <t2>, …)] [ringing_since=(<t1>, …)]
//	    [logged_in=<n|auto>]
//	    [max_in_flight=] [connect_deadline=] [no_answer_timeout=]
//	    Asks the pacer at offset t. Counts persist from one decide to the
//	    next until changed. talk=<n> adds n agents whose calls start at t;
//	    talk_since adds one talking agent per offset, its call started then;
//	    ringing_since adds one ringing call per offset, dialed then.
//	    logged_in defaults to idle+paused+busy. Prints
//	    "place=<n> level=<L> next=<offset|none>".
//	state
//	    Prints the pacer's String (its estimates).
//	run
//	    Runs the observe, decide and state lines of its input in order and
//	    prints "<t>: place=…" for each decide and the state lines.
func TestDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.txt files")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			h := newHarness()
			datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
				if td.Cmd == "run" {
					if len(td.CmdArgs) != 0 {
						td.Fatalf(t, "run takes no arguments")
					}
					return h.runBlock(t, td)
				}
				out, err := h.exec(td.Cmd, td.CmdArgs, false)
				if err != nil {
					td.Fatalf(t, "%v", err)
				}
				return out
			})
		})
	}
}

var testEpochDate = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

type harness struct {
	epoch time.Time
	pacer Pacer
	cfg   records.PacingConfig

	// persistent snapshot description
	idle, paused, ringing, waiting, reserved, talk, wrap int
	loggedIn                                             int // -1: idle+paused+busy
	talkSince, ringingSince                              []time.Duration
	maxInFlight                                          int
	connectDeadline, noAnswerTimeout                     time.Duration
	dialUntil                                            time.Duration // offset from the epoch; 0: unknown

	liveAnswers, abandoned int64
	last                   time.Duration // latest offset used: time never goes back
	snap                   Snapshot
}

func newHarness() *harness {
	h := &harness{}
	h.reset(testEpochDate.Add(9 * time.Hour))
	return h
}

func (h *harness) reset(epoch time.Time) {
	*h = harness{
		epoch:           epoch,
		last:            -1 << 62,
		loggedIn:        -1,
		maxInFlight:     1 << 20,
		connectDeadline: 2 * time.Second,
		noAnswerTimeout: 30 * time.Second,
	}
}

func (h *harness) runBlock(t *testing.T, td *datadriven.TestData) string {
	var b strings.Builder
	for _, line := range strings.Split(td.Input, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, args, err := datadriven.ParseLine(line)
		if err != nil {
			td.Fatalf(t, "%v", err)
		}
		if cmd == "new" || cmd == "run" {
			td.Fatalf(t, "%s is not allowed inside run", cmd)
		}
		out, err := h.exec(cmd, args, true)
		if err != nil {
			td.Fatalf(t, "%s: %v", line, err)
		}
		b.WriteString(out)
	}
	return b.String()
}

func (h *harness) exec(cmd string, args []datadriven.CmdArg, inRun bool) (string, error) {
	if cmd != "new" && h.pacer == nil {
		return "", fmt.Errorf("%s before a successful new", cmd)
	}
	switch cmd {
	case "new":
		return h.newPacer(args)
	case "observe":
		return "", h.observe(args)
	case "decide":
		at, d, err := h.decide(args)
		if err != nil {
			return "", err
		}
		out := fmt.Sprintf("place=%d level=%.3f next=%s\n", d.Place, d.Level, h.fmtTime(d.Next))
		if inRun {
			out = fmtOffset(at) + ": " + out
		}
		return out, nil
	case "state":
		if len(args) != 0 {
			return "", fmt.Errorf("state takes no arguments")
		}
		if s, ok := h.pacer.(fmt.Stringer); ok {
			return s.String() + "\n", nil
		}
		return fmt.Sprintf("%T\n", h.pacer), nil
	}
	return "", fmt.Errorf("unknown command %q", cmd)
}

func (h *harness) newPacer(args []datadriven.CmdArg) (string, error) {
	epoch := testEpochDate.Add(9 * time.Hour)
	var cfg records.PacingConfig
	for _, a := range args {
		if a.Key == "mode" {
			cfg.Mode = records.PacingMode(argVal(a))
		}
	}
	for _, a := range args {
		switch a.Key {
		case "mode":
		case "epoch":
			tod, err := parseTimeOfDay(argVal(a))
			if err != nil {
				return "", err
			}
			epoch = testEpochDate.Add(tod)
		default:
			if err := setConfigKey(&cfg, a.Key, argVal(a)); err != nil {
				return "", err
			}
		}
	}
	h.reset(epoch)
	h.cfg = cfg
	p, err := New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		return "error: " + err.Error() + "\n", nil
	}
	h.pacer = p
	return "ok\n", nil
}

func argVal(a datadriven.CmdArg) string {
	return strings.Join(a.Vals, ",")
}

func parseTimeOfDay(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("epoch %q: want HH:MM or HH:MM:SS", s)
	}
	var d time.Duration
	units := []time.Duration{time.Hour, time.Minute, time.Second}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, fmt.Errorf("epoch %q: %v", s, err)
		}
		d += time.Duration(n) * units[i]
	}
	return d, nil
}

// setConfigKey sets the Config field whose yaml name is key, looking first at
// Config's own scalar fields, then in the section named like the mode.
func setConfigKey(cfg *records.PacingConfig, key, val string) error {
	root := reflect.ValueOf(cfg).Elem()
	if ok, err := setField(root, key, val); ok || err != nil {
		return err
	}
	if sec, ok := fieldByYAML(root, string(cfg.Mode)); ok && sec.Kind() == reflect.Struct {
		if ok, err := setField(sec, key, val); ok || err != nil {
			return err
		}
	}
	return fmt.Errorf("no config key %q for mode %q", key, cfg.Mode)
}

func fieldByYAML(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

var durationType = reflect.TypeOf(time.Duration(0))

func setField(v reflect.Value, key, val string) (bool, error) {
	f, ok := fieldByYAML(v, key)
	if !ok || f.Kind() == reflect.Struct {
		return false, nil
	}
	switch {
	case f.Type() == durationType:
		d, err := time.ParseDuration(val)
		if err != nil {
			return true, fmt.Errorf("%s: %v", key, err)
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(val)
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return true, fmt.Errorf("%s: %v", key, err)
		}
		f.SetBool(b)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Int:
		var ns []int
		for _, x := range strings.Split(val, ",") {
			n, err := strconv.Atoi(x)
			if err != nil {
				return true, fmt.Errorf("%s: %v", key, err)
			}
			ns = append(ns, n)
		}
		f.Set(reflect.ValueOf(ns))
	case f.CanInt():
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return true, fmt.Errorf("%s: %v", key, err)
		}
		f.SetInt(n)
	case f.CanFloat():
		x, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return true, fmt.Errorf("%s: %v", key, err)
		}
		f.SetFloat(x)
	default:
		return true, fmt.Errorf("%s: unsupported field type %s", key, f.Type())
	}
	return true, nil
}

// offsetArg returns the first argument, which must be a bare duration no
// earlier than the previous command's.
func (h *harness) offsetArg(args []datadriven.CmdArg) (time.Duration, []datadriven.CmdArg, error) {
	if len(args) == 0 || len(args[0].Vals) != 0 {
		return 0, nil, fmt.Errorf("want a time offset such as 12.5s first")
	}
	d, err := time.ParseDuration(args[0].Key)
	if err != nil {
		return 0, nil, fmt.Errorf("time offset: %v", err)
	}
	if d < h.last {
		return 0, nil, fmt.Errorf("time offset %s is before the previous %s", fmtOffset(d), fmtOffset(h.last))
	}
	h.last = d
	return d, args[1:], nil
}

var obsKinds = map[string]ObsKind{
	"dial": ObsDial, "outcome": ObsOutcome, "connect": ObsConnect, "abandon": ObsAbandon,
	"talk_end": ObsTalkEnd, "wrap_end": ObsWrapEnd, "agent_free": ObsAgentFree,
}

func (h *harness) observe(args []datadriven.CmdArg) error {
	at, args, err := h.offsetArg(args)
	if err != nil {
		return err
	}
	for _, a := range args {
		if a.Key == "outcome" && len(a.Vals) > 1 {
			return h.observeMix(at, args)
		}
	}
	o := Observation{At: h.epoch.Add(at)}
	kind, n := "", 1
	for _, a := range args {
		switch {
		case len(a.Vals) == 0:
			if _, ok := obsKinds[a.Key]; !ok {
				return fmt.Errorf("unknown observation kind %q", a.Key)
			}
			kind = a.Key
		case a.Key == "outcome":
			kind = "outcome"
			if o.Outcome, err = outcomeNamed(argVal(a)); err != nil {
				return err
			}
		case a.Key == "dur":
			if o.Duration, err = time.ParseDuration(argVal(a)); err != nil {
				return err
			}
		case a.Key == "n":
			if n, err = strconv.Atoi(argVal(a)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown observe argument %q", a.Key)
		}
	}
	if kind == "" {
		return fmt.Errorf("observe needs a kind")
	}
	o.Kind = obsKinds[kind]
	for range n {
		switch {
		case o.Kind == ObsOutcome && o.Outcome == records.OutcomeLive:
			h.liveAnswers++
		case o.Kind == ObsAbandon:
			h.abandoned++
		}
		h.pacer.Observe(o)
	}
	return nil
}

// outcomeNamed returns the outcome of a name (Outcome.String), none excepted.
func outcomeNamed(name string) (records.Outcome, error) {
	if o, ok := records.ParseOutcome(name); ok && o != records.OutcomeNone {
		return o, nil
	}
	return records.OutcomeNone, fmt.Errorf("unknown outcome %q", name)
}

// observeMix reports several kinds of outcome interleaved in proportion
// (observe with lists of outcomes, durations and counts).
func (h *harness) observeMix(at time.Duration, args []datadriven.CmdArg) error {
	var outs, durs, ns []string
	for _, a := range args {
		switch a.Key {
		case "outcome":
			outs = a.Vals
		case "dur":
			durs = a.Vals
		case "n":
			ns = a.Vals
		default:
			return fmt.Errorf("unknown argument %q of an outcome mix", a.Key)
		}
	}
	if len(durs) != len(outs) || len(ns) != len(outs) {
		return fmt.Errorf("an outcome mix needs as many durations and counts as outcomes")
	}
	obs := make([]Observation, len(outs))
	want := make([]int, len(outs))
	total := 0
	for i := range outs {
		o := Observation{At: h.epoch.Add(at), Kind: ObsOutcome}
		var err error
		if o.Outcome, err = outcomeNamed(strings.TrimSpace(outs[i])); err != nil {
			return err
		}
		d, err := time.ParseDuration(strings.TrimSpace(durs[i]))
		if err != nil {
			return err
		}
		o.Duration = d
		n, err := strconv.Atoi(strings.TrimSpace(ns[i]))
		if err != nil || n < 0 {
			return fmt.Errorf("count %q", ns[i])
		}
		obs[i], want[i] = o, n
		total += n
	}
	done := make([]int, len(outs))
	for range total {
		// The kind furthest behind its share: the least (done+1)/want.
		next := -1
		for i := range obs {
			if done[i] < want[i] && (next < 0 || (done[i]+1)*want[next] < (done[next]+1)*want[i]) {
				next = i
			}
		}
		done[next]++
		if obs[next].Outcome == records.OutcomeLive {
			h.liveAnswers++
		}
		h.pacer.Observe(obs[next])
	}
	return nil
}

func (h *harness) decide(args []datadriven.CmdArg) (time.Duration, Decision, error) {
	at, args, err := h.offsetArg(args)
	if err != nil {
		return 0, Decision{}, err
	}
	counts := map[string]*int{
		"idle": &h.idle, "paused": &h.paused, "ringing": &h.ringing, "waiting": &h.waiting,
		"reserved": &h.reserved, "talk": &h.talk, "wrap": &h.wrap, "max_in_flight": &h.maxInFlight,
	}
	durs := map[string]*time.Duration{
		"connect_deadline": &h.connectDeadline, "no_answer_timeout": &h.noAnswerTimeout,
		"dial_until": &h.dialUntil,
	}
	for _, a := range args {
		if p, ok := counts[a.Key]; ok {
			if *p, err = strconv.Atoi(argVal(a)); err != nil {
				return 0, Decision{}, fmt.Errorf("%s: %v", a.Key, err)
			}
			continue
		}
		if p, ok := durs[a.Key]; ok {
			if *p, err = time.ParseDuration(argVal(a)); err != nil {
				return 0, Decision{}, fmt.Errorf("%s: %v", a.Key, err)
			}
			continue
		}
		switch a.Key {
		case "logged_in":
			if argVal(a) == "auto" {
				h.loggedIn = -1
			} else if h.loggedIn, err = strconv.Atoi(argVal(a)); err != nil {
				return 0, Decision{}, fmt.Errorf("logged_in: %v", err)
			}
		case "talk_since", "ringing_since":
			list := &h.talkSince
			if a.Key == "ringing_since" {
				list = &h.ringingSince
			}
			*list = (*list)[:0]
			for _, v := range a.Vals {
				if strings.TrimSpace(v) == "" {
					continue // "()" clears the list
				}
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil {
					return 0, Decision{}, fmt.Errorf("%s: %v", a.Key, err)
				}
				*list = append(*list, d)
			}
		default:
			return 0, Decision{}, fmt.Errorf("unknown decide argument %q", a.Key)
		}
	}
	now := h.epoch.Add(at)
	s := &h.snap
	s.Agents = s.Agents[:0]
	for range h.reserved {
		s.Agents = append(s.Agents, Agent{Phase: PhaseReserved, Since: now})
	}
	for range h.talk {
		s.Agents = append(s.Agents, Agent{Phase: PhaseTalk, Since: now, Call: now})
	}
	for _, d := range h.talkSince {
		start := h.epoch.Add(d)
		s.Agents = append(s.Agents, Agent{Phase: PhaseTalk, Since: start, Call: start})
	}
	for range h.wrap {
		s.Agents = append(s.Agents, Agent{Phase: PhaseWrap, Since: now})
	}
	s.Calls = s.Calls[:0]
	for range h.ringing {
		s.Calls = append(s.Calls, Call{State: CallRinging, DialedAt: now})
	}
	for _, d := range h.ringingSince {
		s.Calls = append(s.Calls, Call{State: CallRinging, DialedAt: h.epoch.Add(d)})
	}
	for range h.waiting {
		s.Calls = append(s.Calls, Call{State: CallWaiting, DialedAt: now, AnswerAt: now})
	}
	s.Now = now
	s.Idle, s.Paused, s.Busy = h.idle, h.paused, len(s.Agents)
	s.LoggedIn = h.loggedIn
	if s.LoggedIn < 0 {
		s.LoggedIn = s.Idle + s.Paused + s.Busy
	}
	s.Ringing, s.Waiting = h.ringing+len(h.ringingSince), h.waiting
	s.MaxInFlight = h.maxInFlight
	s.LiveAnswers, s.Abandoned = h.liveAnswers, h.abandoned
	s.WindowLiveAnswers, s.WindowAbandoned = h.liveAnswers, h.abandoned
	s.AbandonTarget = h.cfg.AbandonTarget
	if s.AbandonTarget == 0 {
		s.AbandonTarget = DefaultAbandonTarget
	}
	s.ConnectDeadline, s.NoAnswerTimeout = h.connectDeadline, h.noAnswerTimeout
	s.DialUntil = time.Time{}
	if h.dialUntil > 0 {
		s.DialUntil = h.epoch.Add(h.dialUntil)
	}
	return at, h.pacer.Decide(s), nil
}

func (h *harness) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return fmtOffset(t.Sub(h.epoch))
}

// fmtOffset prints a duration in seconds: 12.5s, 75s.
func fmtOffset(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// TestVicidialReplay checks that the adapt loop does not depend on how often
// Decide is called: a pacer asked every 100 ms and one asked at random gaps of
// up to 20 s, given the same observations and the same counts (changing only
// when the second one is asked), hold the same level at every shared call.
func TestVicidialReplay(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		cfg := records.PacingConfig{Mode: records.ModeVicidial, Vicidial: records.VicidialConfig{
			Method: records.VicidialAverage, Intensity: rng.IntN(81) - 40, MaxLevel: 5,
			DropAfter: time.Duration(rng.IntN(2)) * 9900 * time.Millisecond,
		}}
		often, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		rarely, _ := New(cfg, nil)
		t0 := time.Date(2026, 1, 5, 23, 50, 0, 0, time.UTC)
		snap := func(now time.Time, idle, waiting, talk int) *Snapshot {
			s := &Snapshot{Now: now, Idle: idle, Waiting: waiting, LoggedIn: idle + talk + 2}
			for range talk {
				s.Agents = append(s.Agents, Agent{Phase: PhaseTalk, Since: now, Call: now})
			}
			s.Busy = len(s.Agents)
			return s
		}
		idle, waiting, talk := 5, 0, 10
		next := time.Duration(0)
		levels := map[float64]bool{}
		for step := time.Duration(0); step <= 30*time.Minute; step += 100 * time.Millisecond {
			now := t0.Add(step)
			for range rng.IntN(3) {
				o := Observation{At: now, Duration: time.Duration(rng.IntN(100)) * 100 * time.Millisecond}
				switch r := rng.IntN(1000); {
				case r < 400:
					o.Kind = ObsDial
				case r < 550:
					o.Kind, o.Outcome = ObsOutcome, records.OutcomeLive
				case r < 700:
					o.Kind, o.Outcome = ObsOutcome, records.Outcome(2+rng.IntN(int(records.OutcomeInvalid)-1))
				case r < 850:
					o.Kind = ObsConnect
				case r < 851:
					o.Kind = ObsAbandon
				default:
					o.Kind = ObsTalkEnd
				}
				often.Observe(o)
				rarely.Observe(o)
			}
			if step == next {
				idle, waiting, talk = rng.IntN(8), rng.IntN(4), rng.IntN(15)
				next += time.Duration(1+rng.IntN(200)) * 100 * time.Millisecond
				a := often.Decide(snap(now, idle, waiting, talk))
				b := rarely.Decide(snap(now, idle, waiting, talk))
				if a.Level != b.Level {
					t.Fatalf("seed %d at %v: level %v asked every 100 ms, %v asked rarely", seed, step, a.Level, b.Level)
				}
				levels[a.Level] = true
				continue
			}
			often.Decide(snap(now, idle, waiting, talk))
		}
		if len(levels) < 10 {
			t.Fatalf("seed %d: only %d distinct levels, the test exercises too little", seed, len(levels))
		}
	}
}
