package pacing

import (
	"math"
	"time"
)

// This file holds the predictive pacer's forecast: the model snapshot rebuilt
// from the estimators, the per-bin probability rows computed from it on
// demand, and the sums over the calls in flight and the busy agents.

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
	// its full memory they would only bias it (the completed ones then
	// already cover every length).
	sc := p.outDecay.scale
	nOut := (p.live.sum + p.other.sum) / sc
	wc := max(0, 1-nOut/float64(p.cfg.OutcomeMemory))
	p.pLive = loadCompeting(&p.sAll, &p.sLive, &p.live, &p.other, sc, &p.cntCall, wc)
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
			lead, t, step := 0.0, 0.0, h/16
			react := p.cfg.React.Seconds() * p.reachShare()
			for range 16 {
				w := 0.0 // no reach: the calls to come do not count
				if react > 0 {
					w = math.Exp(-(h - t - step/2) / react)
				}
				lead += step * w * p.sLive.cdf(t+step/2)
				t += step
			}
			p.lead[k] = p.pLive * lead
		}
	}

	hs := p.handDecay.scale
	nTalk := p.talk.sum / hs
	wc = max(0, 1-nTalk/float64(p.cfg.HandlingMemory))
	p.sTalk.loadKM(&p.talk, hs, &p.cntTalk, wc)
	p.sWrap.loadKM(&p.wrap, hs, &p.cntWrap, wc)
	p.talkMean, p.wrapMean = p.sTalk.mean, p.sWrap.mean
	p.handReady = nTalk >= 10
	p.wrapShare = 0
	if p.talkCount > 0 {
		inWrap := 0.0
		for _, c := range p.cntWrap {
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

// reachShare is the share of React that applies to a team of the current
// size: all of it from ReactAgents agents up, in proportion below.
func (p *Predictive) reachShare() float64 {
	return float64(p.team) / float64(p.cfg.ReactAgents)
}

// callProbs returns, for a ringing call in age bin b, the probability of a
// live answer within each horizon.
func (p *Predictive) callProbs(b int) *[numCols]float64 {
	row := &p.callRow[b]
	if p.callVer[b] == p.ver {
		return row
	}
	p.callVer[b] = p.ver
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
	return row
}

// talkProbs returns, for an agent talking for a time in bin b, the
// probability of being free (talk and wrap-up over) by each supply horizon.
func (p *Predictive) talkProbs(b int) *[numCols]float64 {
	row := &p.talkRow[b]
	if p.talkVer[b] == p.ver {
		return row
	}
	p.talkVer[b] = p.ver
	if !p.handReady || (p.wrapShare > 0 && !p.wrapOK) {
		*row = [numCols]float64{}
		return row
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
	return row
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

// wrapProbs returns, for an agent in wrap-up for a time in bin b, the
// probability of being free by each supply horizon.
func (p *Predictive) wrapProbs(b int) *[numCols]float64 {
	row := &p.wrapRow[b]
	if p.wrapVer[b] == p.ver {
		return row
	}
	p.wrapVer[b] = p.ver
	if !p.handReady || !p.wrapOK {
		*row = [numCols]float64{}
		return row
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
	return row
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
		b := binOfNanos(now - c.DialedAt.UnixNano())
		if p.cntCall[b] == 0 {
			p.touched[nt] = uint16(b)
			nt++
		}
		p.cntCall[b]++
	}
	nc := nt
	for i := range s.Agents {
		a := &s.Agents[i]
		switch a.Phase {
		case PhaseWrap:
			b := binOfNanos(now - a.Since.UnixNano())
			if p.cntWrap[b] == 0 {
				p.touched[nt] = uint16(numBins + b)
				nt++
			}
			p.cntWrap[b]++
		default:
			b := 0
			if a.Phase == PhaseTalk {
				b = binOfNanos(now - a.Call.UnixNano())
			}
			if p.cntTalk[b] == 0 {
				p.touched[nt] = uint16(2*numBins + b)
				nt++
			}
			p.cntTalk[b]++
		}
	}
	p.refresh(s.Now, s)
	idle := float64(s.Idle)
	for k := range numHorizons {
		p.muA[k], p.vA[k], p.muF[k], p.vF[k] = 0, 0, idle, 0
	}
	liveNow, muD, vD := 0.0, 0.0, 0.0
	ex := &p.exact
	team := max(s.LoggedIn, s.Idle+s.Busy)
	ex.on = p.ready && team+max(s.MaxInFlight, len(s.Calls)) <= exactTerms
	if ex.on {
		ex.reset()
	}
	for _, t := range p.touched[:nc] {
		b := int(t)
		n := float64(p.cntCall[b])
		p.cntCall[b] = 0
		if !p.ready {
			continue
		}
		row := p.callProbs(b)
		for k := range numHorizons {
			q := row[k]
			p.muA[k] += n * q
			p.vA[k] += n * q * (1 - q)
			if ex.on {
				ex.on = ex.arr[k].bernoulli(q, int(n))
			}
		}
		liveNow += n * row[colNow]
	}
	for _, t := range p.touched[nc:nt] {
		var row *[numCols]float64
		var n float64
		if b := int(t) - 2*numBins; b >= 0 {
			n = float64(p.cntTalk[b])
			p.cntTalk[b] = 0
			if p.ready {
				row = p.talkProbs(b)
			}
		} else {
			b = int(t) - numBins
			n = float64(p.cntWrap[b])
			p.cntWrap[b] = 0
			if p.ready {
				row = p.wrapProbs(b)
			}
		}
		if row == nil {
			continue
		}
		for k := range numHorizons {
			q := row[k]
			p.muF[k] += n * q
			p.vF[k] += n * q * (1 - q)
			if ex.on {
				ex.on = ex.free[k].bernoulli(q, int(n))
			}
		}
		q := row[colNow]
		muD += n * q
		vD += n * q * (1 - q)
	}
	// The expected rate of abandons now: live answers arriving while no
	// agent is idle and too few become free within the connect deadline to
	// serve the ones waiting and this one.
	p.abandonRate = 0
	if p.ready && s.Idle == 0 {
		w := float64(s.Waiting)
		p.abandonRate = liveNow * normCDF((w+0.5-muD)/math.Sqrt(vD+1e-6))
	}
	p.waiting = float64(s.Waiting)
	// The abandons already committed: the live answers expected from the
	// calls in flight beyond the agents free by the last horizon (the mean
	// shortfall of the normal difference).
	p.committed = 0
	if p.ready {
		const k = numHorizons - 1
		z := p.muF[k] - p.muA[k] - p.waiting - 0.5
		sd := math.Sqrt(p.vF[k] + p.vA[k] + 1e-6)
		p.committed = max(sd*normPDF(z/sd)-z*normCDF(-z/sd), 0)
	}
	// Calls placed after this decision answer before the new call's H_k as
	// well: at the current dial rate, lead[k] × rate of them on average.
	if p.ready {
		dr := p.dialRate.get(s.Now)
		for k := range numHorizons {
			f := dr * p.lead[k]
			p.muA[k] += f
			p.vA[k] += f
			if ex.on {
				ex.on = ex.arr[k].poisson(f)
			}
		}
		if ex.on {
			ex.finish(s.Idle, s.Waiting)
		}
	}
}
