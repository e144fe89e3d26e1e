package engine

import (
	"fmt"
	"time"

	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/records"
)

func (e *Engine) timer(tm Timer) {
	switch tm.Kind {
	case TimerPacing:
		t, ok := e.tasks[records.TaskID(tm.ID)]
		if !ok || tm.Gen != t.pacingGen {
			return
		}
		t.pacingAt = time.Time{}
		e.markDirty(t)
	case TimerDayEnd:
		t, ok := e.tasks[records.TaskID(tm.ID)]
		if !ok || tm.Gen != t.dayGen || t.dayEndAt.IsZero() {
			return
		}
		e.dayEnd(t)
	case TimerDeadline:
		c, ok := e.calls[records.CallID(tm.ID)]
		if !ok || c.stage != fsm.CallWaiting || tm.Gen != c.waitGen {
			return
		}
		e.abandon(c)
	case TimerAgentRing:
		c, ok := e.calls[records.CallID(tm.ID)]
		if !ok || c.stage != fsm.CallOffered || tm.Gen != c.ringGen {
			return
		}
		// The backend said nothing of the agent's leg in all that time (a
		// phone it does not ring): the agent failed, as if it had said so.
		q := c.task.queue
		if err := e.onAgentFailed(c); err != nil {
			panic(fmt.Sprintf("engine: call %d: agent ring timeout: %v", c.id, err))
		}
		e.markQueue(q)
	case TimerACW:
		a, ok := e.agents[records.AgentID(tm.ID)]
		if !ok || tm.Gen != a.acwGen || a.state != fsm.AgentNotReady || a.reason != fsm.ReasonAfterCall {
			return
		}
		if e.cfg.CTIEvents {
			e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentACWExpire], Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: fsm.ReasonAfterCall})
		}
		e.leaveACW(a, fsm.AgentACWExpire)
	}
}
