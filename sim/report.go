package sim

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

// Report is the simulator's result (BENCHMARK.md). Every figure covers the
// measured time only: after the warm-up, up to the end of the duration. Field
// names are a public contract.
type Report struct {
	Scenario   string               `json:"scenario"`
	Seed       uint64               `json:"seed"`
	Pacing     string               `json:"pacing"`
	Setting    string               `json:"setting"` // the mode's main knob, e.g. "1:3" or "0.03"
	Config     records.PacingConfig `json:"pacing_config"`
	SimulatedS float64              `json:"simulated_s"`
	WallS      float64              `json:"wall_s"`
	Agents     int                  `json:"agents"`

	Dials       int64 `json:"dials"`
	LiveAnswers int64 `json:"live_answers"`
	Machines    int64 `json:"machines"`
	NoAnswers   int64 `json:"no_answers"`
	Busy        int64 `json:"busy"`
	Invalid     int64 `json:"invalid"`
	Connected   int64 `json:"connected"`
	Abandoned   int64 `json:"abandoned"`

	AbandonRate          float64 `json:"abandon_rate"`
	Occupancy            float64 `json:"occupancy"`
	TalkMinPerAgentHour  float64 `json:"talk_min_per_agent_hour"`
	ConnectsPerAgentHour float64 `json:"connects_per_agent_hour"`
	DialsPerAgentHour    float64 `json:"dials_per_agent_hour"`
	MeanIdleWaitS        float64 `json:"mean_idle_wait_s"`
	P95IdleWaitS         float64 `json:"p95_idle_wait_s"`
	MaxAbandonRate24h    float64 `json:"max_abandon_rate_24h"`

	AgentHours       float64 `json:"agent_hours"`
	NumbersExhausted int64   `json:"numbers_exhausted"` // numbers finished for good (connected or out of retries)
	Events           int64   `json:"events"`            // engine steps

	Slices []Slice `json:"slices"`
}

// Slice is the report of one time slice (report.slice wide).
type Slice struct {
	StartS      float64 `json:"start_s"` // since the end of the warm-up
	Dials       int64   `json:"dials"`
	LiveAnswers int64   `json:"live_answers"`
	Connected   int64   `json:"connected"`
	Abandoned   int64   `json:"abandoned"`
	AbandonRate float64 `json:"abandon_rate"`
	Occupancy   float64 `json:"occupancy"`
	LoggedIn    float64 `json:"logged_in"` // mean agents logged in
	InFlight    int     `json:"in_flight"` // calls ringing or waiting at the slice's end
	Level       float64 `json:"level"`     // the pacer's level at the slice's end
	// CumAbandonRate is the abandon rate from the start of measurement to the slice's end.
	CumAbandonRate float64 `json:"cum_abandon_rate"`
}

type metrics struct {
	sc *Scenario

	busyNs, loggedNs               float64
	dials, live, machines, noAns   int64
	busySig, invalid, connected    int64
	abandoned, numbersDone, events int64
	talkNs                         float64
	waits                          []float64

	// per-minute live answers and abandons, for the worst rolling 24 h
	minLive, minAb []int32

	sliceStart                 int64
	sliceDials, sliceLive      int64
	sliceConn, sliceAb         int64
	sliceBusyNs, sliceLoggedNs float64
	slices                     []Slice
	wallStart                  time.Time
}

func (m *metrics) init(sc *Scenario) {
	m.sc = sc
	mins := int(sc.Duration/time.Minute) + 1
	m.minLive = make([]int32, mins)
	m.minAb = make([]int32, mins)
	m.sliceStart = int64(sc.Warmup)
	m.wallStart = time.Now()
}

// integrate adds agent time over [from, to), clipped to the measured window.
func (m *metrics) integrate(s *Sim, from, to int64) {
	from = max(from, s.warm)
	to = min(to, s.end)
	if to <= from {
		return
	}
	qs, _ := s.eng.QueueStats(s.queueID)
	dt := float64(to - from)
	b, l := float64(qs.Busy)*dt, float64(qs.LoggedIn)*dt
	m.busyNs += b
	m.loggedNs += l
	m.sliceBusyNs += b
	m.sliceLoggedNs += l
}

