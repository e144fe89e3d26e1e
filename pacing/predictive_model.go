package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"math"
	"time"
)

// forecast is the predictive pacer's inner rule: from the live state and the
// estimates, the probability that the live answer of the m-th new call of a
// decision finds no agent free (risk), and the largest m whose risk is under
// a threshold (search).
//
// How. A new call placed now, if answered live, answers at a time T drawn
// from the live-answer time distribution; the forecast is made at the
// numHorizons quantiles H_k of T. The live answer is abandoned if the live
// answers arriving before it use up every agent free by H_k plus the connect
// deadline. Arriving before it: the answered calls waiting now; each ringing
// call of age a, with probability P(live in (a, a+H_k] | no outcome by a),
// which falls with a since live answers come early and machines and
// no-answers late; each other new call of this decision, with p·P(T ≤ H_k);
// and the calls still to be placed, at the current dial rate, weighted by
// e^(−s/React) for a call placed s from now (React in full from ReactAgents
// agents up, in proportion on a smaller team, whose next calls are few and
// placed knowing of this one). Free by then: the idle agents; each agent in
// wrap-up for e, with P(wrap ends by e+h | e); each agent talking for e, with
// the probability that the talk ends and the wrap-up, if any, follows within
// h. Both sides are sums of independent Bernoulli (and Poisson) terms. On a
// team whose agents and lines number exactTerms or fewer their laws are
// computed exactly (predictive_exact.go): there the counts are small and
// skewed, and a normal approximation misplaces the risk by about a call,
// differently in each state, which no threshold can undo. On a larger floor
// their difference is taken as normal with a continuity correction. The risk
// of the m-th new call is the mean over k of P(arrivals before it ≥ agents
// free).
//
// Cost. The calls and agents are binned by elapsed time, so a decision sums
// over bins, not calls; each bin's probabilities (a row) come from a model
// snapshot rebuilt from the estimates at most once per Refresh, and a decision
// computes at most rowsPerDecision rows, the others keeping the last build's
// values until a later decision reaches them. No decision allocates.
//
// Why it is stable. The risk grows with m, so the search's answer is a level:
// the calls in flight are topped up to where the marginal risk reaches the
// threshold, and every call placed enters the next forecast at once as a
// ringing call of age zero. Repeated decisions with nothing new place nothing
// more; the model moves only as the estimates do, and rows lag it by a few
// decisions at most.
type forecast struct {
	// model snapshot, rebuilt at most every Refresh
	ver       uint32
	builtAt   time.Time
	stale     bool
	ready     bool // enough outcomes to forecast
	ok        bool // ready, and every row the last decision needed computed
	handReady bool // enough talk times to count agents about to be free
	wrapOK    bool // enough wrap times
	deadline  time.Duration
	team      int // agents idle or busy at the last build, at most ReactAgents
	pLive     float64
	nOut      float64 // recent outcomes
	wrapShare float64
	ringMean  float64
	talkMean  float64
	wrapMean  float64
	sLive     survival
	sAll      survival
	sTalk     survival
	sWrap     survival
	horizon   [numHorizons]float64 // H_k, seconds
	supply    [numHorizons]float64 // H_k + connect deadline
	pi        [numHorizons]float64 // P(another new call is live before H_k)
	lead      [numHorizons]float64 // live answers before H_k per call placed per second from now on
	conv      [numHorizons][numHorizons]float64

	// memoryless priors where the histograms hold little
	priorCall, priorTalk, priorWrap  [numHorizons]float64
	priorHaz, priorTalkD, priorWrapD float64

	// per-bin probability rows, each of the model version rowVer (0: never
	// computed); rowCursor is where the next decision starts bringing them up
	// to date
	rows      [numRows][numCols]float64
	rowVer    [numRows]uint32
	rowCursor int

	// what the last decision's forecast expects beyond the new calls' risk
	abandonRate float64 // abandons expected per second in the current state
	freeSoon    float64 // busy agents expected free within the connect deadline
	committed   float64 // abandons expected from the calls in flight

	// scratch of one decision
	cnt              [numRows]int32 // terms per row
	touched          [numRows]uint16
	muA, vA, muF, vF [numHorizons]float64
	waiting          float64
	exact            exactForecast
}

