package pacing

import (
	"fmt"
	"github.com/outpace-dev/outpace/records"
	"math"
	"time"
)

// Loop periods of the VICIdial baseline.
const (
	vicidialDialEvery   = 2500 * time.Millisecond // dialer loop
	vicidialSampleEvery = time.Second             // adapt loop sample
	vicidialAdaptSteps  = 15                      // samples kept and samples between adapt steps
	vicidialRefreshStep = 60                      // samples between refreshes of the day's drop rate
)

// Vicidial is the VICIdial adaptive baseline: a dial level L (calls per
// counted agent) that two loops share, rebuilt from the public description
// of VICIdial's dialer and adapt processes, quirks included.
//
// The dialer loop runs every 2.5 s. It counts N, the agents Ready or on a call
// (reserved or talking; agents in after-call work count as paused), and keeps
// goal = round-half-away(L × N) calls in the system: it places
// goal − (ringing + waiting + connected) calls, never fewer than zero. With
// AvailableOnly, N is the Ready agents alone and the calls already connected
// are added to the goal, so the level multiplies idle agents only.
//
// The adapt loop samples every 1 s (Ready agents, answered calls waiting, agents
// logged in) and every 15 s moves L by the balance of the last 15 samples:
// m = (avg ready − avg waiting + diff_target) / avg logged in, the share of the
// floor that was idle (positive) or short of agents (negative). L is multiplied
// by 1 + m(1+k) when m ≥ 0 and 1 + m|k−1| when m < 0 (k = intensity/100), rounded
// to three decimals and held in [1.0, max_level]. It is a proportional
// controller on idle agents with a 15 s period and no model of the call
// funnel, so it lags every change by tens of seconds and overshoots when
// answers bunch; its brakes are the drop rules. If more than 20 calls were
// dialled in the last 60 s and more than half of them were dropped, L is
// halved. If more than 50 calls were dialled today and the day's drop rate is
// over DropLimit, the method acts: HARD_LIMIT resets L to 1.0, AVERAGE halves
// it, TAPERED multiplies it by min(1, h/1000) with h = latest HHMM − now HHMM
// as plain integer subtraction (at 19:50 with latest 2100, h = 150 although 70
// minutes remain; once past the latest hour L is 1.0). L never goes below 1.0.
// The day's drop rate is drops over live answers (drops included) since the
// calendar day of the loop time began; like VICIdial's campaign stats, it and
// the day's dial count are refreshed only every 60 s, so the brake engages up
// to a minute late. A drop is a live answer abandoned before reaching an
// agent, or one that waited DropAfter or more when that is set.
//
// The loops run on their own clock, started by the first Decide: Decide places
// calls only when a dialer tick is due and returns the next loop time in
// Decision.Next. Ticks that fell between two calls are replayed in time order
// (samples, then the 60 s refresh, then the adapt step at the same instant; the
// dialer tick last): a sample before the current call uses the counts of the
// previous snapshot, the state that held then. An Observe also replays the
// ticks before its time, so every tick sees exactly the observations made up
// to it. Overdue dialer ticks collapse into one placement from the current
// snapshot.
type Vicidial struct {
	cfg   records.VicidialConfig
	level float64

	started  bool
	t0       time.Time
	step     int64 // number of the next 1 s adapt-loop step (0 at t0)
	dialStep int64 // number of the next dialer tick (0 at t0)

	// counts of the latest snapshot, for samples replayed later
	lastIdle, lastWaiting, lastLoggedIn int

	ready, waiting, total Samples

	dials60, drops60 Window

	day                                int   // yyyymmdd of the day's counters
	dialsToday, answersToday, dropsDay int64 // live counters since midnight
	shownDials                         int64 // dials today at the last refresh
	shownDropPct                       float64

	// inputs of the last adapt step, for String
	lastM, lastP         float64
	lastDials, lastDrops int64
}

// NewVicidial returns the VICIdial baseline.
func NewVicidial(cfg records.VicidialConfig) (Pacer, error) {
	c, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	return &Vicidial{
		cfg:     c,
		level:   c.StartLevel,
		ready:   NewSamples(vicidialAdaptSteps),
		waiting: NewSamples(vicidialAdaptSteps),
		total:   NewSamples(vicidialAdaptSteps),
		dials60: NewWindow(time.Minute, 60),
		drops60: NewWindow(time.Minute, 60),
	}, nil
}

// Level returns the current dial level L.
func (v *Vicidial) Level() float64 { return v.level }

// Observe implements Pacer.
func (v *Vicidial) Observe(o Observation) {
	if v.started {
		v.advance(o.At, false, nil)
	}
	v.rollDay(o.At)
	switch o.Kind {
	case ObsDial:
		v.dials60.Add(o.At, 1)
		v.dialsToday++
	case ObsOutcome:
		if o.Outcome == records.OutcomeLive {
			v.answersToday++
		}
	case ObsConnect:
		if v.cfg.DropAfter > 0 && o.Duration >= v.cfg.DropAfter {
			v.drop(o.At)
		}
	case ObsAbandon:
		v.drop(o.At)
	}
}

func (v *Vicidial) drop(at time.Time) {
	v.drops60.Add(at, 1)
	v.dropsDay++
}

