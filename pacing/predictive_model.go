package pacing

import (
	"math"
	"time"
)

// This file holds the predictive pacer's forecast: the model snapshot rebuilt
// from the estimators, the per-bin probability rows computed from it on
// demand, and the sums over the calls in flight and the busy agents.

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
func (p *Predictive) refresh(now time.Time, s *Snapshot) {
	if s.ConnectDeadline != p.deadline {
		p.deadline = s.ConnectDeadline
		p.stale = true
		p.builtAt = time.Time{}
	}
	// The reach follows the team up to ReactAgents; beyond, a change of
	// staffing leaves the tables as they are.
	if team := min(s.Idle+s.Busy, p.cfg.ReactAgents); team != p.team {
		p.team = team
		p.stale = true
	}
	if !p.stale || (!p.builtAt.IsZero() && now.Sub(p.builtAt) < p.cfg.Refresh) {
		return
	}
	p.stale = false
	p.builtAt = now
	p.ver++

	// Running durations matter while the estimator is young; once it holds
	// a tenth of its memory (censoredShare) they would only bias it (the
	// completed ones then already cover every length).
	sc := p.outDecay.scale
	nOut := (p.live.sum + p.other.sum) / sc
	wc := max(0, 1-nOut/float64(max(p.cfg.OutcomeMemory/censoredShare, 1)))
	p.pLive = loadCompeting(&p.sAll, &p.sLive, &p.live, &p.other, sc, p.counts(rowCall), wc)
	p.nOut = nOut
	nLive := p.live.sum / sc
	p.ringMean = p.sAll.mean
	minOut := float64(p.cfg.MinHistory)
	p.ready = p.nOut >= minOut && nLive >= max(minOut/10, 1) && p.sLive.n > 0
	if p.ready {
		for k := range numHorizons {
			q := (float64(k) + 0.5) / numHorizons
			h := p.sLive.quantile(q)
			p.horizon[k] = h
			p.supply[k] = h + p.deadline.Seconds()
			p.pi[k] = p.pLive * q
			// ∫₀^H P(T ≤ t) dt: the time before H_k during which a call
			// placed later still answers first, on average.
			// A call placed at t weighs e^(−(H−t)/react), taken at the
			// middle of each of 16 steps.
			// Summed from H back, so that the weights fall towards
			// nothing instead of growing from it (a short React would
			// otherwise start at 0 and grow by +Inf).
			lead, step := 0.0, h/16
			if react := p.cfg.React.Seconds() * p.reachShare(); react > 0 {
				w, fall := math.Exp(-step/2/react), math.Exp(-step/react)
				t := h - step/2
				for range 16 {
					lead += step * w * p.sLive.cdf(t)
					t -= step
					w *= fall
				}
			} // no reach: the calls to come do not count
			p.lead[k] = p.pLive * lead
		}
	}

	hs := p.handDecay.scale
	nTalk := p.talk.sum / hs
	wc = max(0, 1-nTalk/float64(p.cfg.HandlingMemory))
	p.sTalk.loadKM(&p.talk, hs, p.counts(rowTalk), wc)
	p.sWrap.loadKM(&p.wrap, hs, p.counts(rowWrap), wc)
	p.talkMean, p.wrapMean = p.sTalk.mean, p.sWrap.mean
	p.handReady = nTalk >= 10
	p.wrapShare = 0
	if p.talkCount > 0 {
		inWrap := 0.0
		for _, c := range p.counts(rowWrap) {
			inWrap += float64(c)
		}
		// Agents in wrap-up now have had their talk counted, not yet their wrap.
		p.wrapShare = min(1, (p.wrapCnt/hs+inWrap)/(p.talkCount/hs))
	}
	p.wrapOK = p.wrap.sum/hs >= 5

	// Terms shared by every bin's row.
	rm, tm, wm := max(p.ringMean, 1), max(p.talkMean, 1), max(p.wrapMean, 1)
	d := p.deadline.Seconds()
	p.priorHaz = prior * p.pLive * (1 - math.Exp(-hazardStep/rm))
	p.priorTalkD = prior * (1 - math.Exp(-d/tm))
	p.priorWrapD = prior * (1 - math.Exp(-d/wm))
	prevX := 0.0
	for k := range numHorizons {
		p.priorCall[k] = prior * p.pLive * (1 - math.Exp(-p.horizon[k]/rm))
		p.priorTalk[k] = prior * (1 - math.Exp(-p.supply[k]/tm))
		p.priorWrap[k] = prior * (1 - math.Exp(-p.supply[k]/wm))
		mid := (prevX + p.supply[k]) / 2
		prevX = p.supply[k]
		for j := k; j < numHorizons; j++ {
			p.conv[j][k] = p.wrapDone(p.supply[j] - mid)
		}
	}
}

