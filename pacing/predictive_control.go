package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"math"
	"time"
)

// control is the predictive pacer's outer loop: it sets the risk threshold θ
// that the forecast's calls are placed under, from the abandons measured in
// the task's window, so that the window's rate holds at the cap.
//
// Its measure is the slack S: the abandons the window can still take before
// its rate reaches the cap, target × (1 − CapMargin), less those the calls
// already in flight are expected to cause. It sets
// θ = target × e^(u + κ(S + I − S*)): S* = Reserve + MarginZ·σ is the slack
// to keep in hand, σ the spread of the abandons the window takes by chance
// (√E, E the abandons expected at the cap in FeedbackTime; at the end of a
// known day, the spread of the team's bursts of abandons, burstSpread);
// κ = 1/max(E, 6). u integrates κ(S + I − S*) over a time that grows with the
// pacer's age (integralTime): it learns at which θ the forecast's marginal
// risk gives the measured rate, since the forecast is biased, mostly on the
// safe side, by a factor that depends on the task. I, the innovation, is the
// recent abandons measured minus those the model expected, decayed over
// about innovationCount expected abandons: it takes the last few abandons at
// their expected value, so that θ does not jump at each abandon on a small
// team, while the slack keeps the loop honest over the window.
//
// Below Reserve the pacer dials progressively (one call in flight per idle
// agent, which abandons nothing) until the rate is back under the cap, and on
// the way there θ tapers: in the last Taper share of the span from Reserve to
// S*, θ is scaled by the share of that span the slack still holds, reaching
// nothing with the reserve, so that a run of abandons on a large floor, which
// the gain 1/E answers slowly, does not end in minutes of progressive
// dialing.
//
// A known day (the snapshot's DialUntil) is spent evenly: while the window
// is young (YoungWindow, by default until the day ends) S* grows in step with
// the live answers and reaches the whole margin at the day's end, and the
// fallback counts the window as holding the live answers of youngCredit ×
// YoungWindow or of the whole day, a credit that fades as the window fills,
// so that the first abandons of a day, which say little of its rate, do not
// put it at the cap. A task whose day may end at any moment keeps its margin
// from the first call.
//
// Cold start. Until the forecast is ready the pacer is progressive; θ then
// ramps up over the first Ramp live answers (or a quarter of a known day's,
// rampLength), the loop starting from InitialRisk × target on a floor of
// ReactAgents or more and from a third of that on a team too small for the
// calls to come to count.
//
// Why it does not oscillate. The inner rule is a level, not a rate: it tops
// up the calls in flight to where the marginal risk reaches θ, and every call
// it places enters the next forecast at once, so a burst of decisions cannot
// overshoot. The loop acts on the budget over tens of minutes while calls last
// seconds to minutes; log θ/target is clamped to [uMin, uMax], and the
// integral stops (anti-windup) whenever the risk did not set the count: during
// the cold start and the ramp, in the fallback, and while the line cap or the
// progressive floor bound it. Averaging the integral over the pacer's age
// keeps a small team's chance runs of abandons, which the proportional part
// already answers, from also swinging θ's resting value for hours.
type control struct {
	u        float64 // integral part of log θ/target
	level    float64 // log θ/target in use
	theta    float64
	setpoint float64 // slack to keep, abandons
	slack    float64
	guard    float64 // slack the fallback and the taper see (YoungWindow)
	young    bool    // the abandon window is young (YoungWindow)
	innov    float64 // recent abandons measured minus expected
	share    float64 // share of θ the last decision placed calls at (Pool)
	lastAt   time.Time
	bornAt   time.Time // the first decision, from which the rates count
	started  bool      // the loop has set its starting point
	wasBound bool      // the risk, not a clamp, set the last count
	fallback bool
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
)

// clock advances the loop to now and returns the seconds since the last
// decision, decaying the innovation over them: abandons measured (counted by
// Observe) minus those the model expected at abandonRate, over about
// innovationCount expected abandons or a third of FeedbackTime, whichever is
// shorter.
func (c *control) clock(now time.Time, cfg *records.PredictiveConfig, capRate, liveRate, abandonRate float64) float64 {
	dt := 0.0
	if !c.lastAt.IsZero() {
		dt = max(now.Sub(c.lastAt).Seconds(), 0)
	}
	c.lastAt = now
	if c.bornAt.IsZero() {
		c.bornAt = now
	}
	c.share = 1
	tauI := min(cfg.FeedbackTime.Seconds()/3, innovationCount/max(capRate*liveRate, 1e-9))
	c.innov = c.innov*math.Exp(-dt/tauI) - abandonRate*dt
	return dt
}

// start sets the loop's starting point once, from InitialRisk on a large
// floor and from a third of it on a team too small for the calls to come to
// count (reach, the forecast's reachShare).
func (c *control) start(cfg *records.PredictiveConfig, reach float64) {
	c.started = true
	c.u = math.Log(cfg.InitialRisk * (1 + 2*reach) / 3)
}