func (m *metrics) minute(s *Sim, t time.Time) int {
	i := int(t.Sub(s.start.Add(time.Duration(s.warm))) / time.Minute)
	return min(max(i, 0), len(m.minLive)-1)
}

func (m *metrics) record(s *Sim, r *records.CallRecord) {
	warm := s.start.Add(time.Duration(s.warm))
	if !r.Answer.IsZero() && !r.Answer.Before(warm) {
		if r.Machine {
			m.machines++
		} else if r.Outcome == records.OutcomeLive {
			m.live++
			m.sliceLive++
			mi := m.minute(s, r.Answer)
			m.minLive[mi]++
			if r.Result == records.ResultCustomerOnly {
				m.abandoned++
				m.sliceAb++
				m.minAb[mi]++
			}
		}
	}
	if r.Answer.IsZero() && !r.End.Before(warm) {
		switch r.Outcome {
		case records.OutcomeNoAnswer:
			m.noAns++
		case records.OutcomeBusy:
			m.busySig++
		default:
			m.invalid++
		}
	}
	if r.Result == records.ResultBoth {
		if !r.AgentRing.Before(warm) {
			m.connected++
			m.sliceConn++
		}
		if !r.AgentAnswer.IsZero() {
			from, to := r.AgentAnswer, r.End
			if from.Before(warm) {
				from = warm
			}
			if to.After(from) {
				m.talkNs += float64(to.Sub(from))
			}
		}
	}
}

func (m *metrics) idleWait(s *Sim, ns int64) {
	if s.now >= s.warm {
		m.waits = append(m.waits, float64(ns)/1e9)
	}
}