// censoredShare: until the outcome estimator holds OutcomeMemory /
// censoredShare outcomes, it counts the calls still ringing as durations
// still running (censored).
const censoredShare = 10

// prior is the weight, in observations, of the memoryless prior that keeps
// conditional probabilities defined where the histograms hold (almost)
// nothing: beyond the longest ring or talk seen so far.
const prior = 0.5

// refresh rebuilds the model snapshot when the estimators changed and the
// last build is at least Refresh old. It must run while the counts of the
// calls and agents in progress are binned: they enter the estimates as
// durations still running.
func (fc *forecast) refresh(now time.Time, s *Snapshot, est *estimates, cfg *records.PredictiveConfig) {
	if s.ConnectDeadline != fc.deadline {
		fc.deadline = s.ConnectDeadline
		fc.stale = true
		fc.builtAt = time.Time{}
	}
	// The reach follows the team up to ReactAgents; beyond, a change of
	// staffing leaves the tables as they are.
	if team := min(s.Idle+s.Busy, cfg.ReactAgents); team != fc.team {
		fc.team = team
		fc.stale = true
	}
	if !fc.stale || (!fc.builtAt.IsZero() && now.Sub(fc.builtAt) < cfg.Refresh) {
		return
	}
	fc.stale = false
	fc.builtAt = now
	fc.ver++

	// Running durations matter while the estimator is young; once it holds
	// a tenth of its memory (censoredShare) they would only bias it (the
	// completed ones then already cover every length).
	sc := est.outDecay.scale
	nOut := (est.live.sum + est.other.sum) / sc
	wc := max(0, 1-nOut/float64(max(cfg.OutcomeMemory/censoredShare, 1)))
	fc.pLive = loadCompeting(&fc.sAll, &fc.sLive, &est.live, &est.other, sc, fc.counts(rowCall), wc)
	fc.nOut = nOut
	nLive := est.live.sum / sc
	fc.ringMean = fc.sAll.mean
	minOut := float64(cfg.MinHistory)
	fc.ready = fc.nOut >= minOut && nLive >= max(minOut/10, 1) && fc.sLive.n > 0
	if fc.ready {
		for k := range numHorizons {
			q := (float64(k) + 0.5) / numHorizons
			h := fc.sLive.quantile(q)
			fc.horizon[k] = h
			fc.supply[k] = h + fc.deadline.Seconds()
			fc.pi[k] = fc.pLive * q
			// ∫₀^H P(T ≤ t) dt: the time before H_k during which a call
			// placed later still answers first, on average.
			// A call placed at t weighs e^(−(H−t)/react), taken at the
			// middle of each of 16 steps.
			// Summed from H back, so that the weights fall towards
			// nothing instead of growing from it (a short React would
			// otherwise start at 0 and grow by +Inf).
			lead, step := 0.0, h/16
			if react := cfg.React.Seconds() * fc.reachShare(cfg.ReactAgents); react > 0 {
				w, fall := math.Exp(-step/2/react), math.Exp(-step/react)
				t := h - step/2
				for range 16 {
					lead += step * w * fc.sLive.cdf(t)
					t -= step
					w *= fall
				}
			} // no reach: the calls to come do not count
			fc.lead[k] = fc.pLive * lead
		}
	}

	hs := est.handDecay.scale
	nTalk := est.talk.sum / hs
	wc = max(0, 1-nTalk/float64(cfg.HandlingMemory))
	fc.sTalk.loadKM(&est.talk, hs, fc.counts(rowTalk), wc)
	fc.sWrap.loadKM(&est.wrap, hs, fc.counts(rowWrap), wc)
	fc.talkMean, fc.wrapMean = fc.sTalk.mean, fc.sWrap.mean
	fc.handReady = nTalk >= 10
	fc.wrapShare = 0
	if est.talkCount > 0 {
		inWrap := 0.0
		for _, c := range fc.counts(rowWrap) {
			inWrap += float64(c)
		}
		// Agents in wrap-up now have had their talk counted, not yet their wrap.
		fc.wrapShare = min(1, (est.wrapCnt/hs+inWrap)/(est.talkCount/hs))
	}
	fc.wrapOK = est.wrap.sum/hs >= 5

	// Terms shared by every bin's row.
	rm, tm, wm := max(fc.ringMean, 1), max(fc.talkMean, 1), max(fc.wrapMean, 1)
	d := fc.deadline.Seconds()
	fc.priorHaz = prior * fc.pLive * (1 - math.Exp(-hazardStep/rm))
	fc.priorTalkD = prior * (1 - math.Exp(-d/tm))
	fc.priorWrapD = prior * (1 - math.Exp(-d/wm))
	prevX := 0.0
	for k := range numHorizons {
		fc.priorCall[k] = prior * fc.pLive * (1 - math.Exp(-fc.horizon[k]/rm))
		fc.priorTalk[k] = prior * (1 - math.Exp(-fc.supply[k]/tm))
		fc.priorWrap[k] = prior * (1 - math.Exp(-fc.supply[k]/wm))
		mid := (prevX + fc.supply[k]) / 2
		prevX = fc.supply[k]
		for j := k; j < numHorizons; j++ {
			fc.conv[j][k] = fc.wrapDone(fc.supply[j] - mid)
		}
	}
}