// Decide implements Pacer.
func (v *Vicidial) Decide(s *Snapshot) Decision {
	now := s.Now
	if !v.started {
		v.started = true
		v.t0 = now
		v.rollDay(now)
	}
	v.advance(now, true, s)
	place := 0
	if !v.dialTime(v.dialStep).After(now) {
		place = v.place(s)
		v.dialStep = int64(now.Sub(v.t0)/vicidialDialEvery) + 1
	}
	v.lastIdle, v.lastWaiting, v.lastLoggedIn = s.Idle, s.Waiting, s.LoggedIn
	next := v.stepTime(v.step)
	if d := v.dialTime(v.dialStep); d.Before(next) {
		next = d
	}
	return Decision{Place: place, Next: next, Level: v.level}
}

func (v *Vicidial) stepTime(k int64) time.Time {
	return v.t0.Add(time.Duration(k) * vicidialSampleEvery)
}

func (v *Vicidial) dialTime(k int64) time.Time {
	return v.t0.Add(time.Duration(k) * vicidialDialEvery)
}

// advance runs the adapt-loop steps due before until (or at until when
// inclusive). Steps at s.Now sample s; earlier ones the previous snapshot.
func (v *Vicidial) advance(until time.Time, inclusive bool, s *Snapshot) {
	for {
		t := v.stepTime(v.step)
		if t.After(until) || (!inclusive && t.Equal(until)) {
			return
		}
		idle, waiting, total := v.lastIdle, v.lastWaiting, v.lastLoggedIn
		if s != nil && t.Equal(s.Now) {
			idle, waiting, total = s.Idle, s.Waiting, s.LoggedIn
		}
		v.ready.Push(float64(idle))
		v.waiting.Push(float64(waiting))
		v.total.Push(float64(total))
		if v.step%vicidialRefreshStep == 0 {
			v.refresh(t)
		}
		if v.step > 0 && v.step%vicidialAdaptSteps == 0 {
			v.adapt(t)
		}
		v.step++
	}
}

// refresh copies the day's counters into the values the adapt step reads.
func (v *Vicidial) refresh(t time.Time) {
	v.rollDay(t)
	v.shownDials = v.dialsToday
	v.shownDropPct = 0
	if v.answersToday > 0 {
		v.shownDropPct = float64(v.dropsDay) / float64(v.answersToday)
	}
}

// rollDay starts new day counters when t falls on a later calendar day.
func (v *Vicidial) rollDay(t time.Time) {
	y, m, d := t.Date()
	key := y*10000 + int(m)*100 + d
	if key > v.day {
		v.day = key
		v.dialsToday, v.answersToday, v.dropsDay = 0, 0, 0
	}
}

func (v *Vicidial) adapt(t time.Time) {
	tot := v.total.Mean()
	if tot <= 0 {
		return
	}
	m := (v.ready.Mean() - v.waiting.Mean() + v.cfg.DiffTarget) / tot
	k := float64(v.cfg.Intensity) / 100
	var p float64
	if m >= 0 {
		p = 100 * m * (1 + k)
	} else {
		p = 100 * m * math.Abs(k-1)
	}
	l := Round3(v.level * (1 + p/100))
	l = min(l, v.cfg.MaxLevel)
	l = max(l, 1.0)

	dials, drops := v.dials60.Sum(t), v.drops60.Sum(t)
	if dials > 20 && float64(drops)/float64(dials) > 0.5 {
		l /= 2
	}
	if v.shownDials > 50 && v.shownDropPct > v.cfg.DropLimit {
		switch v.cfg.Method {
		case records.VicidialHardLimit:
			l = 1.0
		case records.VicidialAverage:
			l /= 2
		case records.VicidialTapered:
			h := v.cfg.LatestHHMM - (t.Hour()*100 + t.Minute())
			if h < 0 {
				l = 1.0
			} else {
				l *= min(1, float64(h)/1000)
			}
		}
	}
	v.level = max(l, 1.0)
	v.lastM, v.lastP, v.lastDials, v.lastDrops = m, p, dials, drops
}

// place is the dialer loop: calls to add so that goal calls are in the system.
func (v *Vicidial) place(s *Snapshot) int {
	connected := 0
	for i := range s.Agents {
		if ph := s.Agents[i].Phase; ph == PhaseReserved || ph == PhaseTalk {
			connected++
		}
	}
	existing := s.Ringing + s.Waiting + connected
	var goal int
	if v.cfg.AvailableOnly {
		goal = int(RoundHalfAway(v.level*float64(s.Idle))) + connected
	} else {
		goal = int(RoundHalfAway(v.level * float64(s.Idle+connected)))
	}
	return max(0, goal-existing)
}

// String reports the level and the inputs of the last adapt step.
func (v *Vicidial) String() string {
	return fmt.Sprintf("level=%.3f samples=%d avg_ready=%.3f avg_waiting=%.3f avg_total=%.3f m=%.4f p=%.2f dials_60s=%d drops_60s=%d dials_today=%d drop_pct_today=%.4f",
		v.level, v.ready.Len(), v.ready.Mean(), v.waiting.Mean(), v.total.Mean(),
		v.lastM, v.lastP, v.lastDials, v.lastDrops, v.shownDials, v.shownDropPct)
}
