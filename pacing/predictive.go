package pacing

import (
	"fmt"
	"math"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// numHorizons is the number of points at which the forecast is made: the
// quantiles (k+½)/numHorizons of the time a live answer takes to come.
const numHorizons = 8

// numCols is the width of the per-bin probability rows: one column per
// horizon, then one for now (a call's hazard of a live answer per second, an
// agent's chance to be free within the connect deadline).
const (
	numCols = numHorizons + 1
	colNow  = numHorizons
)

// hazardStep is the step, in seconds, over which the live-answer hazard of a
// ringing call is measured.
const hazardStep = 0.5

// Predictive is the predictive pacer. Each decision forecasts, from the live
// state, whether the live answer of one more call would find an agent, and
// places calls while that risk stays under a threshold θ; an outer loop sets θ
// from the abandons measured in the task's window.
//
// What it estimates, online, in fixed memory and from observations only: the
// probability that a dial is answered live and the distributions of the
// dial → outcome time of live answers and of every other outcome (decayed
// histograms over the last OutcomeMemory outcomes or OutcomeTime); the
// distributions of talk and wrap-up times and the share of calls followed by
// wrap-up (HandlingMemory, HandlingTime); the dial rate. The histograms have
// log-linear bins (1/16 of an octave), and the calls and agents in progress
// enter them as censored durations (Kaplan–Meier; Aalen–Johansen for the
// two kinds of outcome) while the memory is still filling, so that a young
// estimator, which has only seen the short durations that end first, does not
// take every call on the phone for about to finish.
//
// The forecast. A new call placed now, if answered live, answers at a time T
// drawn from the live-answer time distribution; the forecast is made at the
// numHorizons quantiles H_k of T. The live answer is abandoned if the live
// answers arriving before it use up every agent free by H_k plus the connect
// deadline. Arriving before it: the answered calls waiting now; each ringing
// call of age a, with probability P(live in (a, a+H_k] | no outcome by a),
// which falls with a since live answers come early and machines and
// no-answers late; each other new call of this decision, with p·P(T ≤ H_k);
// and the calls still to be placed, at the current dial rate, weighted by
// e^(−s/React) for a call placed s from now (React in full from ReactAgents
// agents up, in proportion on a smaller team). Free by then: the idle agents;
// each agent in wrap-up for e, with P(wrap ends by e+h | e); each agent
// talking for e, with the probability that the talk ends (its hazard at e)
// and the wrap-up, if any, follows (the wrap distribution convolved in)
// within h. Both sides are sums of independent Bernoulli (and Poisson) terms.
// On a team whose agents and lines number exactTerms or fewer their laws are
// computed exactly (predictive_exact.go): there the counts are small and
// skewed, and a normal approximation misplaces the risk by about a call,
// more so in some states than others, which the outer loop cannot undo. On a
// larger floor their difference is taken as normal with a continuity
// correction. The risk of the m-th new call is the mean over k of
// P(arrivals before it ≥ agents free). The pacer places the largest m whose
// risk is at most θ × s, and never fewer calls than progressive dialing would.
//
// Risk against benefit: s, the pool share (Pool), is the agents idle now or
// free within the connect deadline, less the customers waiting, over the live
// answers expected in Pool mean live-answer times (at least one), capped at
// 1. A call is worth the idle time it saves: with one agent idle on a floor
// that sees a live answer a second, the calls already ringing fill that agent
// almost at once and a new call saves next to nothing, while with a dozen
// idle the pool lasts longer than a call takes to answer and every live
// answer counts in full. The optimum of a Markov twin shows the same law: run
// as a table, the marginal risk this forecast gives its calls grows in
// proportion to the agents idle, from 3 % with three idle to 14 % with twelve
// on S5-markov, and then levels off. A constant θ instead keeps too many calls
// in flight with few agents idle and too few with many; the share makes the
// level steeper in the idle agents, as the optimum's is. On a small team the
// pool is one agent, and s only cuts θ while no agent is idle.
//
// The outer loop. Its measure is the slack S: the abandons the window can
// still take before its rate reaches the cap, target × (1 − CapMargin), less
// those the calls already in flight are expected to cause (the mean shortfall
// of agents free against live answers at the last horizon). It sets
// θ = target × e^(u + κ(S + I − S*)), where S* = Reserve + MarginZ·σ is
// the slack to keep in hand, E the abandons expected at the cap in
// FeedbackTime and σ their spread: at the end of a known day that of the
// team's bursts of abandons (burstSpread), √E when the end is not known.
// κ = 1/max(E, 6), and u integrates κ(S + I − S*) over 2×FeedbackTime at
// first, then over the pacer's age, up to eight times that (integralTime):
// a proportional-integral control of the budget, whose integral learns at
// which θ the forecast's marginal risk gives the measured rate (the forecast
// is biased, mostly on the safe side, by a factor that depends on the task
// and that the integral absorbs). Learnt over a fixed hour all day, the
// integral also took up the chance runs of a small team's abandons and
// swung θ over hours, where an even θ gives more talk for the same
// abandons: five agents kept 0.8006 of their time busy against 0.8021 over
// 200 days. I is the
// innovation: the recent abandons measured minus those the model
// expected (the live answers arriving while no agent is idle and too few
// become free within the deadline), decayed over about ten expected abandons
// or FeedbackTime/3, whichever is shorter. It takes the last few abandons at
// their expected value, so that θ does not jump at each abandon on a small
// team, while the slack itself keeps the loop honest over the window.
// Whenever S falls below Reserve the pacer dials progressively (one call in
// flight per idle agent, which abandons nothing) until the rate is back
// under the cap. On the way there θ tapers: in the last Taper share of the
// span from Reserve to S*, θ is scaled by the share of that span the slack
// still holds, so that it reaches nothing with the reserve. The
// proportional gain alone, κ = 1/E on a large floor, would leave θ near
// its resting value while a run of abandons drains the slack; then the
// fallback's progressive dialing, which on a floor of a hundred agents at a
// 12 % hit rate halves the occupancy, cost about one seed in ten 0.2 to 0.9
// points of its day's occupancy.
//
// The young window (YoungWindow). A window that has just opened holds few
// live answers, so its slack is a few abandons at most: holding S* there
// means spending next to nothing until the margin is saved, which on a team
// of fifteen took the first two hours of a day (occupancy 0.842 and 0.854
// against 0.868 after). When the snapshot says when dialing stops for the
// day, the pacer knows how many live answers the window will hold and
// spends the day evenly instead: while the window is young, by default
// until the day ends, its setpoint is S* × (live answers so far / the
// span), so that the margin is saved in step with the day and whole at its
// end; and the fallback and the taper count the window as holding the live
// answers of youngCredit × YoungWindow, or of the rest of the day if
// fewer, so that the first abandons of a day, which say little of its rate,
// do not throw it into progressive dialing. The credit fades as the window
// fills from the span to it: dropped at once when the window came of age,
// it threw a team of fifteen keeping a smaller margin (MarginZ 1) into the
// fallback in one decision in ten for the next hour. A window that came of
// age six hours into an 8 h day (YoungWindow 6h) left its last two hours to
// save the rest of the margin at once and its integral to start late: with
// the rest of the loop as it is, that cost five agents 0.2 points of their
// day's occupancy.
// Without a known end of day the window is never young.
//
// Why it does not oscillate. The inner rule is a level, not a rate: it tops
// up the calls in flight to where the marginal risk reaches θ, and every call
// it places enters the next forecast at once as a ringing call of age zero,
// so a burst of decisions cannot overshoot; the estimators it reads change by
// one observation in OutcomeMemory at a time (or start again from the short
// memory's, on a change of hit rate). The outer loop acts on the
// budget over tens of minutes while calls last seconds to minutes; its state
// is clamped to [e^−2.5, e^3.5] times the target, and its integral stops
// (anti-windup) whenever the risk did not set the count: during the cold
// start and the ramp, in the fallback, and while the line cap or the
// progressive floor bound it.
//
// Cold start. Until MinHistory outcomes are known, and until the window has
// Reserve abandons of slack (about 1/target live answers), the pacer is
// progressive; then θ ramps up over the first Ramp live answers (or a
// quarter of a known day's, if fewer), the loop
// starting from InitialRisk × target on a floor of ReactAgents or more and
// from a third of that on a team with no reach. Agents on a
// call count as about to be free once ten talk times are known.
//
// Reacting to change: a sudden change of hit rate is noticed by a memory of a
// twentieth of OutcomeMemory's outcomes, whose answer probability then strays
// from the long memory's by more than changeZ standard errors; the estimates
// start again from it and follow the change within about that many outcomes
// or OutcomeTime, whichever is shorter (seconds on a large floor, up to
// OutcomeTime on a small team), while a steady hit rate keeps the long
// memory's precision. Meanwhile a surge of
// abandons cuts θ through the slack within minutes, and a state that commits
// abandons (more calls in flight than agents to take them) at once. A change
// of staffing is seen at the next decision, since the forecast counts the
// agents present.
type Predictive struct {
	cfg    PredictiveConfig
	target float64

	// dial outcomes
	outDecay    decay
	live, other hist
	// the same outcomes over a twentieth of the memory, to notice a change of
	// hit rate that the long memory would take long to follow (noticeChange)
	shortDecay            decay
	shortLive, shortOther hist
	changes               int64

	// handling
	handDecay          decay
	talk, wrap         hist
	talkCount, wrapCnt float64 // scaled counts, for the share of calls with wrap-up

	// live answers per second, for the loop gain; dials per second, for the
	// calls still to come
	liveRate, dialRate rate

	// outer loop
	u           float64 // integral part of log θ/target
	level       float64 // log θ/target in use
	theta       float64
	setpoint    float64 // slack to keep, abandons
	slack       float64
	guard       float64 // slack the fallback and the taper see (YoungWindow)
	young       bool    // the abandon window is young (YoungWindow)
	innov       float64 // recent abandons measured minus expected
	abandonRate float64 // abandons expected per second in the current state
	freeSoon    float64 // busy agents expected free within the connect deadline
	share       float64 // share of θ the last decision placed calls at (Pool)
	committed   float64 // abandons expected from the calls in flight
	lastAt      time.Time
	bornAt      time.Time // the first decision, from which the rates count
	started     bool      // the loop has set its starting point
	wasBound    bool      // the risk, not a clamp, set the last count
	fallback    bool

	// model snapshot, rebuilt at most every Refresh
	ver        uint32
	builtAt    time.Time
	stale      bool
	ready      bool // enough outcomes to forecast
	forecastOK bool // ready, and every row the last decision needed computed
	handReady  bool // enough talk times to count agents about to be free
	wrapOK     bool // enough wrap times
	deadline   time.Duration
	team       int // agents idle or busy at the last build, at most ReactAgents
	pLive      float64
	nOut       float64 // recent outcomes
	wrapShare  float64
	ringMean   float64
	talkMean   float64
	wrapMean   float64
	sLive      survival
	sAll       survival
	sTalk      survival
	sWrap      survival
	horizon    [numHorizons]float64 // H_k, seconds
	supply     [numHorizons]float64 // H_k + connect deadline
	pi         [numHorizons]float64 // P(another new call is live before H_k)
	lead       [numHorizons]float64 // live answers before H_k per call placed per second from now on
	conv       [numHorizons][numHorizons]float64

	// memoryless priors where the histograms hold little
	priorCall, priorTalk, priorWrap  [numHorizons]float64
	priorHaz, priorTalkD, priorWrapD float64

	// per-bin probability rows (predictive_model.go), each of the model
	// version rowVer (0: never computed); rowCursor is where the next
	// decision starts bringing them up to date
	rows      [numRows][numCols]float64
	rowVer    [numRows]uint32
	rowCursor int

	// scratch of one decision
	cnt              [numRows]int32 // terms per row
	touched          [numRows]uint16
	muA, vA, muF, vF [numHorizons]float64
	waiting          float64
	exact            exactForecast

	decisions, fallbacks int64
}

// NewPredictive returns the predictive pacer for the abandon target (a
// fraction of live answers, such as 0.03). The snapshot's AbandonTarget, when
// set, takes precedence.
func NewPredictive(cfg PredictiveConfig, abandonTarget float64) (Pacer, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if abandonTarget <= 0 || abandonTarget >= 1 {
		return nil, apierr.Invalid("pacing.abandon_target", "must be in (0, 1), got %v", abandonTarget)
	}
	p := &Predictive{cfg: cfg, target: abandonTarget}
	p.outDecay = newDecay(cfg.OutcomeMemory, cfg.OutcomeTime)
	p.shortDecay = newDecay(shortMemory(&cfg), cfg.OutcomeTime)
	p.handDecay = newDecay(cfg.HandlingMemory, cfg.HandlingTime)
	p.u = math.Log(cfg.InitialRisk)
	p.liveRate.tau = liveRateTime
	p.dialRate.tau = dialRateTime
	p.ver = 1
	p.stale = true
	return p, nil
}

// Time constants of the rate estimators, in seconds.
const (
	liveRateTime = 600
	dialRateTime = 120
)

// Observe implements Pacer.
func (p *Predictive) Observe(o Observation) {
	switch o.Kind {
	case ObsDial:
		p.dialRate.add(o.At)
	case ObsOutcome:
		w, f := p.outDecay.weight(o.At)
		if f > 0 {
			p.live.div(f)
			p.other.div(f)
		}
		ws, fs := p.shortDecay.weight(o.At)
		if fs > 0 {
			p.shortLive.div(fs)
			p.shortOther.div(fs)
		}
		x := o.Duration.Seconds()
		if o.Outcome == OutcomeLive {
			p.live.add(x, w)
			p.shortLive.add(x, ws)
			p.liveRate.add(o.At)
		} else {
			p.other.add(x, w)
			p.shortOther.add(x, ws)
		}
		p.noticeChange()
		p.stale = true
	case ObsAbandon:
		p.innov++
	case ObsTalkEnd:
		w, f := p.handDecay.weight(o.At)
		if f > 0 {
			p.talk.div(f)
			p.wrap.div(f)
			p.talkCount /= f
			p.wrapCnt /= f
		}
		p.talk.add(o.Duration.Seconds(), w)
		p.talkCount += w
		p.stale = true
	case ObsWrapEnd:
		// A wrap-up weighs as much as the talk it followed, the last
		// observation of the handling clock or nearly.
		p.wrap.add(o.Duration.Seconds(), p.handDecay.scale)
		p.wrapCnt += p.handDecay.scale
		p.stale = true
	}
}

// Decide implements Pacer.
func (p *Predictive) Decide(s *Snapshot) Decision {
	p.decisions++
	now := s.Now
	inFlight := s.InFlight()
	prog := max(0, s.Idle-inFlight)
	d := Decision{Place: prog, Next: now.Add(p.cfg.Tick), Level: float64(inFlight + prog)}
	target := s.AbandonTarget
	if target <= 0 {
		target = p.target
	}
	capRate := target * (1 - p.cfg.CapMargin)
	liveRate := p.liveRate.get(now)
	dt := 0.0
	if !p.lastAt.IsZero() {
		dt = max(now.Sub(p.lastAt).Seconds(), 0)
	}
	p.lastAt = now
	if p.bornAt.IsZero() {
		p.bornAt = now
	}
	p.share = 1

	// The innovation: abandons measured (added by Observe) minus expected,
	// decayed over about innovationCount expected abandons or a third of
	// FeedbackTime, whichever is shorter.
	tauI := min(p.cfg.FeedbackTime.Seconds()/3, innovationCount/max(capRate*liveRate, 1e-9))
	p.innov = p.innov*math.Exp(-dt/tauI) - p.abandonRate*dt

	p.forecast(s) // also updates the expected and committed abandons
	if p.forecastOK && !p.started && s.Idle+s.Busy > 0 {
		// The loop starts from InitialRisk on a large floor and from a
		// third of it on a team too small for the calls to come to count.
		p.started = true
		p.u = math.Log(p.cfg.InitialRisk * (1 + 2*p.reachShare()) / 3)
	}

	// The slack, its setpoint and the fallback.
	live := float64(s.WindowLiveAnswers)
	p.slack = capRate*live - float64(s.WindowAbandoned) - p.committed
	expect := capRate * liveRate * p.cfg.FeedbackTime.Seconds()
	span, credit := p.youngSpan(s, liveRate)
	// The bursts size the margin at the end of a known day; a window that
	// may be measured at any moment (no known end) keeps the whole margin.
	spread := math.Sqrt(max(expect, minExpect))
	if span > 0 {
		spread = burstSpread(expect, capRate, s.Idle+s.Busy)
	}
	p.setpoint = p.cfg.Reserve + p.cfg.MarginZ*spread
	p.guard = p.slack
	p.young = live < span
	if p.young {
		p.setpoint *= live / span
	}
	if credit > live { // it outlasts the young window, fading
		p.guard += capRate * (credit - live)
	}
	errLog := (p.slack + p.innov - p.setpoint) / max(expect, minGainExpect)
	p.fallback = p.guard < p.cfg.Reserve && p.cfg.FixedRisk == 0

	if p.fallback {
		p.fallbacks++
		p.wasBound = false
		return d
	}
	if !p.forecastOK || s.Idle+s.Busy == 0 {
		p.wasBound = false
		return d
	}

	ramp := 1.0
	if p.cfg.Ramp > 0 && s.LiveAnswers < int64(p.cfg.Ramp) {
		ramp = min(1, float64(s.LiveAnswers)/p.rampLength(s))
	}
	if p.cfg.FixedRisk > 0 {
		p.level = math.Log(p.cfg.FixedRisk)
	} else {
		if ramp >= 1 && p.wasBound {
			p.u = min(max(p.u+errLog*min(dt, 60)/p.integralTime(now), uMin), uMax)
		}
		p.level = min(max(p.u+errLog+p.taper(), uMin), uMax)
	}
	p.theta = target * math.Exp(p.level) * ramp
	limit := maxPlace
	if s.MaxInFlight > 0 {
		limit = min(limit, s.MaxInFlight-inFlight)
	}
	p.share = poolShare(float64(s.Idle)+p.freeSoon-p.waiting, p.cfg.Pool*liveRate*p.sLive.mean)
	n := p.search(p.theta*p.share, limit)
	p.wasBound = n < limit && n >= prog && ramp >= 1
	n = max(n, prog)
	d.Place = n
	d.Level = float64(inFlight + n)
	return d
}

const (
	// innovationCount is how many expected abandons the innovation
	// remembers: enough to smooth the loop, few enough that a bias of the
	// model moves the slack by little.
	innovationCount = 10
	// minExpect is the least number of expected abandons the margin is
	// computed from when the end of the day is not known (burstSpread
	// bounds it otherwise), and minGainExpect the least the loop's gain
	// is: on a small team one abandon moves θ by at most a factor e^(1/6).
	minExpect     = 3
	minGainExpect = 6
	// uMin and uMax bound log θ/target.
	uMin, uMax = -2.5, 3.5
	// maxPlace bounds the calls placed by one decision.
	maxPlace = 1 << 16
)

// burstSpread returns the spread, in abandons, of those a known day's window
// takes by chance when E (expect) are expected at the cap in FeedbackTime:
// √(max(E, c)·c / burstTeam), where c = 1 + burstGain × capRate × team, at
// most burstTeam, is the mean size of a burst of abandons. The margin is
// MarginZ times it: √E, the whole margin, from 35 agents up.
//
// Abandons come in bursts: a spell in which no agent is free leaves unserved
// every live answer of the spell, and the larger the team, the more live
// answers a spell holds. The abandons a window takes by chance then vary as
// E·c rather than E, c growing with the abandons expected at the cap in one
// handling time, which is about capRate × the agents (a team keeps about as
// many customers on a call as it has agents). The days' ends measure it: the
// spread of the final slack, squared, over E is 1.3 on five agents, 1.7–1.9
// on fifteen and 3.5 on forty (S4-markov; 5.3 on S4, whose talk times are
// not memoryless). burstGain fits c to those; burstTeam is S4-markov's c, so
// that a team of 35 agents or more keeps the whole margin, one of fifteen
// 77 % of it and one of five 62 %. A window expects at least one burst: a
// team whose E is smaller than c takes its abandons a burst at a time, so
// that the margin counts c of them, 3.5 on forty agents and 1.36 on five
// (on five, E is about 1.6 at the default FeedbackTime).
func burstSpread(expect, capRate float64, team int) float64 {
	c := min(1+burstGain*capRate*float64(team), burstTeam)
	return math.Sqrt(max(expect, c) * c / burstTeam)
}

// burstGain and burstTeam size the margin by the bursts of abandons
// (burstSpread).
const (
	burstGain = 2.5
	burstTeam = 3.5
)

// integralTime returns the time constant of the loop's integral, in
// seconds: twice FeedbackTime while the pacer is younger than that, then its
// age, up to integralAges times twice FeedbackTime. The integral learns the
// forecast's bias fast from a cold start, then averages it over the day, so
// that the chance runs of a small team's abandons, which the proportional
// part already answers, do not also swing its resting θ for hours.
func (p *Predictive) integralTime(now time.Time) float64 {
	t := 2 * p.cfg.FeedbackTime.Seconds()
	return t * min(max(1, now.Sub(p.bornAt).Seconds()/t), integralAges)
}

// integralAges bounds the integral's time constant (integralTime) at eight
// times its start, 8 h at the default FeedbackTime: a task that dials for
// days keeps learning.
const integralAges = 8

// rampLength returns the live answers over which θ ramps up: Ramp, or a
// rampDay share of the live answers a known day will bring, if fewer (at
// least one). The day is counted at the live-answer rate since the first
// decision, corrected for the time the rate has had to build up: read raw,
// it puts a long day's end within the first minutes.
func (p *Predictive) rampLength(s *Snapshot) float64 {
	n := float64(p.cfg.Ramp)
	if !s.DialUntil.IsZero() {
		n = min(n, rampDay*dayAnswers(s, p.liveRate.since(p.bornAt, s.Now)))
	}
	return max(n, 1)
}

// dayAnswers returns the live answers the window will hold when the task
// stops dialing for the day (s.DialUntil, which must be set), at liveRate.
func dayAnswers(s *Snapshot, liveRate float64) float64 {
	return float64(s.WindowLiveAnswers) + liveRate*max(s.DialUntil.Sub(s.Now).Seconds(), 0)
}

// rampDay is the largest share of a known day's live answers the ramp
// takes (PredictiveConfig.Ramp): a team of three sees 100 live answers in
// about an hour and a half, most of a 2 h day.
const rampDay = 0.25

// youngCredit is how many times YoungWindow's live answers the fallback
// counts the window as holding until it does, the day's permitting.
const youngCredit = 1.5

// youngSpan returns the live answers a window must hold to be no longer
// young (PredictiveConfig.YoungWindow) and those the fallback counts the
// window as holding until it does: those YoungWindow and youngCredit ×
// YoungWindow bring at the live-answer rate, each at most what the window
// will hold when the task stops dialing for the day. Both are 0 when the end of the day is not
// known or YoungWindow is off.
func (p *Predictive) youngSpan(s *Snapshot, liveRate float64) (span, credit float64) {
	if s.DialUntil.IsZero() || p.cfg.YoungWindow <= 0 {
		return 0, 0
	}
	day := dayAnswers(s, liveRate)
	y := liveRate * p.cfg.YoungWindow.Seconds()
	return min(y, day), min(youngCredit*y, day)
}

// poolShare returns the share of θ a new call is placed at (PredictiveConfig.Pool):
// free, the agents idle or about to be, against the pool, the live answers
// expected in Pool mean live-answer times but at least one; at least 10⁻³.
// A pool of zero (Pool switched off) leaves θ whole.
func poolShare(free, pool float64) float64 {
	if pool <= 0 {
		return 1
	}
	pool = max(pool, 1)
	return min(max(free, 1e-3*pool), pool) / pool
}

// taper returns the change of log θ that eases the pacer into the fallback
// as the slack nears Reserve (PredictiveConfig.Taper): 0 above the taper's
// span, then the log of the share of the span left, at least log 10⁻³.
func (p *Predictive) taper() float64 {
	span := p.cfg.Taper * (p.setpoint - p.cfg.Reserve)
	if span <= 0 || p.guard >= p.cfg.Reserve+span {
		return 0
	}
	return math.Log(max((p.guard-p.cfg.Reserve)/span, 1e-3))
}

// search returns the largest m ≤ limit whose marginal risk is at most theta.
func (p *Predictive) search(theta float64, limit int) int {
	if limit <= 0 || p.risk(1) > theta {
		return 0
	}
	lo, hi := 1, 2 // risk(lo) ≤ theta
	for hi <= limit && p.risk(hi) <= theta {
		lo, hi = hi, hi*2
	}
	hi = min(hi, limit+1) // risk(hi) > theta, or beyond the limit
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if p.risk(m) <= theta {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// risk returns the probability that the live answer of the m-th new call of
// this decision finds no agent free.
func (p *Predictive) risk(m int) float64 {
	if p.exact.on {
		return p.exact.risk(m, &p.pi)
	}
	others := float64(m - 1)
	r := 0.0
	for k := range numHorizons {
		pi := p.pi[k]
		z := p.muF[k] - p.muA[k] - p.waiting - others*pi
		v := p.vF[k] + p.vA[k] + others*pi*(1-pi) + 1e-6
		r += normCDF((0.5 - z) / math.Sqrt(v))
	}
	return r / numHorizons
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// String implements fmt.Stringer: the pacer's estimates and loop state.
func (p *Predictive) String() string {
	state := "predictive"
	switch {
	case p.fallback:
		state = "fallback"
	case !p.forecastOK:
		state = "cold"
	}
	line := fmt.Sprintf("%s p_live=%.3f outcomes=%.0f ring_mean=%.1fs talk_mean=%.1fs wrap_mean=%.1fs wrap_share=%.2f horizons=%.1fs..%.1fs theta=%.4f pool_share=%.2f slack=%.2f setpoint=%.2f",
		state, p.pLive, p.nOut, p.ringMean, p.talkMean, p.wrapMean, p.wrapShare,
		p.horizon[0], p.horizon[numHorizons-1], p.theta, p.share, p.slack, p.setpoint)
	if p.young {
		line += " young"
	}
	if p.changes > 0 {
		line += fmt.Sprintf(" hit_rate_changes=%d", p.changes)
	}
	if p.guard != p.slack {
		line += fmt.Sprintf(" guard=%.2f", p.guard)
	}
	return line
}

// changeShare is how much shorter the memory that watches for a change of
// hit rate is than OutcomeMemory, and changeZ how many standard errors its
// answer probability must stray from the long memory's to be a change. In
// ten 8 h days of a steady 12 % hit rate at five outcomes a second it gives
// no false alarm (one would cost a few minutes of a short memory), and a
// doubling or a halving is noticed within about 350 outcomes
// (TestNoticeChange).
const (
	changeShare = 20
	changeZ     = 3
)

// shortMemory is the memory that watches for a change of hit rate
// (noticeChange): a twentieth of OutcomeMemory, at least 10.
func shortMemory(c *PredictiveConfig) int {
	return max(c.OutcomeMemory/changeShare, 10)
}

// noticeChange compares the answer probability of the last outcomes (a
// twentieth of the memory) with the long memory's. When they differ by more
// than changeZ standard errors of the short estimate, the hit rate has
// changed: the long memory starts again from the short one's outcomes, so
// that the estimates follow the change as fast as a short memory would, and
// keep a long memory's precision while the hit rate holds.
func (p *Predictive) noticeChange() {
	shortSum := p.shortLive.sum + p.shortOther.sum
	longSum := p.live.sum + p.other.sum
	nShort := shortSum / p.shortDecay.scale
	nLong := longSum / p.outDecay.scale
	if nShort < float64(shortMemory(&p.cfg))/2 || nLong < 1.5*nShort {
		return
	}
	pl := min(max(p.live.sum/longSum, 1e-3), 1-1e-3)
	ps := p.shortLive.sum / shortSum
	if math.Abs(ps-pl) <= changeZ*math.Sqrt(pl*(1-pl)/nShort) {
		return
	}
	p.changes++
	f := p.outDecay.scale / p.shortDecay.scale
	p.live.copyScaled(&p.shortLive, f)
	p.other.copyScaled(&p.shortOther, f)
}
