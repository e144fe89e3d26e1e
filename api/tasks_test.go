package api_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/outpace-dev/outpace/api/apitest"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
)

func TestValidationNamesEveryField(t *testing.T) {
	e := newEnv(t, nil, nil)
	tasks := pb.NewTaskServiceClient(e.conn)
	ctx := e.login(t, "acme")
	req := &pb.CreateTaskRequest{
		Task: &pb.Task{
			Pacing:          &pb.Pacing{Mode: pb.PacingMode_PACING_MODE_RATIO, Ratio: "1:x", AbandonTarget: math.NaN()},
			NoAnswerTimeout: durationpb.New(5 * time.Second),
			Window:          []*pb.DayWindow{{StartMinute: 600, EndMinute: 500}},
		},
		Numbers: make([]*pb.Number, 10001),
	}
	for i := range req.Numbers {
		req.Numbers[i] = &pb.Number{Phone: "+14155550100"}
	}
	_, err := tasks.CreateTask(ctx, req)
	st := wantErr(t, err, codes.InvalidArgument, 301018)
	got := badRequest(st)
	for _, f := range []string{"task.queue_id", "task.pacing.ratio", "task.pacing.abandon_target",
		"task.no_answer_timeout", "task.window", "task.window[0]", "numbers"} {
		if got[f] != "InvalidParams" {
			t.Errorf("no violation of %s in %v", f, got)
		}
	}
	if len(got) != 7 {
		t.Errorf("violations %v, want 7", got)
	}

	// Store-side checks name their field too.
	_, err = pb.NewBlacklistServiceClient(e.conn).BulkAddBlacklist(ctx,
		&pb.BulkAddBlacklistRequest{Phones: []string{"+14155550100", "12", "+442079460000"}})
	st = wantErr(t, err, codes.InvalidArgument, 301018)
	if got := badRequest(st); len(got) != 1 || got["phones[1]"] == "" {
		t.Errorf("violations %v, want phones[1]", got)
	}
	_, err = tasks.CreateTask(ctx, &pb.CreateTaskRequest{Task: &pb.Task{QueueId: 9999}})
	st = wantErr(t, err, codes.NotFound, 301018)
	if got := errorInfo(st).GetMetadata()["field"]; got != "task.queue_id" {
		t.Errorf("error info names %q, want task.queue_id", got)
	}
}

func TestCreateTaskReturnsInvalidEntries(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := e.login(t, "acme")
	resp := e.createTask(t, ctx, "acme", "+1 415 555 0100", "not a phone", "+14155550101", "+14155550100")
	res := resp.GetResult()
	if res.GetStored() != 2 || res.GetInvalidCount() != 1 || res.GetDuplicateCount() != 1 || len(res.GetRejected()) != 2 {
		t.Fatalf("result %v", res)
	}
	bad, dup := res.GetRejected()[0], res.GetRejected()[1]
	if bad.GetIndex() != 1 || bad.GetField() != "phone" || bad.GetCode() != 301018 || bad.GetReason() == "" {
		t.Errorf("invalid entry %v", bad)
	}
	if dup.GetIndex() != 3 || dup.GetExistingNumberId() == 0 {
		t.Errorf("duplicate entry %v", dup)
	}
	got, err := pb.NewTaskServiceClient(e.conn).GetTask(ctx, &pb.GetTaskRequest{TaskId: resp.GetTask().GetId()})
	if err != nil || !proto.Equal(got.GetTask(), resp.GetTask()) {
		t.Fatalf("get task: %v %v, want %v", got, err, resp.GetTask())
	}
	if got.GetTask().GetPacing().GetMode() != pb.PacingMode_PACING_MODE_PREDICTIVE {
		t.Errorf("pacing %v", got.GetTask().GetPacing())
	}
}

func TestClientTokenAnswersOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := e.login(t, "acme")
	tasks := pb.NewTaskServiceClient(e.conn)
	req := &pb.CreateTaskRequest{Task: &pb.Task{Name: "once", QueueId: e.queues["acme"]},
		Numbers: []*pb.Number{{Phone: "+14155550100"}}, ClientToken: "create-once"}
	first, err := tasks.CreateTask(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tasks.CreateTask(e.login(t, "acme"), req)
	if err != nil || !proto.Equal(first, again) {
		t.Fatalf("repeat: %v %v, want %v", again, err, first)
	}
	list, err := tasks.ListTasks(ctx, &pb.ListTasksRequest{})
	if err != nil || len(list.GetTasks()) != 1 {
		t.Fatalf("tasks after a repeat: %v %v", list, err)
	}
	req2 := proto.Clone(req).(*pb.CreateTaskRequest)
	req2.Task.Name = "other"
	_, err = tasks.CreateTask(ctx, req2)
	st := wantErr(t, err, codes.InvalidArgument, 301018)
	if badRequest(st)["client_token"] == "" {
		t.Errorf("violations %v, want client_token", badRequest(st))
	}
	// Another tenant's identical token is its own.
	req3 := proto.Clone(req).(*pb.CreateTaskRequest)
	req3.Task.QueueId = e.queues["globex"]
	if _, err := tasks.CreateTask(e.login(t, "globex"), req3); err != nil {
		t.Fatal(err)
	}
}

func TestImportStreams(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := e.login(t, "acme")
	task := e.createTask(t, ctx, "acme").GetTask().GetId()
	tasks := pb.NewTaskServiceClient(e.conn)

	t.Run("lines", func(t *testing.T) {
		var text strings.Builder
		const n = 20000
		for i := range n {
			if i == 7 {
				text.WriteString("spring;+1415555;;;x;\n")
				continue
			}
			fmt.Fprintf(&text, "spring;+1415%07d;userid=%d;;;\n", 2000000+i, i)
		}
		stream, err := tasks.ImportNumbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Header{Header: &pb.ImportHeader{
			TaskId: task, Format: pb.ListFormat_LIST_FORMAT_LINES, Tz: "America/Los_Angeles"}}}); err != nil {
			t.Fatal(err)
		}
		b := []byte(text.String())
		for len(b) > 0 {
			k := min(len(b), 64<<10-13) // chunks cut lines in the middle
			if err := stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Data{Data: b[:k]}}); err != nil {
				t.Fatal(err)
			}
			b = b[k:]
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatal(err)
		}
		res := resp.GetResult()
		if res.GetStored() != n-1 || res.GetInvalidCount() != 1 || len(res.GetRejected()) != 1 {
			t.Fatalf("result %v", res)
		}
		if r := res.GetRejected()[0]; r.GetIndex() != 8 || r.GetField() == "" {
			t.Errorf("rejected line %v, want line 8 with its field", r)
		}
	})
	t.Run("numbers", func(t *testing.T) {
		stream, err := tasks.ImportNumbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Header{Header: &pb.ImportHeader{TaskId: task}}})
		for b := range 3 {
			batch := &pb.NumberBatch{}
			for i := range 1000 {
				batch.Numbers = append(batch.Numbers, &pb.Number{Phone: fmt.Sprintf("+1646%07d", 3000000+b*1000+i)})
			}
			if err := stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Numbers{Numbers: batch}}); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := stream.CloseAndRecv()
		if err != nil || resp.GetResult().GetStored() != 3000 {
			t.Fatalf("import: %v %v", resp, err)
		}
	})
	t.Run("client token", func(t *testing.T) {
		send := func() *pb.ImportNumbersResponse {
			stream, err := tasks.ImportNumbers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_ = stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Header{Header: &pb.ImportHeader{TaskId: task, ClientToken: "import-1"}}})
			_ = stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Numbers{Numbers: &pb.NumberBatch{
				Numbers: []*pb.Number{{Phone: "+16175550100"}, {Phone: "+16175550101"}}}}})
			resp, err := stream.CloseAndRecv()
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		first, again := send(), send()
		if first.GetResult().GetStored() != 2 || !proto.Equal(first, again) {
			t.Fatalf("first %v, repeat %v", first, again)
		}
	})
	t.Run("header first", func(t *testing.T) {
		stream, err := tasks.ImportNumbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Data{Data: []byte("x")}})
		_, err = stream.CloseAndRecv()
		st := wantErr(t, err, codes.InvalidArgument, 301018)
		if badRequest(st)["header"] == "" {
			t.Errorf("violations %v, want header", badRequest(st))
		}
	})
}