// counts returns the terms of this decision per bin for the kind of row
// that starts at first (rowCall, rowWrap or rowTalk).
func (fc *forecast) counts(first int) *[numBins]int32 {
	return (*[numBins]int32)(fc.cnt[first : first+numBins])
}

// reachShare is the share of React that applies to a team of the current
// size: all of it from ReactAgents agents up, in proportion below.
func (fc *forecast) reachShare(reactAgents int) float64 {
	return float64(fc.team) / float64(reactAgents)
}

// Rows. Each kind of term has a row of probabilities per bin of elapsed
// time: row rowCall+b for a call ringing for a time in bin b, rowWrap+b for
// an agent in wrap-up, rowTalk+b for an agent talking (bin 0 also for an
// agent whose call is being offered). A row is computed from the model
// snapshot when a decision first needs it.
const (
	rowCall = 0
	rowWrap = numBins
	rowTalk = 2 * numBins
	numRows = 3 * numBins
)

// rowsPerDecision bounds the rows a decision computes. The rows it needs
// beyond that keep the values of an earlier build of the model until a later
// decision gets to them (each decision starts where the last one stopped), so
// a row lags the model by a few decisions at most, and a decision that
// rebuilds the model costs little more than any other
// (BenchmarkPredictiveDecideRebuild). A row never computed has no value to
// keep: until every row a decision needs exists, which takes a few decisions
// when the model first becomes ready, the pacer stays progressive.
const rowsPerDecision = 48

// updateRows brings the rows of the terms touched by this decision up to
// date, within the budget, and reports whether every one of them has a value.
func (fc *forecast) updateRows(touched []uint16) bool {
	n := len(touched)
	budget, complete := rowsPerDecision, true
	start := 0
	if n > 0 {
		start = fc.rowCursor % n
	}
	for i := range n {
		j := start + i
		if j >= n {
			j -= n
		}
		r := int(touched[j])
		v := fc.rowVer[r]
		if v == fc.ver {
			continue
		}
		if budget == 0 {
			complete = complete && v != 0
			continue
		}
		budget--
		fc.rowCursor = j + 1
		fc.rowVer[r] = fc.ver
		row := &fc.rows[r]
		switch {
		case r >= rowTalk:
			fc.talkProbs(r-rowTalk, row)
		case r >= rowWrap:
			fc.wrapProbs(r-rowWrap, row)
		default:
			fc.callProbs(r-rowCall, row)
		}
	}
	return complete
}

// callProbs fills row with, for a ringing call in age bin b, the probability
// of a live answer within each horizon.
func (fc *forecast) callProbs(b int, row *[numCols]float64) {
	a := binMid(b)
	lAbove := fc.sLive.above(a)
	den := fc.sAll.above(a) + prior
	for k := range numHorizons {
		num := lAbove - fc.sLive.above(a+fc.horizon[k]) + fc.priorCall[k]
		row[k] = min(max(num/den, 0), 1)
	}
	// The hazard of a live answer now, per second.
	num := lAbove - fc.sLive.above(a+hazardStep) + fc.priorHaz
	row[colNow] = max(num/den, 0) / hazardStep
}

