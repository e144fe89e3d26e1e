package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/outpace-dev/outpace/api"
	"github.com/outpace-dev/outpace/api/apitest"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
)

// withEngine gives acme three agents in its queue and runs the real runner
// over the store, with the simulated world as its backend in real time.
func withEngine(t testing.TB) func(*env, *api.Config) {
	return withWorld(t, apitest.World, 3, runner.Real{})
}

// withWorld gives acme team agents in its queue and runs the real runner
// over the store, with the simulated world of scenario as its backend on
// clock.
func withWorld(t testing.TB, scenario string, team int, clock runner.Clock) func(*env, *api.Config) {
	return func(e *env, c *api.Config) {
		q, err := e.st.GetQueue("acme", records.QueueID(e.queues["acme"]))
		if err != nil {
			t.Fatal(err)
		}
		if len(e.agents) == 0 {
			for i := range team {
				a := records.AgentSpec{Tenant: "acme", Name: fmt.Sprint(1001 + i), Phone: fmt.Sprint(1001 + i)}
				if err := e.st.PutAgent(&a); err != nil {
					t.Fatal(err)
				}
				q.Members = append(q.Members, a.ID)
				e.agents = append(e.agents, uint32(a.ID))
			}
			if err := e.st.PutQueue(&q); err != nil {
				t.Fatal(err)
			}
		}
		r, stop := apitest.RunWorld(t, e.st, q.Spec.ID, q.Members, scenario, clock,
			slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		e.stopEngine = stop
		c.Engine = r
	}
}

func TestCampaignThroughTheAPI(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	tasks := pb.NewTaskServiceClient(e.conn)
	var phones []string
	for i := range 40 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 5550000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask()
	fresh, err := tasks.GetTaskStats(ctx, &pb.GetTaskStatsRequest{TaskId: task.GetId()})
	if err != nil || fresh.GetStats().GetNumbersPending() != 40 || fresh.GetStats().GetNumbersDone() != 0 {
		t.Fatalf("stats of a fresh list: %v %v", fresh, err)
	}

	// Follow the events from the start.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	sub, err := pb.NewEventServiceClient(e.conn).Subscribe(sctx, &pb.SubscribeRequest{FromSeq: 1, TaskIds: []uint64{task.GetId()}})
	if err != nil {
		t.Fatal(err)
	}

	resp, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task.GetId(), Status: pb.TaskStatus_TASK_STATUS_RUNNING})
	if err != nil || resp.GetTask().GetStatus() != pb.TaskStatus_TASK_STATUS_RUNNING {
		t.Fatalf("open: %v %v", resp, err)
	}
	var last uint64
	released := 0
	for released < 5 {
		m, err := sub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		ev := m.GetEvent()
		if ev.GetSeq() <= last {
			t.Fatalf("sequence %d after %d", ev.GetSeq(), last)
		}
		last = ev.GetSeq()
		if ev.GetCti().GetTaskId() != task.GetId() {
			t.Fatalf("event of another task: %v", ev)
		}
		if ev.GetCti().GetName() == pb.CtiName_CTI_NAME_RELEASED && ev.GetCti().GetRole() == pb.PartyRole_PARTY_ROLE_CUSTOMER {
			released++
		}
	}
	stats, err := tasks.GetTaskStats(ctx, &pb.GetTaskStatsRequest{TaskId: task.GetId()})
	if err != nil || stats.GetStats().GetAgentsLoggedIn() != 3 || stats.GetStats().GetStatus() != pb.TaskStatus_TASK_STATUS_RUNNING {
		t.Fatalf("stats: %v %v", stats, err)
	}
	// Every number of the list is in exactly one state.
	st := stats.GetStats()
	if n := st.GetNumbersPending() + st.GetNumbersDialing() + st.GetNumbersDone() + st.GetNumbersSkipped(); n != 40 {
		t.Fatalf("numbers by state add up to %d, want 40: %v", n, st)
	}
	if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task.GetId(), Status: pb.TaskStatus_TASK_STATUS_PAUSED}); err != nil {
		t.Fatal(err)
	}
	sum, err := pb.NewCampaignServiceClient(e.conn).GetCampaignStatus(ctx, &pb.GetCampaignStatusRequest{QueueId: e.queues["acme"]})
	if err != nil || len(sum.GetQueues()) != 1 || len(sum.GetQueues()[0].GetAgents()) != 3 {
		t.Fatalf("campaign status: %v %v", sum, err)
	}

	// A subscriber that resumes from a sequence number gets what it missed,
	// in order, without a hole.
	stop()
	time.Sleep(300 * time.Millisecond)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	again, err := pb.NewEventServiceClient(e.conn).Subscribe(rctx, &pb.SubscribeRequest{FromSeq: last + 1})
	if err != nil {
		t.Fatal(err)
	}
	end, err := e.st.LastSeq("acme")
	if err != nil || end <= last {
		t.Fatalf("last sequence number %d (%v), after %d", end, err, last)
	}
	for last < end {
		m, err := again.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetEvent().GetSeq() != last+1 {
			t.Fatalf("resumed at %d, want %d", m.GetEvent().GetSeq(), last+1)
		}
		last++
	}
	if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task.GetId(), Status: pb.TaskStatus_TASK_STATUS_ENDED}); err != nil {
		t.Fatal(err)
	}
	_, err = tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task.GetId(), Status: pb.TaskStatus_TASK_STATUS_RUNNING})
	wantErr(t, err, codes.FailedPrecondition, 1028)
	recs, err := pb.NewRecordServiceClient(e.conn).SearchRecords(ctx, &pb.SearchRecordsRequest{TaskId: task.GetId(),
		SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, PageSize: 1000})
	if err != nil || len(recs.GetRecords()) < 5 {
		t.Fatalf("records: %d %v", len(recs.GetRecords()), err)
	}
}