// slice closes the current report slice.
func (m *metrics) slice(s *Sim) {
	st, _ := s.eng.TaskStats(s.taskID)
	sl := Slice{
		StartS:      float64(m.sliceStart-s.warm) / 1e9,
		Dials:       m.sliceDials,
		LiveAnswers: m.sliceLive,
		Connected:   m.sliceConn,
		Abandoned:   m.sliceAb,
		AbandonRate: ratio(float64(m.sliceAb), float64(m.sliceLive)),
		Occupancy:   ratio(m.sliceBusyNs, m.sliceLoggedNs),
		LoggedIn:    m.sliceLoggedNs / float64(s.now-m.sliceStart),
		InFlight:    st.Ringing + st.Waiting,
		Level:       st.Level,

		CumAbandonRate: ratio(float64(m.abandoned), float64(m.live)),
	}
	if s.now <= m.sliceStart {
		sl.LoggedIn = 0
	}
	m.slices = append(m.slices, sl)
	m.sliceStart = s.now
	m.sliceDials, m.sliceLive, m.sliceConn, m.sliceAb = 0, 0, 0, 0
	m.sliceBusyNs, m.sliceLoggedNs = 0, 0
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (m *metrics) report(s *Sim) *Report {
	if s.now > m.sliceStart {
		m.slice(s)
	}
	sc := s.sc
	hours := m.loggedNs / float64(time.Hour)
	r := &Report{
		Scenario:   sc.Name,
		Seed:       sc.Seed,
		Pacing:     string(sc.Task.Pacing.Mode),
		Setting:    Setting(sc.Task.Pacing),
		Config:     sc.Task.Pacing,
		SimulatedS: float64(min(s.now, s.end)-s.warm) / 1e9,
		WallS:      time.Since(m.wallStart).Seconds(),
		Agents:     sc.Agents.Count,

		Dials: m.dials, LiveAnswers: m.live, Machines: m.machines, NoAnswers: m.noAns,
		Busy: m.busySig, Invalid: m.invalid, Connected: m.connected, Abandoned: m.abandoned,

		AbandonRate:          ratio(float64(m.abandoned), float64(m.live)),
		Occupancy:            ratio(m.busyNs, m.loggedNs),
		TalkMinPerAgentHour:  ratio(m.talkNs/float64(time.Minute), hours),
		ConnectsPerAgentHour: ratio(float64(m.connected), hours),
		DialsPerAgentHour:    ratio(float64(m.dials), hours),
		AgentHours:           hours,
		NumbersExhausted:     m.numbersDone,
		Events:               m.events,
		Slices:               m.slices,
	}
	if n := len(m.waits); n > 0 {
		sum := 0.0
		for _, w := range m.waits {
			sum += w
		}
		r.MeanIdleWaitS = sum / float64(n)
		sorted := slices.Clone(m.waits)
		slices.Sort(sorted)
		r.P95IdleWaitS = sorted[min(n-1, int(math.Ceil(0.95*float64(n)))-1)]
	}
	r.MaxAbandonRate24h = worstWindow(m.minLive, m.minAb, 24*60)
	return r
}

// worstWindow returns the highest abandon rate over any window of w minutes,
// or over the whole run when it is shorter than the window.
func worstWindow(live, ab []int32, w int) float64 {
	var sl, sa int64
	if len(live) <= w {
		for i := range live {
			sl += int64(live[i])
			sa += int64(ab[i])
		}
		return ratio(float64(sa), float64(sl))
	}
	worst := 0.0
	for i := range live {
		sl += int64(live[i])
		sa += int64(ab[i])
		if i >= w {
			sl -= int64(live[i-w])
			sa -= int64(ab[i-w])
		}
		if i >= w-1 {
			worst = max(worst, ratio(float64(sa), float64(sl)))
		}
	}
	return worst
}

// Setting renders a pacing config's main knob, the one tuning sweeps.
func Setting(c records.PacingConfig) string { return pacing.Setting(c) }

// WriteText writes the report as a human-readable table.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(k string, format string, v ...any) {
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, v...)...)
	}
	p("scenario", "%s (seed %d)", r.Scenario, r.Seed)
	p("pacing", "%s %s", r.Pacing, r.Setting)
	p("simulated", "%s with %d agents, %.1f agent-hours (%.2fs wall)", time.Duration(r.SimulatedS*1e9).Round(time.Second), r.Agents, r.AgentHours, r.WallS)
	p("occupancy", "%.2f %%", 100*r.Occupancy)
	p("abandon rate", "%.2f %% (%d of %d live answers; worst 24 h window %.2f %%)", 100*r.AbandonRate, r.Abandoned, r.LiveAnswers, 100*r.MaxAbandonRate24h)
	p("talk", "%.1f min per agent-hour", r.TalkMinPerAgentHour)
	p("connects", "%.1f per agent-hour (%d)", r.ConnectsPerAgentHour, r.Connected)
	p("dials", "%.1f per agent-hour (%d: %d live, %d machine, %d no answer, %d busy, %d invalid)",
		r.DialsPerAgentHour, r.Dials, r.LiveAnswers, r.Machines, r.NoAnswers, r.Busy, r.Invalid)
	p("idle wait", "mean %.1fs, p95 %.1fs", r.MeanIdleWaitS, r.P95IdleWaitS)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Slices) > 1 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "from\toccupancy\tabandon\tdials\tlive\tconnected\tlogged in\tin flight\tlevel\t")
		for _, s := range r.Slices {
			fmt.Fprintf(tw, "%s\t%.1f %%\t%.2f %%\t%d\t%d\t%d\t%.1f\t%d\t%.2f\t\n",
				clock(s.StartS), 100*s.Occupancy, 100*s.AbandonRate,
				s.Dials, s.LiveAnswers, s.Connected, s.LoggedIn, s.InFlight, s.Level)
		}
		return tw.Flush()
	}
	return nil
}

// clock renders seconds as h:mm.
func clock(sec float64) string {
	m := int(sec / 60)
	return fmt.Sprintf("%d:%02d", m/60, m%60)
}