// talkProbs fills row with, for an agent talking for a time in bin b, the
// probability of being free (talk and wrap-up over) by each supply horizon.
func (fc *forecast) talkProbs(b int, row *[numCols]float64) {
	if !fc.handReady || (fc.wrapShare > 0 && !fc.wrapOK) {
		*row = [numCols]float64{}
		return
	}
	e := binMid(b)
	if b == 0 {
		e = 0
	}
	above := fc.sTalk.above(e)
	den := above + prior
	// c[l] = P(talk over by supply[l] | talked e), convolved with the
	// wrap-up at the middle of each step.
	var c [numHorizons]float64
	for l := range numHorizons {
		c[l] = (above - fc.sTalk.above(e+fc.supply[l]) + fc.priorTalk[l]) / den
	}
	for k := range numHorizons {
		sum, prevC := 0.0, 0.0
		for l := 0; l <= k; l++ {
			sum += (c[l] - prevC) * fc.conv[k][l]
			prevC = c[l]
		}
		row[k] = min(max(sum, 0), 1)
	}
	// Free within the connect deadline: the talk ends and the wrap-up, if
	// any, too.
	if d := fc.deadline.Seconds(); d > 0 {
		cd := (above - fc.sTalk.above(e+d) + fc.priorTalkD) / den
		row[colNow] = min(max(cd*fc.wrapDone(d/2), 0), 1)
	} else {
		row[colNow] = 0
	}
}

// wrapDone returns the probability that a call just ended is out of wrap-up
// after y seconds.
func (fc *forecast) wrapDone(y float64) float64 {
	none := 1 - fc.wrapShare
	if fc.wrapShare == 0 {
		return 1
	}
	return none + fc.wrapShare*fc.sWrap.cdf(y)
}

// wrapProbs fills row with, for an agent in wrap-up for a time in bin b, the
// probability of being free by each supply horizon.
func (fc *forecast) wrapProbs(b int, row *[numCols]float64) {
	if !fc.handReady || !fc.wrapOK {
		*row = [numCols]float64{}
		return
	}
	e := binMid(b)
	if b == 0 {
		e = 0
	}
	above := fc.sWrap.above(e)
	den := above + prior
	for k := range numHorizons {
		row[k] = min(max((above-fc.sWrap.above(e+fc.supply[k])+fc.priorWrap[k])/den, 0), 1)
	}
	row[colNow] = 0
	if d := fc.deadline.Seconds(); d > 0 {
		row[colNow] = min(max((above-fc.sWrap.above(e+d)+fc.priorWrapD)/den, 0), 1)
	}
}