func TestAgentRequests(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	agents := pb.NewAgentServiceClient(e.conn)
	a := e.agents[0]
	st, err := agents.GetAgentStatus(ctx, &pb.GetAgentStatusRequest{AgentId: a})
	if err != nil || st.GetStatus().GetState() == pb.AgentState_AGENT_STATE_UNSPECIFIED {
		t.Fatalf("status of a logged-in agent: %v %v", st, err)
	}
	if _, err := agents.LogoutAgent(ctx, &pb.LogoutAgentRequest{AgentId: a}); err != nil {
		t.Fatal(err)
	}
	st, err = agents.GetAgentStatus(ctx, &pb.GetAgentStatusRequest{AgentId: a})
	if err != nil || st.GetStatus().GetStatus() != pb.AgentStatusCode_AGENT_STATUS_CODE_UNAVAILABLE {
		t.Fatalf("status after logout: %v %v", st, err)
	}
	_, err = agents.Ready(ctx, &pb.ReadyRequest{AgentId: a})
	wantErr(t, err, codes.FailedPrecondition, 301006)
	if _, err := agents.LoginAgent(ctx, &pb.LoginAgentRequest{AgentId: a, Reason: 11}); err != nil {
		t.Fatal(err)
	}
	st, err = agents.GetAgentStatus(ctx, &pb.GetAgentStatusRequest{AgentId: a})
	if err != nil || st.GetStatus().GetState() != pb.AgentState_AGENT_STATE_NOT_READY || st.GetStatus().GetReason() != 11 {
		t.Fatalf("status after a not-ready login: %v %v", st, err)
	}
	_, err = agents.NotReady(ctx, &pb.NotReadyRequest{AgentId: a, Reason: 3})
	st2 := wantErr(t, err, codes.InvalidArgument, 301018)
	if badRequest(st2)["reason"] == "" {
		t.Errorf("violations %v, want reason", badRequest(st2))
	}
	// A new agent and queue reach the engine.
	na, err := agents.CreateAgent(ctx, &pb.CreateAgentRequest{Agent: &pb.Agent{Name: "2001", Phone: "2001"}})
	if err != nil {
		t.Fatal(err)
	}
	nq, err := pb.NewQueueServiceClient(e.conn).CreateQueue(ctx, &pb.CreateQueueRequest{Queue: &pb.Queue{Name: "support"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewQueueServiceClient(e.conn).AddQueueAgents(ctx, &pb.AddQueueAgentsRequest{QueueId: nq.GetQueue().GetId(),
		AgentIds: []uint32{na.GetAgent().GetId()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := agents.LoginAgent(ctx, &pb.LoginAgentRequest{AgentId: na.GetAgent().GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewQueueServiceClient(e.conn).SignIn(ctx, &pb.SignInRequest{QueueId: nq.GetQueue().GetId(), AgentId: na.GetAgent().GetId()}); err != nil {
		t.Fatal(err)
	}
}

// TestQueueKindAndRemark: a group created with a remark is a group with its
// remark when read back, listed and updated; a kind out of range names its
// field.
func TestQueueKindAndRemark(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	queues := pb.NewQueueServiceClient(e.conn)
	c, err := queues.CreateQueue(ctx, &pb.CreateQueueRequest{Queue: &pb.Queue{Name: "front desk",
		Kind: pb.QueueKind_QUEUE_KIND_GROUP, Remark: "lobby phones", Strategy: pb.Strategy_STRATEGY_RING_ALL}})
	if err != nil {
		t.Fatal(err)
	}
	id := c.GetQueue().GetId()
	same := func(where string, q *pb.Queue, kind pb.QueueKind, remark string) {
		t.Helper()
		if q.GetId() != id || q.GetKind() != kind || q.GetRemark() != remark {
			t.Fatalf("%s: %v, want kind %v remark %q", where, q, kind, remark)
		}
	}
	same("created", c.GetQueue(), pb.QueueKind_QUEUE_KIND_GROUP, "lobby phones")
	g, err := queues.GetQueue(ctx, &pb.GetQueueRequest{QueueId: id})
	if err != nil {
		t.Fatal(err)
	}
	same("read", g.GetQueue(), pb.QueueKind_QUEUE_KIND_GROUP, "lobby phones")
	l, err := queues.ListQueues(ctx, &pb.ListQueuesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range l.GetQueues() {
		if q.GetId() == id {
			found = true
			same("listed", q, pb.QueueKind_QUEUE_KIND_GROUP, "lobby phones")
		}
	}
	if !found {
		t.Fatalf("queue %d not listed: %v", id, l)
	}
	u, err := queues.UpdateQueue(ctx, &pb.UpdateQueueRequest{Queue: &pb.Queue{Id: id, Name: "front desk", Remark: "now a queue"}})
	if err != nil {
		t.Fatal(err)
	}
	same("updated", u.GetQueue(), pb.QueueKind_QUEUE_KIND_UNSPECIFIED, "now a queue")
	_, err = queues.CreateQueue(ctx, &pb.CreateQueueRequest{Queue: &pb.Queue{Name: "odd", Kind: 7}})
	if v := badRequest(wantErr(t, err, codes.InvalidArgument, 301018)); v["queue.kind"] == "" {
		t.Fatalf("violations %v, want queue.kind", v)
	}
}

// TestRestartMidCampaign stops the server, its runner and the store in the
// middle of a campaign and starts them again on the same directory: the
// same token still works, the API answers the same about what was there,
// and the campaign goes on.
func TestRestartMidCampaign(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	var phones []string
	for i := range 60 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 5560000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()
	if _, err := pb.NewTaskServiceClient(e.conn).SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task,
		Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	records := func(min int) []*pb.CallRecord {
		deadline := time.Now().Add(20 * time.Second)
		for {
			r, err := pb.NewRecordServiceClient(e.conn).SearchRecords(ctx, &pb.SearchRecordsRequest{TaskId: task,
				SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, PageSize: 1000, Peek: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.GetRecords()) >= min {
				return r.GetRecords()
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d records, want %d", len(r.GetRecords()), min)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	before := records(5)
	getTask := func() *pb.Task {
		r, err := pb.NewTaskServiceClient(e.conn).GetTask(ctx, &pb.GetTaskRequest{TaskId: task})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetTask()
	}
	taskBefore := getTask()

	e.restart(t, withEngine(t))

	taskAfter := getTask() // with the token issued before the restart
	if taskAfter.GetStatus() != pb.TaskStatus_TASK_STATUS_RUNNING || taskAfter.GetName() != taskBefore.GetName() ||
		!proto.Equal(taskAfter.GetCreateTime(), taskBefore.GetCreateTime()) {
		t.Fatalf("task before %v, after %v", taskBefore, taskAfter)
	}
	for _, r := range before {
		got, err := pb.NewRecordServiceClient(e.conn).GetRecord(ctx, &pb.GetRecordRequest{CallId: r.GetCallId()})
		if err != nil || !proto.Equal(got.GetRecord(), r) {
			t.Fatalf("record of call %d before %v, after %v (%v)", r.GetCallId(), r, got.GetRecord(), err)
		}
	}
	records(len(before) + 5) // the campaign goes on
}

// TestPacingDecisionsStream: a subscriber that asks for pacing decisions
// gets the task's, live, with what the pacer saw and placed, numbered after
// the last logged event; one that asks for nothing in particular gets none.
func TestPacingDecisionsStream(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	var phones []string
	for i := range 20 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 5570000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()
	sctx, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	events := pb.NewEventServiceClient(e.conn)
	pacingSub, err := events.Subscribe(sctx, &pb.SubscribeRequest{Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_PACING}, TaskIds: []uint64{task}})
	if err != nil {
		t.Fatal(err)
	}
	allSub, err := events.Subscribe(sctx, &pb.SubscribeRequest{TaskIds: []uint64{task}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewTaskServiceClient(e.conn).SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task,
		Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	placed := 0
	for placed < 5 {
		m, err := pacingSub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		d := m.GetEvent().GetPacing()
		if d == nil || d.GetTaskId() != task || m.GetEvent().GetTime() == nil {
			t.Fatalf("not a decision of task %d: %v", task, m)
		}
		if d.GetPlaced() > d.GetWanted() || d.GetAgentsLoggedIn() != 3 || d.GetAbandonTarget() == 0 {
			t.Fatalf("decision %v", d)
		}
		if d.GetPlaced() > 0 && m.GetEvent().GetSeq() == 0 {
			t.Fatalf("a decision after the task opened numbered 0: %v", m)
		}
		placed += int(d.GetPlaced())
	}
	for range 20 {
		m, err := allSub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetEvent().GetPacing() != nil {
			t.Fatalf("a decision to a subscriber that did not ask: %v", m)
		}
	}
}

// TestTaskStatusStream: a subscriber that asks for task status changes
// sees a task started and paused at once, and only its own tenant's; one
// that asks for nothing in particular gets none.
func TestTaskStatusStream(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	globex := e.login(t, "globex")
	task := e.createTask(t, ctx, "acme", "+14155590000", "+14155590001").GetTask().GetId()
	other := e.createTask(t, globex, "globex", "+14155590002").GetTask().GetId()
	sctx, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	gctx, gstop := context.WithTimeout(globex, 20*time.Second)
	defer gstop()
	events := pb.NewEventServiceClient(e.conn)
	kinds := []pb.EventKind{pb.EventKind_EVENT_KIND_TASK}
	sub, err := events.Subscribe(sctx, &pb.SubscribeRequest{Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	gsub, err := events.Subscribe(gctx, &pb.SubscribeRequest{Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	allSub, err := events.Subscribe(sctx, &pb.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Status changes are live only: wait until the server follows the
	// runner for each subscriber.
	for _, s := range []pb.EventService_SubscribeClient{sub, gsub, allSub} {
		if _, err := s.Header(); err != nil {
			t.Fatal(err)
		}
	}
	tasks := pb.NewTaskServiceClient(e.conn)
	set := func(ctx context.Context, id uint64, s pb.TaskStatus) {
		t.Helper()
		if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: id, Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	// next returns the next status change of task, skipping those that
	// only say it ran out of numbers.
	next := func(sub pb.EventService_SubscribeClient, task uint64) pb.TaskStatus {
		t.Helper()
		for {
			m, err := sub.Recv()
			if err != nil {
				t.Fatal(err)
			}
			c := m.GetEvent().GetTask()
			if c == nil || c.GetTaskId() != task || m.GetEvent().GetTime() == nil {
				t.Fatalf("not a status change of task %d: %v", task, m)
			}
			if !c.GetExhausted() {
				return c.GetStatus()
			}
		}
	}
	set(ctx, task, pb.TaskStatus_TASK_STATUS_RUNNING)
	if s := next(sub, task); s != pb.TaskStatus_TASK_STATUS_RUNNING {
		t.Fatalf("status %v, want running", s)
	}
	set(ctx, task, pb.TaskStatus_TASK_STATUS_PAUSED)
	if s := next(sub, task); s != pb.TaskStatus_TASK_STATUS_PAUSED {
		t.Fatalf("status %v, want paused", s)
	}
	set(globex, other, pb.TaskStatus_TASK_STATUS_RUNNING)
	// globex's subscriber saw none of acme's changes before its own.
	if s := next(gsub, other); s != pb.TaskStatus_TASK_STATUS_RUNNING {
		t.Fatalf("status %v, want running", s)
	}
	for range 3 {
		m, err := allSub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetEvent().GetTask() != nil {
			t.Fatalf("a status change to a subscriber that did not ask: %v", m)
		}
	}
}

// TestHangupCall: a supervisor hangs up a call an agent is talking on; the
// call ends at once with a record ended by our side (endresult 12), and the
// campaign goes on. Another tenant cannot hang it up, and an ended call is
// not found.
func TestHangupCall(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	globex := e.login(t, "globex")
	var phones []string
	for i := range 40 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 5580000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()
	sctx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	sub, err := pb.NewEventServiceClient(e.conn).Subscribe(sctx, &pb.SubscribeRequest{TaskIds: []uint64{task},
		Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_PARTY}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewTaskServiceClient(e.conn).SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task,
		Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	calls := pb.NewCallServiceClient(e.conn)
	var hung uint64
	// The simulated agents talk for half a second or more: the hang-up
	// comes well inside that, but a slow machine may see the talk end
	// first, so the test takes the first call it could hang up.
	for tries := 0; hung == 0 && tries < 10; {
		m, err := sub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		c := m.GetEvent().GetCti()
		if c.GetName() != pb.CtiName_CTI_NAME_ESTABLISHED || c.GetRole() != pb.PartyRole_PARTY_ROLE_AGENT {
			continue
		}
		tries++
		_, err = calls.HangupCall(globex, &pb.HangupCallRequest{CallId: c.GetCallId()})
		wantErr(t, err, codes.NotFound, 301004)
		if _, err := calls.HangupCall(ctx, &pb.HangupCallRequest{CallId: c.GetCallId()}); err == nil {
			hung = c.GetCallId()
		} else if status.Code(err) != codes.NotFound {
			t.Fatal(err)
		}
	}
	if hung == 0 {
		t.Fatal("every call ended before it could be hung up")
	}
	rec, err := pb.NewRecordServiceClient(e.conn).GetRecord(ctx, &pb.GetRecordRequest{CallId: hung})
	if err != nil {
		t.Fatal(err)
	}
	if r := rec.GetRecord(); r.GetEndResult() != 12 || r.GetAgentId() == 0 {
		t.Fatalf("record of the call hung up: %v", r)
	}
	_, err = calls.HangupCall(ctx, &pb.HangupCallRequest{CallId: hung})
	wantErr(t, err, codes.NotFound, 301004)
	// The agent is freed and the campaign goes on.
	for {
		m, err := sub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if c := m.GetEvent().GetCti(); c.GetName() == pb.CtiName_CTI_NAME_ESTABLISHED && c.GetCallId() > hung {
			break
		}
	}
}

// TestAgentAvailabilityAndStats: a member shown busy is offered none of
// the queue's calls while the others take them, and the members' figures
// say so; shown idle again, it is listed so. Only a member signed in can be
// shown busy.
func TestAgentAvailabilityAndStats(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	queues := pb.NewQueueServiceClient(e.conn)
	queue, busy := e.queues["acme"], e.agents[0]
	if _, err := queues.SetAgentAvailability(ctx, &pb.SetAgentAvailabilityRequest{QueueId: queue, AgentId: busy,
		Availability: pb.Availability_AVAILABILITY_BUSY}); err != nil {
		t.Fatal(err)
	}
	var phones []string
	for i := range 30 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 5590000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()
	if _, err := pb.NewTaskServiceClient(e.conn).SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task,
		Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	list := func() map[uint32]*pb.QueueAgentStats {
		r, err := queues.ListQueueAgentStats(ctx, &pb.ListQueueAgentStatsRequest{QueueId: queue})
		if err != nil {
			t.Fatal(err)
		}
		m := map[uint32]*pb.QueueAgentStats{}
		for _, a := range r.GetAgents() {
			if a.GetQueueId() != queue {
				t.Fatalf("a line of another queue: %v", a)
			}
			m[a.GetAgentId()] = a
		}
		if len(m) != len(e.agents) {
			t.Fatalf("%d lines for %d members: %v", len(m), len(e.agents), r)
		}
		return m
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, answered := list(), int64(0)
		for _, a := range m {
			answered += a.GetCallsAnswered()
		}
		if answered >= 4 {
			b := m[busy]
			if !b.GetShownBusy() || !b.GetSignedIn() || b.GetCallsAnswered() != 0 || b.GetLastAssignTime() != nil {
				t.Fatalf("the member shown busy: %v", b)
			}
			for id, a := range m {
				if id != busy && (a.GetShownBusy() || !a.GetSignedIn() || a.GetStateChangeTime() == nil) {
					t.Fatalf("another member: %v", a)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls answered: %v", answered, m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The call figures of the queue and the task, as the snapshot has them.
	campaign := pb.NewCampaignServiceClient(e.conn)
	for {
		st, err := campaign.GetCampaignStatus(ctx, &pb.GetCampaignStatusRequest{QueueId: queue})
		if err != nil {
			t.Fatal(err)
		}
		cs := st.GetQueues()[0]
		if cs.GetCompleted() >= 2 {
			if cs.GetTotalCalls() < cs.GetCompleted() || cs.GetTalkTime().AsDuration() <= 0 || cs.GetHoldTime() == nil ||
				cs.GetAverageCallDuration().AsDuration() <= 0 {
				t.Fatalf("campaign status %v", cs)
			}
			ended := false
			for _, a := range cs.GetAgents() {
				ended = ended || a.GetLastCallTime() != nil
			}
			if !ended {
				t.Fatalf("no agent's last call ended: %v", cs.GetAgents())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls completed", cs.GetCompleted())
		}
		time.Sleep(50 * time.Millisecond)
	}
	sum, err := campaign.GetCampaignSummary(ctx, &pb.GetCampaignSummaryRequest{})
	if err != nil || len(sum.GetQueues()) == 0 || sum.GetQueues()[0].GetTalkTime().AsDuration() <= 0 {
		t.Fatalf("campaign summary %v %v", sum, err)
	}
	stats, err := pb.NewTaskServiceClient(e.conn).GetTaskStats(ctx, &pb.GetTaskStatsRequest{TaskId: task})
	if err != nil || stats.GetStats().GetDials() < 2 {
		t.Fatalf("task stats %v %v", stats, err)
	}

	if _, err := queues.SetAgentAvailability(ctx, &pb.SetAgentAvailabilityRequest{QueueId: queue, AgentId: busy,
		Availability: pb.Availability_AVAILABILITY_IDLE}); err != nil {
		t.Fatal(err)
	}
	if b := list()[busy]; b.GetShownBusy() {
		t.Fatalf("shown idle, listed %v", b)
	}
	if r, err := queues.ListQueueAgentStats(ctx, &pb.ListQueueAgentStatsRequest{AgentId: busy}); err != nil || len(r.GetAgents()) != 1 {
		t.Fatalf("one agent in every queue: %v %v", r, err)
	}
	if _, err := queues.SignOut(ctx, &pb.SignOutRequest{QueueId: queue, AgentId: busy}); err != nil {
		t.Fatal(err)
	}
	_, err = queues.SetAgentAvailability(ctx, &pb.SetAgentAvailabilityRequest{QueueId: queue, AgentId: busy,
		Availability: pb.Availability_AVAILABILITY_BUSY})
	wantErr(t, err, codes.FailedPrecondition, 301006)
	if b := list()[busy]; b.GetSignedIn() {
		t.Fatalf("signed out, listed %v", b)
	}
}

// A request reaches the engine at the engine's time, not the server's wall
// clock: a wall time ahead of the engine's would move the engine's time on.
func TestRequestsAtTheEngineClock(t *testing.T) {
	at := time.Date(2021, 1, 4, 10, 0, 0, 0, time.UTC) // behind the wall clock
	e := newEnv(t, withWorld(t, apitest.World, 1, runner.NewManual(at)), nil)
	ctx := e.login(t, "acme")
	agents := pb.NewAgentServiceClient(e.conn)
	a := e.agents[0]
	if _, err := agents.LogoutAgent(ctx, &pb.LogoutAgentRequest{AgentId: a}); err != nil {
		t.Fatal(err)
	}
	stats, err := pb.NewQueueServiceClient(e.conn).ListQueueAgentStats(ctx, &pb.ListQueueAgentStatsRequest{QueueId: e.queues["acme"]})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range stats.GetAgents() {
		if s.GetAgentId() == a {
			found = true
			if got := s.GetStateChangeTime().AsTime(); !got.Equal(at) {
				t.Errorf("logged out at %v, want the engine's %v", got, at)
			}
		}
	}
	if !found {
		t.Fatalf("agent %d not in the queue's stats %v", a, stats)
	}
}