var _ = context.Background

func TestExplainNumber(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := e.login(t, "acme")
	task := e.createTask(t, ctx, "acme", "+12125550100").GetTask().GetId()
	if _, err := pb.NewBlacklistServiceClient(e.conn).AddBlacklist(ctx, &pb.AddBlacklistRequest{Phone: "+12125550100"}); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	at := time.Date(2026, 12, 7, 3, 30, 0, 0, ny) // a Monday, 03:30 in New York
	resp, err := pb.NewTaskServiceClient(e.conn).ExplainNumber(ctx, &pb.ExplainNumberRequest{TaskId: task,
		Number: &pb.ExplainNumberRequest_Phone{Phone: "+1 212 555 0100"}, Time: timestamppb.New(at)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetDialable() || resp.GetDialableAt() != nil || len(resp.GetChecks()) != 8 {
		t.Fatalf("explain: %v", resp)
	}
	failed := map[pb.Rule]*pb.Check{}
	for _, c := range resp.GetChecks() {
		if !c.GetPassed() {
			failed[c.GetRule()] = c
		}
	}
	if len(failed) != 3 || failed[pb.Rule_RULE_TASK_STATUS] == nil || failed[pb.Rule_RULE_BLACKLIST] == nil {
		t.Fatalf("failed checks %v", failed)
	}
	w := failed[pb.Rule_RULE_CALLING_WINDOW]
	if want := time.Date(2026, 12, 7, 8, 0, 0, 0, ny); w == nil || !w.GetAllowedAt().AsTime().Equal(want) ||
		!strings.Contains(w.GetDetail(), "Mon 03:30") {
		t.Fatalf("window check %v, want it to open at %v", w, want)
	}
}

func TestStreamRequestsAreValidated(t *testing.T) {
	e := newEnv(t, nil, nil)
	stream, err := pb.NewEventServiceClient(e.conn).Subscribe(e.login(t, "acme"),
		&pb.SubscribeRequest{Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_AGENT, 42}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	st := wantErr(t, err, codes.InvalidArgument, 301018)
	if badRequest(st)["kinds[1]"] == "" {
		t.Errorf("violations %v, want kinds[1]", badRequest(st))
	}
}

// TestRespool puts a finished number back in its task's dialling order,
// with new data and its attempts counted afresh; a number being dialled or
// unknown is refused, naming the phone.
func TestRespool(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := e.login(t, "acme")
	const phone, busy = "+12125550100", "+12125550101"
	task := e.createTask(t, ctx, "acme", phone, busy).GetTask().GetId()
	done, err := e.st.FindNumber(records.TaskID(task), phone)
	if err != nil {
		t.Fatal(err)
	}
	dialing, err := e.st.FindNumber(records.TaskID(task), busy)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// The runner's commits: one number dialled and finished, one in flight.
	for _, u := range []records.NumberUpdate{
		{At: now, Task: records.TaskID(task), Number: done.ID, State: records.NumberDialing, Call: 1 << 41, Attempts: 1},
		{At: now, Task: records.TaskID(task), Number: dialing.ID, State: records.NumberDialing, Call: 1<<41 + 1, Attempts: 1},
		{At: now, Task: records.TaskID(task), Number: done.ID, State: records.NumberDone, Call: 1 << 41, Attempts: 1, Outcome: records.OutcomeMachine},
	} {
		if _, err := e.st.Commit(records.Writes{Numbers: []records.NumberUpdate{u}}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	sched := pb.NewScheduleServiceClient(e.conn)
	r, err := sched.Respool(ctx, &pb.RespoolRequest{TaskId: task, Phone: "+1 212 555 0100", Data: map[string]string{"offer": "b"}})
	if err != nil || r.GetNumberId() != uint64(done.ID) {
		t.Fatalf("respool: %v %v", r, err)
	}
	got, err := e.st.GetNumber(records.TaskID(task), done.ID)
	if err != nil || got.State != records.NumberPending || got.Attempts != 0 || got.Data["offer"] != "b" {
		t.Fatalf("respooled number %+v (%v)", got, err)
	}
	_, err = sched.Respool(ctx, &pb.RespoolRequest{TaskId: task, Phone: busy})
	if st := wantErr(t, err, codes.InvalidArgument, 301018); badRequest(st)["phone"] == "" {
		t.Errorf("violations %v, want phone", badRequest(st))
	}
	_, err = sched.Respool(ctx, &pb.RespoolRequest{TaskId: task, Phone: "+12125550199"})
	wantErr(t, err, codes.NotFound, 301018)
}

func TestTaskAgentRingTimeout(t *testing.T) {
	e := newEnv(t, nil, nil)
	tasks := pb.NewTaskServiceClient(e.conn)
	ctx := e.login(t, "acme")
	task := func(d time.Duration) *pb.CreateTaskRequest {
		return &pb.CreateTaskRequest{Task: &pb.Task{Name: "ring", QueueId: e.queues["acme"],
			Pacing:           &pb.Pacing{Mode: pb.PacingMode_PACING_MODE_PROGRESSIVE},
			AgentRingTimeout: durationpb.New(d)}}
	}
	resp, err := tasks.CreateTask(ctx, task(45*time.Second))
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	if got := resp.GetTask().GetAgentRingTimeout().AsDuration(); got != 45*time.Second {
		t.Errorf("created task's agent ring timeout %v, want 45s", got)
	}
	got, err := tasks.GetTask(ctx, &pb.GetTaskRequest{TaskId: resp.GetTask().GetId()})
	if err != nil {
		t.Fatalf("get task: %v", err)
	}
	if d := got.GetTask().GetAgentRingTimeout().AsDuration(); d != 45*time.Second {
		t.Errorf("read back agent ring timeout %v, want 45s", d)
	}

	for _, d := range []time.Duration{-time.Second, 500 * time.Millisecond, records.MaxAgentRingTimeout + time.Second} {
		_, err := tasks.CreateTask(ctx, task(d))
		st := wantErr(t, err, codes.InvalidArgument, 301018)
		if v := badRequest(st); len(v) != 1 || v["task.agent_ring_timeout"] == "" {
			t.Errorf("agent ring timeout %v: violations %v, want task.agent_ring_timeout", d, v)
		}
	}
}

// TestExplainNumberOnTheEngineClock asks with no time: the answer is
// judged at the runner's clock (here a manual one, hours from the wall
// clock), the time the engine decides on, not the server's.
func TestExplainNumberOnTheEngineClock(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	at := time.Date(2026, 12, 7, 3, 30, 0, 0, ny) // a Monday, 03:30 in New York
	e := newEnv(t, withWorld(t, apitest.World, 1, runner.NewManual(at)), nil)
	ctx := e.login(t, "acme")
	task := e.createTask(t, ctx, "acme", "+12125550100").GetTask().GetId()
	resp, err := pb.NewTaskServiceClient(e.conn).ExplainNumber(ctx, &pb.ExplainNumberRequest{TaskId: task,
		Number: &pb.ExplainNumberRequest_Phone{Phone: "+12125550100"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetTime().AsTime(); !got.Equal(at) {
		t.Errorf("judged at %v, want the engine's %v", got, at)
	}
	for _, c := range resp.GetChecks() {
		if c.GetRule() == pb.Rule_RULE_CALLING_WINDOW && (c.GetPassed() || !strings.Contains(c.GetDetail(), "03:30")) {
			t.Errorf("window check at the engine's 03:30: %v", c)
		}
	}
}
