package ctl

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// TaskSpec is what a command line says of a new task.
type TaskSpec struct {
	Name          string
	Queue         uint32
	Group         bool // the queue is an extension group
	Mode          string
	Ratio         string
	AbandonTarget float64
	CallerIDs     []string
	NoAnswer      time.Duration
	Connect       time.Duration
	ACW           time.Duration
	LinesPerAgent float64
}

// Task builds the API's task; a bad mode names its flag.
func (s TaskSpec) Task() (*pb.Task, error) {
	t := &pb.Task{Name: s.Name, QueueId: s.Queue, CallerIds: s.CallerIDs, MaxLinesPerAgent: s.LinesPerAgent,
		Pacing: &pb.Pacing{AbandonTarget: s.AbandonTarget, Ratio: s.Ratio}}
	if s.Group {
		t.AssignType = pb.AssignType_ASSIGN_TYPE_GROUP
	}
	if s.Mode != "" {
		m, err := ParseEnum(pb.PacingMode(0).Descriptor(), "--mode", s.Mode)
		if err != nil {
			return nil, err
		}
		t.Pacing.Mode = pb.PacingMode(m)
	}
	for _, d := range []struct {
		v   time.Duration
		dst **durationpb.Duration
	}{{s.NoAnswer, &t.NoAnswerTimeout}, {s.Connect, &t.ConnectDeadline}, {s.ACW, &t.AcwTimeout}} {
		if d.v != 0 {
			*d.dst = durationpb.New(d.v)
		}
	}
	return t, nil
}

// Numbers turns phones given on the command line into numbers.
func Numbers(phones []string) []*pb.Number {
	out := make([]*pb.Number, len(phones))
	for i, p := range phones {
		out[i] = &pb.Number{Phone: p}
	}
	return out
}

func taskTable(w io.Writer, ts ...*pb.Task) {
	row(w, "ID", "NAME", "STATUS", "QUEUE", "MODE", "TARGET", "CREATED", "UPDATED")
	for _, t := range ts {
		status := EnumName(t.GetStatus())
		if status == "-" {
			status = "new"
		}
		if t.GetExhausted() {
			status += " (exhausted)"
		}
		mode := EnumName(t.GetPacing().GetMode())
		if r := t.GetPacing().GetRatio(); r != "" && t.GetPacing().GetMode() == pb.PacingMode_PACING_MODE_RATIO {
			mode += " " + r
		}
		target := "-"
		if x := t.GetPacing().GetAbandonTarget(); x > 0 {
			target = pct(x)
		}
		row(w, t.GetId(), t.GetName(), status, t.GetQueueId(), mode, target, when(t.GetCreateTime()), when(t.GetUpdateTime()))
	}
}

// resultTable prints what an import stored and refused; for list text
// the index is a line number.
func resultTable(w io.Writer, r *pb.ImportResult, lines bool) {
	fmt.Fprintf(w, "%d stored, %d invalid, %d duplicates\n", r.GetStored(), r.GetInvalidCount(), r.GetDuplicateCount())
	if len(r.GetRejected()) == 0 {
		return
	}
	at := "INDEX"
	if lines {
		at = "LINE"
	}
	row(w, at, "PHONE", "FIELD", "CODE", "REASON")
	for _, e := range r.GetRejected() {
		reason := e.GetReason()
		if id := e.GetExistingNumberId(); id != 0 {
			reason += fmt.Sprintf(" (number %d)", id)
		}
		row(w, e.GetIndex(), orDash(e.GetPhone()), orDash(e.GetField()), e.GetCode(), reason)
	}
	if shown := int64(len(r.GetRejected())); shown < r.GetInvalidCount()+r.GetDuplicateCount() {
		fmt.Fprintf(w, "… and %d more refused\n", r.GetInvalidCount()+r.GetDuplicateCount()-shown)
	}
}

// TaskCreate creates a task with the given numbers.
func (a *App) TaskCreate(ctx context.Context, spec TaskSpec, phones []string, clientToken string) error {
	t, err := spec.Task()
	if err != nil {
		return err
	}
	r, err := call(ctx, a, a.TaskService.CreateTask, &pb.CreateTaskRequest{Task: t, Numbers: Numbers(phones), ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) {
		taskTable(w, r.GetTask())
		fmt.Fprintln(w)
		resultTable(w, r.GetResult(), false)
	})
}

// TaskGet prints a task.
func (a *App) TaskGet(ctx context.Context, id uint64) error {
	r, err := call(ctx, a, a.TaskService.GetTask, &pb.GetTaskRequest{TaskId: id})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { taskTable(w, r.GetTask()) })
}

// TaskList prints the tenant's tasks, of the given statuses only when
// some are named ("running", "paused", "ended", "new").
func (a *App) TaskList(ctx context.Context, statuses []string) error {
	req := &pb.ListTasksRequest{}
	for _, s := range statuses {
		if s == "new" {
			req.Statuses = append(req.Statuses, pb.TaskStatus_TASK_STATUS_UNSPECIFIED)
			continue
		}
		v, err := ParseEnum(pb.TaskStatus(0).Descriptor(), "--status", s)
		if err != nil {
			return err
		}
		req.Statuses = append(req.Statuses, pb.TaskStatus(v))
	}
	r, err := call(ctx, a, a.TaskService.ListTasks, req)
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { taskTable(w, r.GetTasks()...) })
}

