package sim

import (
	"math/rand/v2"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/records"
)

// World is the simulated telephony world of a scenario: the carrier that
// answers, rings out, is busy or fails with the scenario's probabilities and
// timings, and the agents who pick up, talk, wrap up, take breaks and log in
// and out on schedule. It sees only the engine's commands and answers only
// with the events a real carrier and real agent phones would produce; the
// agents act through the agent requests an agent client sends (login,
// ready, not ready, logout). It never reads the engine's state.
//
// The simulator drives a World in virtual time; Live drives one on a clock
// as a backend of the runner.
type World struct {
	sc       *Scenario
	host     worldHost
	obs      worldObserver // nil when nobody measures
	noAnswer time.Duration
	wraps    bool // the engine puts agents in after-call work after a talk

	rOutcome, rRing, rTalk, rWrap, rAnswer *rand.Rand

	calls  map[records.CallID]*simCall
	spare  []*simCall
	agents []worldAgent
	byID   map[records.AgentID]int
}

// worldHost schedules the world's happenings and carries its events.
type worldHost interface {
	now() int64 // ns since the start
	push(h happening)
	emit(ev engine.Event) error
}

// worldObserver is told what the world's agents do, for the simulator's
// idle-wait figures.
type worldObserver interface {
	dialed()
	connected(agent int)
	loggedIn(agent int)
	unavailable(agent int)
	settle(agent int)
}

type simCall struct {
	gen     uint32
	machine bool
	agent   int // index of the agent it was connected to, or -1
}

type worldAgent struct {
	id       records.AgentID
	loggedIn bool
	onBreak  bool
	wrapping bool // after-call work the agent ends with a Ready
	wrapGen  uint32
	call     records.CallID // the call ringing or talking on its phone
}

// newWorld makes the world of sc with its random streams seeded from seed;
// wraps says whether the task's agents do after-call work.
func newWorld(sc *Scenario, seed uint64, agents []records.AgentID, wraps bool, host worldHost, obs worldObserver) *World {
	w := &World{
		sc: sc, host: host, obs: obs, noAnswer: *sc.Task.NoAnswerTimeout, wraps: wraps,
		calls: make(map[records.CallID]*simCall, 1024),
		byID:  make(map[records.AgentID]int),
	}
	w.rOutcome = rand.New(rand.NewPCG(seed, 0x6f7574636f6d65))
	w.rRing = rand.New(rand.NewPCG(seed, 0x72696e67))
	w.rTalk = rand.New(rand.NewPCG(seed, 0x74616c6b))
	w.rWrap = rand.New(rand.NewPCG(seed, 0x77726170))
	w.rAnswer = rand.New(rand.NewPCG(seed, 0x616e73776572))
	w.agents = make([]worldAgent, len(agents))
	for i, id := range agents {
		w.agents[i] = worldAgent{id: id}
		w.byID[id] = i
	}
	return w
}

// ScenarioWraps says whether the agents of sc wrap up after a talk (their
// wrap time is not a constant zero).
func ScenarioWraps(sc *Scenario) bool {
	return sc.Handling.Wrap.Kind != "constant" || sc.Handling.Wrap.Value > 0
}

// login logs agent i in, ready.
func (w *World) login(i int) error {
	a := &w.agents[i]
	if err := w.host.emit(engine.Event{Kind: engine.EvAgentLogin, Agent: a.id}); err != nil {
		return err
	}
	a.loggedIn = true
	if w.obs != nil {
		w.obs.loggedIn(i)
	}
	return nil
}

// scheduleItems queues the scenario's agents.schedule.
func (w *World) scheduleItems() {
	for i, it := range w.sc.Agents.Schedule {
		w.host.push(happening{at: int64(it.At), kind: hSchedule, id: uint64(i)})
	}
}

// command carries out one backend command.
func (w *World) command(c *engine.Command) {
	switch c.Kind {
	case engine.CmdOriginate:
		w.originate(c)
	case engine.CmdConnect:
		sc := w.calls[c.Call]
		if sc == nil || sc.machine {
			return // ended, or a machine: nobody to bridge to an agent
		}
		i, ok := w.byID[c.Agent]
		if !ok {
			return // not one of the simulated team: its phone never answers
		}
		sc.agent = i
		w.agents[i].call = c.Call
		if w.obs != nil {
			w.obs.connected(i)
		}
		delay := w.sc.Agents.AnswerDelay.Sample(w.rAnswer)
		w.host.push(happening{at: w.host.now() + int64(delay), kind: hAgentAnswer, id: uint64(c.Call), gen: sc.gen})
	case engine.CmdPlayHangup, engine.CmdHangup:
		w.forget(c.Call)
	}
}

// originate draws the attempt's outcome and when the carrier tells it.
func (w *World) originate(c *engine.Command) {
	if w.obs != nil {
		w.obs.dialed()
	}
	now := w.host.now()
	o := &w.sc.Outcomes
	t := time.Duration(now)
	pl, pm, pn, pb, pi := o.Live.At(t), o.Machine.At(t), o.NoAnswer.At(t), o.Busy.At(t), o.Invalid.At(t)
	u := w.rOutcome.Float64() * (pl + pm + pn + pb + pi)
	var out records.Outcome
	var d time.Duration
	ring := w.rRing
	switch {
	case u < pl:
		out, d = records.OutcomeLive, w.sc.Timing.Live.Sample(ring)
		if d > w.noAnswer {
			out, d = records.OutcomeNoAnswer, w.noAnswer
		}
	case u < pl+pm:
		out, d = records.OutcomeMachine, w.sc.Timing.Machine.Sample(ring)
	case u < pl+pm+pn:
		out, d = records.OutcomeNoAnswer, w.noAnswer
	case u < pl+pm+pn+pb:
		out, d = records.OutcomeBusy, w.sc.Timing.Busy.Sample(ring)
	default:
		out, d = records.OutcomeInvalid, w.sc.Timing.Invalid.Sample(ring)
	}
	sc := w.newCall()
	w.calls[c.Call] = sc
	w.host.push(happening{at: now + int64(d), kind: hOutcome, id: uint64(c.Call), gen: sc.gen, out: out})
}

