package top

import (
	"context"
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"google.golang.org/grpc/codes"

	"github.com/outpace-dev/outpace/ctl"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// Options say what the board shows.
type Options struct {
	// Tasks to show; empty = every task not ended.
	Tasks []uint64
}

// Run shows the board on the terminal until q, Ctrl-C or ctx's end. It
// subscribes to the event stream, reads one snapshot, then only follows
// the stream.
func Run(ctx context.Context, a *ctl.App, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	title := fmt.Sprintf("server %s", a.Opts.Server)
	if who, err := a.AuthService.WhoAmI(ctx, &pb.WhoAmIRequest{}); err == nil {
		title += " · tenant " + who.GetTenantId()
	}
	m := New(title, o.Tasks)
	m.FetchTask = func(id uint64) tea.Cmd {
		return func() tea.Msg {
			r, err := a.TaskService.GetTask(ctx, &pb.GetTaskRequest{TaskId: id})
			if err != nil {
				return nil
			}
			return TaskMsg{Task: r.GetTask()}
		}
	}
	m.Refresh = func() tea.Cmd {
		return func() tea.Msg {
			snap, err := ReadSnapshot(ctx, a, o.Tasks)
			if err != nil {
				return NoteMsg{Note: "re-reading the tasks failed: " + firstLine(err.Error())}
			}
			return SnapshotMsg{snap}
		}
	}
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen())

	events := make(chan tea.Msg, 4096)
	go func() {
		// Every event of the tenant, with the pacing decisions and task
		// status changes (sent only when named): agent events name no
		// task, so a filter by task would hide them; the model keeps its
		// tasks.
		req := &pb.SubscribeRequest{Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_CALL, pb.EventKind_EVENT_KIND_PARTY,
			pb.EventKind_EVENT_KIND_AGENT, pb.EventKind_EVENT_KIND_ERROR, pb.EventKind_EVENT_KIND_PACING, pb.EventKind_EVENT_KIND_TASK}}
		err := a.Follow(ctx, req, func(ev *pb.Event) error {
			select {
			case events <- EventMsg{Event: ev}:
			case <-ctx.Done():
			}
			return nil
		}, func(err error) {
			select {
			case events <- StreamMsg{Err: err}:
			case <-ctx.Done():
			}
		})
		var msg tea.Msg = ErrMsg{Err: err}
		if ctl.Code(err) == codes.Unimplemented {
			// A server without live events still has its snapshot to show.
			msg = StreamMsg{Err: errors.New("this server streams no events"), Final: true}
		}
		if err != nil {
			select {
			case events <- msg:
			case <-ctx.Done():
			}
		}
	}()
	go func() {
		snap, err := ReadSnapshot(ctx, a, o.Tasks)
		if err != nil {
			p.Send(ErrMsg{Err: err})
			return
		}
		p.Send(SnapshotMsg{snap})
		for {
			select {
			case msg := <-events:
				p.Send(msg)
			case <-ctx.Done():
				return
			}
		}
	}()
	final, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	if fm, ok := final.(Model); ok && fm.Err() != nil {
		return fm.Err()
	}
	return nil
}

// ReadSnapshot reads the tasks to show (the named ones, or every task not
// ended), their statistics and their queues' members with their device
// status (from the campaign status of each queue).
// Statistics and members a server cannot give yet are left out.
func ReadSnapshot(ctx context.Context, a *ctl.App, tasks []uint64) (Snapshot, error) {
	s := Snapshot{Stats: map[uint64]*pb.TaskStats{}}
	if len(tasks) > 0 {
		for _, id := range tasks {
			r, err := a.TaskService.GetTask(ctx, &pb.GetTaskRequest{TaskId: id})
			if err != nil {
				return s, ctl.APIError(a, err)
			}
			s.Tasks = append(s.Tasks, r.GetTask())
		}
	} else {
		r, err := a.TaskService.ListTasks(ctx, &pb.ListTasksRequest{Statuses: []pb.TaskStatus{
			pb.TaskStatus_TASK_STATUS_UNSPECIFIED, pb.TaskStatus_TASK_STATUS_RUNNING, pb.TaskStatus_TASK_STATUS_PAUSED}})
		if err != nil {
			return s, ctl.APIError(a, err)
		}
		s.Tasks = r.GetTasks()
	}
	for _, t := range s.Tasks {
		r, err := a.TaskService.GetTaskStats(ctx, &pb.GetTaskStatsRequest{TaskId: t.GetId()})
		if err == nil {
			s.Stats[t.GetId()] = r.GetStats()
		} else if !optional(err) {
			return s, ctl.APIError(a, err)
		}
	}
	// The members of each queue the tasks dial for, with their device
	// status.
	seen := map[uint32]bool{}
	for _, t := range s.Tasks {
		q := t.GetQueueId()
		if q == 0 || seen[q] {
			continue
		}
		seen[q] = true
		r, err := a.CampaignService.GetCampaignStatus(ctx, &pb.GetCampaignStatusRequest{QueueId: q})
		if err != nil {
			if optional(err) {
				continue
			}
			return s, ctl.APIError(a, err)
		}
		for _, cq := range r.GetQueues() {
			for _, ag := range cq.GetAgents() {
				s.Members = append(s.Members, &pb.QueueAgentStats{QueueId: cq.GetQueueId(), AgentId: ag.GetAgentId(), Status: int32(ag.GetStatus())})
			}
		}
	}
	return s, nil
}

// optional says whether a failed snapshot read can be done without: the
// server does not offer it, or its engine is starting.
func optional(err error) bool {
	c := ctl.Code(err)
	return c == codes.Unimplemented || c == codes.Unavailable
}