// TaskAdd adds numbers to a task.
func (a *App) TaskAdd(ctx context.Context, id uint64, phones []string, clientToken string) error {
	r, err := call(ctx, a, a.TaskService.AddNumbers, &pb.AddNumbersRequest{TaskId: id, Numbers: Numbers(phones), ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { resultTable(w, r.GetResult(), false) })
}

// TaskRemove removes numbers from a task by phone.
func (a *App) TaskRemove(ctx context.Context, id uint64, phones []string, clientToken string) error {
	r, err := call(ctx, a, a.TaskService.RemoveNumbers, &pb.RemoveNumbersRequest{TaskId: id, Phones: phones, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "%d of %d numbers removed from task %d", r.GetRemoved(), len(phones), id)
}

// statusWords are the words TaskStatus takes besides the enum's names.
var statusWords = map[string]pb.TaskStatus{
	"open": pb.TaskStatus_TASK_STATUS_RUNNING, "start": pb.TaskStatus_TASK_STATUS_RUNNING,
	"resume": pb.TaskStatus_TASK_STATUS_RUNNING, "pause": pb.TaskStatus_TASK_STATUS_PAUSED,
	"end": pb.TaskStatus_TASK_STATUS_ENDED, "stop": pb.TaskStatus_TASK_STATUS_ENDED,
}

// ParseTaskStatus reads a status: open / resume / running / 1, pause /
// paused / 2, end / ended / 3.
func ParseTaskStatus(s string) (pb.TaskStatus, error) {
	if v, ok := statusWords[s]; ok {
		return v, nil
	}
	v, err := ParseEnum(pb.TaskStatus(0).Descriptor(), "status", s)
	if err != nil {
		return 0, fmt.Errorf("status: %q is none of open (1), pause (2), end (3)", s)
	}
	return pb.TaskStatus(v), nil
}

// TaskStatus opens, pauses or ends a task.
func (a *App) TaskStatus(ctx context.Context, id uint64, status string, clientToken string) error {
	st, err := ParseTaskStatus(status)
	if err != nil {
		return err
	}
	r, err := call(ctx, a, a.TaskService.SetTaskStatus, &pb.SetTaskStatusRequest{TaskId: id, Status: st, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { taskTable(w, r.GetTask()) })
}

// TaskStats prints a task's live figures.
func (a *App) TaskStats(ctx context.Context, id uint64) error {
	r, err := call(ctx, a, a.TaskService.GetTaskStats, &pb.GetTaskStatsRequest{TaskId: id})
	if err != nil {
		return err
	}
	s := r.GetStats()
	return a.show(r, func(w io.Writer) {
		row(w, "task", s.GetTaskId())
		row(w, "status", EnumName(s.GetStatus()))
		row(w, "at", when(s.GetTime()))
		row(w, "agents", fmt.Sprintf("%d logged in: %d idle, %d busy, %d paused", s.GetAgentsLoggedIn(), s.GetAgentsIdle(), s.GetAgentsBusy(), s.GetAgentsPaused()))
		row(w, "calls", fmt.Sprintf("%d ringing, %d waiting, %d talking", s.GetCallsRinging(), s.GetCallsWaiting(), s.GetCallsTalking()))
		row(w, "dials", fmt.Sprintf("%d placed, %d live, %d connected, %d abandoned", s.GetDials(), s.GetLiveAnswers(), s.GetConnected(), s.GetAbandoned()))
		row(w, "abandon rate", fmt.Sprintf("%s run, %s window, target %s", pct(s.GetAbandonRate()), pct(s.GetAbandonRateWindow()), pct(s.GetAbandonTarget())))
		row(w, "dial level", fmt.Sprintf("%.2f", s.GetDialLevel()))
		row(w, "occupancy", pct(s.GetOccupancy()))
		row(w, "numbers", numberCounts(s))
	})
}

// numberCounts shows a task's numbers by state.
func numberCounts(s *pb.TaskStats) string {
	return fmt.Sprintf("%d pending, %d dialing, %d done, %d skipped",
		s.GetNumbersPending(), s.GetNumbersDialing(), s.GetNumbersDone(), s.GetNumbersSkipped())
}

// TaskExplain says why a number (a phone, or "#ID" / a number id with
// byID) is or is not dialable; at zero = now.
func (a *App) TaskExplain(ctx context.Context, task uint64, number string, byID bool, at time.Time) error {
	req := &pb.ExplainNumberRequest{TaskId: task, Time: Timestamp(at)}
	if byID {
		id, err := strconv.ParseUint(number, 10, 64)
		if err != nil {
			return fmt.Errorf("number id: %q is not a number id", number)
		}
		req.Number = &pb.ExplainNumberRequest_NumberId{NumberId: id}
	} else {
		req.Number = &pb.ExplainNumberRequest_Phone{Phone: number}
	}
	r, err := call(ctx, a, a.TaskService.ExplainNumber, req)
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) {
		n := r.GetNumber()
		verdict := "dialable now"
		if !r.GetDialable() {
			verdict = "not dialable"
			if r.GetDialableAt() != nil {
				verdict += ", dialable at " + when(r.GetDialableAt())
			}
		}
		fmt.Fprintf(w, "number %d %s (attempts %d) at %s: %s\n", n.GetId(), n.GetPhone(), n.GetAttempts(), when(r.GetTime()), verdict)
		row(w, "RULE", "OK", "ALLOWED AT", "DETAIL")
		for _, c := range r.GetChecks() {
			ok := "yes"
			if !c.GetPassed() {
				ok = "NO"
			}
			row(w, EnumName(c.GetRule()), ok, when(c.GetAllowedAt()), c.GetDetail())
		}
	})
}