func (w *World) newCall() *simCall {
	if n := len(w.spare); n > 0 {
		c := w.spare[n-1]
		w.spare = w.spare[:n-1]
		c.gen++
		c.machine = false
		c.agent = -1
		return c
	}
	return &simCall{gen: 1, agent: -1}
}

func (w *World) forget(id records.CallID) {
	if c, ok := w.calls[id]; ok {
		if c.agent >= 0 && w.agents[c.agent].call == id {
			w.agents[c.agent].call = 0
		}
		delete(w.calls, id)
		c.gen++
		w.spare = append(w.spare, c)
	}
}

// handle plays one of the world's happenings; it reports false for a kind
// that is not the world's.
func (w *World) handle(h *happening) (bool, error) {
	switch h.kind {
	case hOutcome, hAgentAnswer, hTalkEnd:
		return true, w.callHappening(h)
	case hWrapEnd:
		a := &w.agents[h.id]
		if a.wrapGen != h.gen || !a.wrapping {
			return true, nil
		}
		a.wrapping = false
		if err := w.host.emit(engine.Event{Kind: engine.EvAgentReady, Agent: a.id}); err != nil {
			return true, err
		}
		w.settle(int(h.id))
	case hSchedule:
		return true, w.schedule(w.sc.Agents.Schedule[h.id])
	case hBreakEnd:
		a := &w.agents[h.id]
		if !a.onBreak || !a.loggedIn {
			return true, nil
		}
		a.onBreak = false
		if err := w.host.emit(engine.Event{Kind: engine.EvAgentReady, Agent: a.id}); err != nil {
			return true, err
		}
		w.settle(int(h.id))
	default:
		return false, nil
	}
	return true, nil
}

func (w *World) callHappening(h *happening) error {
	id := records.CallID(h.id)
	c := w.calls[id]
	if c == nil || c.gen != h.gen {
		return nil // the engine already ended this call
	}
	now := w.host.now()
	switch h.kind {
	case hOutcome:
		if h.out == records.OutcomeLive || h.out == records.OutcomeMachine {
			c.machine = h.out == records.OutcomeMachine
			return w.host.emit(engine.Event{Kind: engine.EvAnswered, Call: id, Outcome: h.out})
		}
		w.forget(id)
		return w.host.emit(engine.Event{Kind: engine.EvFailed, Call: id, Outcome: h.out})
	case hAgentAnswer:
		talk := w.sc.Handling.Talk.Sample(w.rTalk)
		w.host.push(happening{at: now + int64(talk), kind: hTalkEnd, id: h.id, gen: c.gen})
		return w.host.emit(engine.Event{Kind: engine.EvAgentAnswered, Call: id})
	default:
		st := c.agent
		w.forget(id)
		if err := w.host.emit(engine.Event{Kind: engine.EvHangup, Call: id, Side: engine.SideCustomer}); err != nil {
			return err
		}
		w.afterHangup(st)
		return nil
	}
}

// afterHangup starts the agent's wrap-up when it does after-call work: it
// is still logged in, has not asked for a break during the call, and the
// team wraps up after a talk.
func (w *World) afterHangup(i int) {
	if i < 0 {
		return
	}
	a := &w.agents[i]
	if a.loggedIn && !a.onBreak && w.wraps {
		a.wrapGen++
		a.wrapping = true
		d := w.sc.Handling.Wrap.Sample(w.rWrap)
		w.host.push(happening{at: w.host.now() + int64(d), kind: hWrapEnd, id: uint64(i), gen: a.wrapGen})
		return
	}
	w.settle(i)
}

func (w *World) settle(i int) {
	if w.obs != nil {
		w.obs.settle(i)
	}
}

func (w *World) schedule(it ScheduleItem) error {
	for n, i := it.Logout, len(w.agents)-1; n > 0 && i >= 0; i-- {
		a := &w.agents[i]
		if !a.loggedIn {
			continue
		}
		if err := w.host.emit(engine.Event{Kind: engine.EvAgentLogout, Agent: a.id}); err != nil {
			return err
		}
		a.loggedIn, a.onBreak, a.wrapping = false, false, false
		if w.obs != nil {
			w.obs.unavailable(i)
		}
		n--
	}
	for n, i := it.Login, 0; n > 0 && i < len(w.agents); i++ {
		a := &w.agents[i]
		if a.loggedIn {
			continue
		}
		if a.call != 0 {
			// Its logout is still waiting for the end of its call: staying
			// logged in cancels it.
			if err := w.host.emit(engine.Event{Kind: engine.EvAgentReady, Agent: a.id}); err != nil {
				return err
			}
			a.loggedIn = true
		} else if err := w.login(i); err != nil {
			return err
		}
		n--
	}
	for n, i := it.Break, 0; n > 0 && i < len(w.agents); i++ {
		a := &w.agents[i]
		if !a.loggedIn || a.onBreak {
			continue
		}
		if err := w.host.emit(engine.Event{Kind: engine.EvAgentNotReady, Agent: a.id, Reason: fsm.ReasonRestBreak}); err != nil {
			return err
		}
		a.onBreak = true
		a.wrapping = false
		if w.obs != nil {
			w.obs.unavailable(i)
		}
		w.host.push(happening{at: w.host.now() + int64(it.For), kind: hBreakEnd, id: uint64(i)})
		n--
	}
	return nil
}