// measure computes the slack, its setpoint and the guard the fallback sees,
// and returns the loop's error in units of log θ. committed is the abandons
// the calls in flight are expected to cause.
func (c *control) measure(s *Snapshot, cfg *records.PredictiveConfig, capRate, liveRate, committed float64) (errLog float64) {
	live := float64(s.WindowLiveAnswers)
	c.slack = capRate*live - float64(s.WindowAbandoned) - committed
	expect := capRate * liveRate * cfg.FeedbackTime.Seconds()
	span, credit := youngSpan(s, liveRate, cfg.YoungWindow)
	// The bursts size the margin at the end of a known day; a window that
	// may be measured at any moment (no known end) keeps the whole margin.
	spread := math.Sqrt(max(expect, minExpect))
	if span > 0 {
		spread = burstSpread(expect, capRate, s.Idle+s.Busy)
	}
	c.setpoint = cfg.Reserve + cfg.MarginZ*spread
	c.guard = c.slack
	c.young = live < span
	if c.young {
		c.setpoint *= live / span
	}
	if credit > live { // it outlasts the young window, fading
		c.guard += capRate * (credit - live)
	}
	errLog = (c.slack + c.innov - c.setpoint) / max(expect, minGainExpect)
	c.fallback = c.guard < cfg.Reserve && cfg.FixedRisk == 0
	return errLog
}

// threshold sets θ for this decision from the loop's error and returns it
// with the ramp's share (1 once the ramp is over). The integral moves only
// when the risk set the last count (wasBound) and the ramp is over.
func (c *control) threshold(s *Snapshot, cfg *records.PredictiveConfig, liveRate *rate, target, errLog, dt float64) (theta, ramp float64) {
	ramp = 1.0
	if cfg.Ramp > 0 && s.LiveAnswers < int64(cfg.Ramp) {
		ramp = min(1, float64(s.LiveAnswers)/c.rampLength(s, cfg.Ramp, liveRate))
	}
	if cfg.FixedRisk > 0 {
		c.level = math.Log(cfg.FixedRisk)
	} else {
		if ramp >= 1 && c.wasBound {
			c.u = min(max(c.u+errLog*min(dt, 60)/c.integralTime(s.Now, cfg.FeedbackTime), uMin), uMax)
		}
		c.level = min(max(c.u+errLog+c.taper(cfg), uMin), uMax)
	}
	c.theta = target * math.Exp(c.level) * ramp
	return c.theta, ramp
}

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
// many customers on a call as it has agents). burstGain and burstTeam are fit
// to the spread of the days' final slack on the Markov twins
// (docs/decisions/0008). A window expects at least one burst: a team whose E
// is smaller than c takes its abandons a burst at a time.
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
// seconds: twice feedback while the pacer is younger than that, then its
// age, up to integralAges times twice feedback. The integral learns the
// forecast's bias fast from a cold start, then averages it over the day, so
// that the chance runs of a small team's abandons, which the proportional
// part already answers, do not also swing its resting θ for hours.
func (c *control) integralTime(now time.Time, feedback time.Duration) float64 {
	t := 2 * feedback.Seconds()
	return t * min(max(1, now.Sub(c.bornAt).Seconds()/t), integralAges)
}

// integralAges bounds the integral's time constant (integralTime) at eight
// times its start, 8 h at the default FeedbackTime: a task that dials for
// days keeps learning.
const integralAges = 8

// rampLength returns the live answers over which θ ramps up: ramp, or a
// rampDay share of the live answers a known day will bring, if fewer (at
// least one). The day is counted at the live-answer rate since the first
// decision, corrected for the time the rate has had to build up: read raw,
// it puts a long day's end within the first minutes.
func (c *control) rampLength(s *Snapshot, ramp int, liveRate *rate) float64 {
	n := float64(ramp)
	if !s.DialUntil.IsZero() {
		n = min(n, rampDay*dayAnswers(s, liveRate.since(c.bornAt, s.Now)))
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
// window as holding until it does: those youngWindow and youngCredit ×
// youngWindow bring at the live-answer rate, each at most what the window
// will hold when the task stops dialing for the day. Both are 0 when the end
// of the day is not known or youngWindow is off.
func youngSpan(s *Snapshot, liveRate float64, youngWindow time.Duration) (span, credit float64) {
	if s.DialUntil.IsZero() || youngWindow <= 0 {
		return 0, 0
	}
	day := dayAnswers(s, liveRate)
	y := liveRate * youngWindow.Seconds()
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
func (c *control) taper(cfg *records.PredictiveConfig) float64 {
	span := cfg.Taper * (c.setpoint - cfg.Reserve)
	if span <= 0 || c.guard >= cfg.Reserve+span {
		return 0
	}
	return math.Log(max((c.guard-cfg.Reserve)/span, 1e-3))
}
