package api

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
)

// errNoEngine answers the engine-facing methods of a server without one.
var errNoEngine = status.Error(codes.Unimplemented, "this server runs no engine")

// engine returns the runner, or errNoEngine.
func (s *Server) engine() (Engine, error) {
	if s.cfg.Engine == nil {
		return nil, errNoEngine
	}
	return s.cfg.Engine, nil
}

// engineNow is the engine's time: its runner's clock when the server has
// one, else the server's clock. What the dialer would decide now is judged
// at this time; token expiry and rate limits keep the server's clock.
func (s *Server) engineNow() time.Time {
	if s.cfg.Engine != nil {
		return s.cfg.Engine.Now()
	}
	return s.cfg.Now()
}

// submit steps ev in the engine, stamped with the engine's clock when it is
// stepped (the runner's, which may run faster than the wall), so that a
// request never reaches the engine with a time behind its own.
func (s *Server) submit(ctx context.Context, ev engine.Event) error {
	eng, err := s.engine()
	if err != nil {
		return err
	}
	ev.At = time.Time{}
	return eng.Submit(ctx, ev)
}

// removeNumbers removes phones from task's list, in the store and from
// what the engine holds undialled, so that no number removed is dialled
// after the answer. The engine drops them before the store removes them (a
// number it holds stays handed out meanwhile, so no fetch hands it out
// again) and once more after (one that a fetch handed out in between).
func (s *Server) removeNumbers(ctx context.Context, task records.TaskID, phones []string) (int, error) {
	return s.removing(ctx, task, phones, func() (int, error) { return s.cfg.Store.RemoveNumbers(task, phones) })
}

// removing runs remove, which deletes numbers of task from the store,
// between two drops of phones from the engine's buffer (see
// removeNumbers).
func (s *Server) removing(ctx context.Context, task records.TaskID, phones []string, remove func() (int, error)) (int, error) {
	drop := func() error {
		if s.cfg.Engine == nil || len(phones) == 0 {
			return nil
		}
		nums := make([]records.Number, len(phones))
		for i, p := range phones {
			nums[i] = records.Number{Task: task, Phone: p}
		}
		return s.submit(ctx, engine.Event{Kind: engine.EvRemoveNumbers, Task: task, Numbers: nums})
	}
	if err := drop(); err != nil {
		return 0, err
	}
	n, err := remove()
	if err != nil {
		return 0, err
	}
	return n, drop()
}

// snapshot returns the runner's last snapshot.
func (s *Server) snapshot() (*runner.Snapshot, error) {
	eng, err := s.engine()
	if err != nil {
		return nil, err
	}
	snap := eng.Snapshot()
	if snap == nil {
		return nil, status.Error(codes.Unavailable, "the engine is starting")
	}
	return snap, nil
}

// ownAgent checks that agent is one of the caller's.
func (s *Server) ownAgent(ctx context.Context, agent uint32) (records.AgentSpec, error) {
	return s.cfg.Store.GetAgent(TenantFrom(ctx), records.AgentID(agent))
}

// ownQueue checks that queue is one of the caller's.
func (s *Server) ownQueue(ctx context.Context, queue uint32) error {
	_, err := s.cfg.Store.GetQueue(TenantFrom(ctx), records.QueueID(queue))
	return err
}