// counts returns the terms of this decision per bin for the kind of row
// that starts at first (rowCall, rowWrap or rowTalk).
func (p *Predictive) counts(first int) *[numBins]int32 {
	return (*[numBins]int32)(p.cnt[first : first+numBins])
}

// reachShare is the share of React that applies to a team of the current
// size: all of it from ReactAgents agents up, in proportion below.
func (p *Predictive) reachShare() float64 {
	return float64(p.team) / float64(p.cfg.ReactAgents)
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
func (p *Predictive) updateRows(touched []uint16) bool {
	n := len(touched)
	budget, complete := rowsPerDecision, true
	start := 0
	if n > 0 {
		start = p.rowCursor % n
	}
	for i := range n {
		j := start + i
		if j >= n {
			j -= n
		}
		r := int(touched[j])
		v := p.rowVer[r]
		if v == p.ver {
			continue
		}
		if budget == 0 {
			complete = complete && v != 0
			continue
		}
		budget--
		p.rowCursor = j + 1
		p.rowVer[r] = p.ver
		row := &p.rows[r]
		switch {
		case r >= rowTalk:
			p.talkProbs(r-rowTalk, row)
		case r >= rowWrap:
			p.wrapProbs(r-rowWrap, row)
		default:
			p.callProbs(r-rowCall, row)
		}
	}
	return complete
}

// callProbs fills row with, for a ringing call in age bin b, the probability
// of a live answer within each horizon.
func (p *Predictive) callProbs(b int, row *[numCols]float64) {
	a := binMid(b)
	lAbove := p.sLive.above(a)
	den := p.sAll.above(a) + prior
	for k := range numHorizons {
		num := lAbove - p.sLive.above(a+p.horizon[k]) + p.priorCall[k]
		row[k] = min(max(num/den, 0), 1)
	}
	// The hazard of a live answer now, per second.
	num := lAbove - p.sLive.above(a+hazardStep) + p.priorHaz
	row[colNow] = max(num/den, 0) / hazardStep
}

// talkProbs fills row with, for an agent talking for a time in bin b, the
// probability of being free (talk and wrap-up over) by each supply horizon.
func (p *Predictive) talkProbs(b int, row *[numCols]float64) {
	if !p.handReady || (p.wrapShare > 0 && !p.wrapOK) {
		*row = [numCols]float64{}
		return
	}
	e := binMid(b)
	if b == 0 {
		e = 0
	}
	above := p.sTalk.above(e)
	den := above + prior
	// c[l] = P(talk over by supply[l] | talked e), convolved with the
	// wrap-up at the middle of each step.
	var c [numHorizons]float64
	for l := range numHorizons {
		c[l] = (above - p.sTalk.above(e+p.supply[l]) + p.priorTalk[l]) / den
	}
	for k := range numHorizons {
		sum, prevC := 0.0, 0.0
		for l := 0; l <= k; l++ {
			sum += (c[l] - prevC) * p.conv[k][l]
			prevC = c[l]
		}
		row[k] = min(max(sum, 0), 1)
	}
	// Free within the connect deadline: the talk ends and the wrap-up, if
	// any, too.
	if d := p.deadline.Seconds(); d > 0 {
		cd := (above - p.sTalk.above(e+d) + p.priorTalkD) / den
		row[colNow] = min(max(cd*p.wrapDone(d/2), 0), 1)
	} else {
		row[colNow] = 0
	}
}

// wrapDone returns the probability that a call just ended is out of wrap-up
// after y seconds.
func (p *Predictive) wrapDone(y float64) float64 {
	none := 1 - p.wrapShare
	if p.wrapShare == 0 {
		return 1
	}
	return none + p.wrapShare*p.sWrap.cdf(y)
}

// wrapProbs fills row with, for an agent in wrap-up for a time in bin b, the
// probability of being free by each supply horizon.
func (p *Predictive) wrapProbs(b int, row *[numCols]float64) {
	if !p.handReady || !p.wrapOK {
		*row = [numCols]float64{}
		return
	}
	e := binMid(b)
	if b == 0 {
		e = 0
	}
	above := p.sWrap.above(e)
	den := above + prior
	for k := range numHorizons {
		row[k] = min(max((above-p.sWrap.above(e+p.supply[k])+p.priorWrap[k])/den, 0), 1)
	}
	row[colNow] = 0
	if d := p.deadline.Seconds(); d > 0 {
		row[colNow] = min(max((above-p.sWrap.above(e+d)+p.priorWrapD)/den, 0), 1)
	}
}

// forecast bins the ringing calls by age and the busy agents by elapsed
// time, refreshes the model if due, and sums, for each horizon, the expected
// live answers arriving from the ringing calls and the expected agents free,
// with their variances.
func (p *Predictive) forecast(s *Snapshot) {
	now := s.Now.UnixNano()
	nt := 0
	for i := range s.Calls {
		c := &s.Calls[i]
		if c.State != CallRinging {
			continue
		}
		r := rowCall + binOfNanos(now-c.DialedAt.UnixNano())
		if p.cnt[r] == 0 {
			p.touched[nt] = uint16(r)
			nt++
		}
		p.cnt[r]++
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
		if p.cnt[r] == 0 {
			p.touched[nt] = uint16(r)
			nt++
		}
		p.cnt[r]++
	}
	p.refresh(s.Now, s)
	ready := p.ready && p.updateRows(p.touched[:nt])
	p.forecastOK = ready
	idle := float64(s.Idle)
	for k := range numHorizons {
		p.muA[k], p.vA[k], p.muF[k], p.vF[k] = 0, 0, idle, 0
	}
	liveNow, muD, vD := 0.0, 0.0, 0.0
	ex := &p.exact
	team := max(s.LoggedIn, s.Idle+s.Busy)
	ex.on = ready && team+max(s.MaxInFlight, len(s.Calls)) <= exactTerms
	if ex.on {
		ex.reset()
	}
	for i, t := range p.touched[:nt] {
		n := float64(p.cnt[t])
		p.cnt[t] = 0
		if !ready {
			continue
		}
		row := &p.rows[t]
		// Calls add to the arrivals, agents to those free.
		mu, v, law := &p.muF, &p.vF, &ex.free
		if i < nc {
			mu, v, law = &p.muA, &p.vA, &ex.arr
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
	p.freeSoon = muD
	// The expected rate of abandons now: live answers arriving while no
	// agent is idle and too few become free within the connect deadline to
	// serve the ones waiting and this one.
	p.abandonRate = 0
	if ready && s.Idle == 0 {
		w := float64(s.Waiting)
		p.abandonRate = liveNow * normCDF((w+0.5-muD)/math.Sqrt(vD+1e-6))
	}
	p.waiting = float64(s.Waiting)
	// The abandons already committed: the live answers expected from the
	// calls in flight beyond the agents free by the last horizon (the mean
	// shortfall of the normal difference).
	p.committed = 0
	if ready {
		const k = numHorizons - 1
		z := p.muF[k] - p.muA[k] - p.waiting - 0.5
		sd := math.Sqrt(p.vF[k] + p.vA[k] + 1e-6)
		p.committed = max(sd*normPDF(z/sd)-z*normCDF(-z/sd), 0)
	}
	// Calls placed after this decision answer before the new call's H_k as
	// well: at the current dial rate, lead[k] × rate of them on average.
	if ready {
		dr := p.dialRate.get(s.Now)
		for k := range numHorizons {
			f := dr * p.lead[k]
			p.muA[k] += f
			p.vA[k] += f
			if ex.on {
				ex.on = ex.arr[k].poisson(f, &ex.tail, &ex.conv)
			}
		}
		if ex.on {
			ex.finish(s.Idle, s.Waiting)
		}
	}
}