// run bins the ringing calls by age and the busy agents by elapsed time,
// refreshes the model if due, and sums, for each horizon, the expected
// live answers arriving from the ringing calls and the expected agents free,
// with their variances.
func (fc *forecast) run(s *Snapshot, est *estimates, cfg *records.PredictiveConfig) {
	now := s.Now.UnixNano()
	nt := 0
	for i := range s.Calls {
		c := &s.Calls[i]
		if c.State != CallRinging {
			continue
		}
		r := rowCall + binOfNanos(now-c.DialedAt.UnixNano())
		if fc.cnt[r] == 0 {
			fc.touched[nt] = uint16(r)
			nt++
		}
		fc.cnt[r]++
	}
	nc := nt
	for i := range s.Agents {
		a := &s.Agents[i]
		r := rowTalk // an agent whose call is being offered: talk of length 0
		switch a.Phase {
		case PhaseWrap:
			r = rowWrap + binOfNanos(now-a.Since.UnixNano())
		case PhaseTalk:
			r = rowTalk + binOfNanos(now-a.Call.UnixNano())
		}
		if fc.cnt[r] == 0 {
			fc.touched[nt] = uint16(r)
			nt++
		}
		fc.cnt[r]++
	}
	fc.refresh(s.Now, s, est, cfg)
	ready := fc.ready && fc.updateRows(fc.touched[:nt])
	fc.ok = ready
	idle := float64(s.Idle)
	for k := range numHorizons {
		fc.muA[k], fc.vA[k], fc.muF[k], fc.vF[k] = 0, 0, idle, 0
	}
	liveNow, muD, vD := 0.0, 0.0, 0.0
	ex := &fc.exact
	team := max(s.LoggedIn, s.Idle+s.Busy)
	ex.on = ready && team+max(s.MaxInFlight, len(s.Calls)) <= exactTerms
	if ex.on {
		ex.reset()
	}
	for i, t := range fc.touched[:nt] {
		n := float64(fc.cnt[t])
		fc.cnt[t] = 0
		if !ready {
			continue
		}
		row := &fc.rows[t]
		// Calls add to the arrivals, agents to those free.
		mu, v, law := &fc.muF, &fc.vF, &ex.free
		if i < nc {
			mu, v, law = &fc.muA, &fc.vA, &ex.arr
		}
		for k := range numHorizons {
			q := row[k]
			mu[k] += n * q
			v[k] += n * q * (1 - q)
			if ex.on {
				ex.on = law[k].bernoulli(q, int(n))
			}
		}
		if i < nc {
			liveNow += n * row[colNow]
			continue
		}
		q := row[colNow]
		muD += n * q
		vD += n * q * (1 - q)
	}
	// The busy agents expected free within the connect deadline count with
	// the idle ones in the pool share (PredictiveConfig.Pool).
	fc.freeSoon = muD
	// The expected rate of abandons now: live answers arriving while no
	// agent is idle and too few become free within the connect deadline to
	// serve the ones waiting and this one.
	fc.abandonRate = 0
	if ready && s.Idle == 0 {
		w := float64(s.Waiting)
		fc.abandonRate = liveNow * normCDF((w+0.5-muD)/math.Sqrt(vD+1e-6))
	}
	fc.waiting = float64(s.Waiting)
	// The abandons already committed: the live answers expected from the
	// calls in flight beyond the agents free by the last horizon (the mean
	// shortfall of the normal difference).
	fc.committed = 0
	if ready {
		const k = numHorizons - 1
		z := fc.muF[k] - fc.muA[k] - fc.waiting - 0.5
		sd := math.Sqrt(fc.vF[k] + fc.vA[k] + 1e-6)
		fc.committed = max(sd*normPDF(z/sd)-z*normCDF(-z/sd), 0)
	}
	// Calls placed after this decision answer before the new call's H_k as
	// well: at the current dial rate, lead[k] × rate of them on average.
	if ready {
		dr := est.dialRate.get(s.Now)
		for k := range numHorizons {
			f := dr * fc.lead[k]
			fc.muA[k] += f
			fc.vA[k] += f
			if ex.on {
				ex.on = ex.arr[k].poisson(f, &ex.tail, &ex.conv)
			}
		}
		if ex.on {
			ex.finish(s.Idle, s.Waiting)
		}
	}
}

// maxPlace bounds the calls placed by one decision.
const maxPlace = 1 << 16

// search returns the largest m ≤ limit whose marginal risk is at most theta.
func (fc *forecast) search(theta float64, limit int) int {
	if limit <= 0 || fc.risk(1) > theta {
		return 0
	}
	lo, hi := 1, 2 // risk(lo) ≤ theta
	for hi <= limit && fc.risk(hi) <= theta {
		lo, hi = hi, hi*2
	}
	hi = min(hi, limit+1) // risk(hi) > theta, or beyond the limit
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if fc.risk(m) <= theta {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// risk returns the probability that the live answer of the m-th new call of
// this decision finds no agent free.
func (fc *forecast) risk(m int) float64 {
	if fc.exact.on {
		return fc.exact.risk(m, &fc.pi)
	}
	others := float64(m - 1)
	r := 0.0
	for k := range numHorizons {
		pi := fc.pi[k]
		z := fc.muF[k] - fc.muA[k] - fc.waiting - others*pi
		v := fc.vF[k] + fc.vA[k] + others*pi*(1-pi) + 1e-6
		r += normCDF((0.5 - z) / math.Sqrt(v))
	}
	return r / numHorizons
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
