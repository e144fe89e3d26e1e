package api_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// isoCase is how one method is shown not to cross tenants: the other
// tenant ("globex") calls it with acme's objects, and either gets want, or
// a successful answer that check finds free of acme's data.
type isoCase struct {
	req   proto.Message
	want  codes.Code
	check func(t *testing.T, resp proto.Message)
}

// fixture is acme's objects, created before the cases run.
type fixture struct {
	task    uint64
	number  uint64
	call    uint64
	phone   string
	tenantB string // a phone on acme's tenant-wide blacklist
	agent   uint32
}

// isolationCases returns a case for every method of the API. A method of the
// descriptors without a case fails TestTenantIsolation: a new method must
// say how it keeps tenants apart.
func isolationCases(st *store.Badger, f fixture, queue uint32) map[string]isoCase {
	notFound := func(req proto.Message) isoCase { return isoCase{req: req, want: codes.NotFound} }
	denied := func(req proto.Message) isoCase { return isoCase{req: req, want: codes.PermissionDenied} }
	return map[string]isoCase{
		pb.AuthService_Login_FullMethodName: {req: &pb.LoginRequest{AppId: "globex-app", AccessKey: "globex" + keySuffix},
			check: func(t *testing.T, r proto.Message) {
				if got := r.(*pb.LoginResponse).GetTenantId(); got != "globex" {
					t.Errorf("globex's credentials log in to %q", got)
				}
			}},
		pb.AuthService_Logout_FullMethodName: {req: &pb.LogoutRequest{}}, // revokes only the caller's own token (checked after)
		pb.AuthService_WhoAmI_FullMethodName: {req: &pb.WhoAmIRequest{}, check: func(t *testing.T, r proto.Message) {
			if got := r.(*pb.WhoAmIResponse).GetTenantId(); got != "globex" {
				t.Errorf("whoami says %q", got)
			}
		}},

		pb.TenantService_CreateTenant_FullMethodName:     denied(&pb.CreateTenantRequest{Tenant: &pb.Tenant{Id: "x"}}),
		pb.TenantService_UpdateTenant_FullMethodName:     denied(&pb.UpdateTenantRequest{Tenant: &pb.Tenant{Id: "acme"}}),
		pb.TenantService_GetTenant_FullMethodName:        denied(&pb.GetTenantRequest{TenantId: "acme"}),
		pb.TenantService_ListTenants_FullMethodName:      denied(&pb.ListTenantsRequest{}),
		pb.TenantService_SetCredential_FullMethodName:    denied(&pb.SetCredentialRequest{TenantId: "acme", AppId: "acme-app", AccessKey: "0123456789abcdef"}),
		pb.TenantService_DeleteCredential_FullMethodName: denied(&pb.DeleteCredentialRequest{AppId: "acme-app"}),

		pb.TaskService_CreateTask_FullMethodName:    notFound(&pb.CreateTaskRequest{Task: &pb.Task{QueueId: queue}}),
		pb.TaskService_AddNumbers_FullMethodName:    notFound(&pb.AddNumbersRequest{TaskId: f.task, Numbers: []*pb.Number{{Phone: "+14155550199"}}}),
		pb.TaskService_RemoveNumbers_FullMethodName: notFound(&pb.RemoveNumbersRequest{TaskId: f.task, Phones: []string{f.phone}}),
		pb.TaskService_SetTaskStatus_FullMethodName: notFound(&pb.SetTaskStatusRequest{TaskId: f.task, Status: pb.TaskStatus_TASK_STATUS_ENDED}),
		pb.TaskService_GetTask_FullMethodName:       notFound(&pb.GetTaskRequest{TaskId: f.task}),
		pb.TaskService_ListTasks_FullMethodName: {req: &pb.ListTasksRequest{}, check: func(t *testing.T, r proto.Message) {
			if n := len(r.(*pb.ListTasksResponse).GetTasks()); n != 0 {
				t.Errorf("globex lists %d tasks", n)
			}
		}},
		pb.TaskService_GetTaskStats_FullMethodName:  notFound(&pb.GetTaskStatsRequest{TaskId: f.task}),
		pb.TaskService_ImportNumbers_FullMethodName: {want: codes.NotFound}, // a stream: run by importCase
		pb.TaskService_ExplainNumber_FullMethodName: notFound(&pb.ExplainNumberRequest{TaskId: f.task, Number: &pb.ExplainNumberRequest_NumberId{NumberId: f.number}}),

		pb.QueueService_CreateQueue_FullMethodName: {req: &pb.CreateQueueRequest{Queue: &pb.Queue{Name: "x"}}, check: func(t *testing.T, r proto.Message) {
			if _, err := st.GetQueue("globex", records.QueueID(r.(*pb.CreateQueueResponse).GetQueue().GetId())); err != nil {
				t.Errorf("the queue globex created is not globex's: %v", err)
			}
		}},
		pb.QueueService_UpdateQueue_FullMethodName: notFound(&pb.UpdateQueueRequest{Queue: &pb.Queue{Id: queue, Name: "x"}}),
		pb.QueueService_DeleteQueue_FullMethodName: notFound(&pb.DeleteQueueRequest{QueueId: queue}),
		pb.QueueService_GetQueue_FullMethodName:    notFound(&pb.GetQueueRequest{QueueId: queue}),
		pb.QueueService_ListQueues_FullMethodName: {req: &pb.ListQueuesRequest{}, check: func(t *testing.T, r proto.Message) {
			for _, q := range r.(*pb.ListQueuesResponse).GetQueues() {
				if q.GetId() == queue {
					t.Error("globex lists acme's queue")
				}
			}
		}},
		pb.QueueService_AddQueueAgents_FullMethodName:    notFound(&pb.AddQueueAgentsRequest{QueueId: queue, AgentIds: []uint32{f.agent}}),
		pb.QueueService_RemoveQueueAgents_FullMethodName: notFound(&pb.RemoveQueueAgentsRequest{QueueId: queue, AgentIds: []uint32{f.agent}}),
		pb.QueueService_SignIn_FullMethodName:            notFound(&pb.SignInRequest{QueueId: queue, AgentId: f.agent}),
		pb.QueueService_SignOut_FullMethodName:           notFound(&pb.SignOutRequest{QueueId: queue, AgentId: f.agent}),
		pb.QueueService_SetAgentAvailability_FullMethodName: notFound(&pb.SetAgentAvailabilityRequest{QueueId: queue, AgentId: f.agent,
			Availability: pb.Availability_AVAILABILITY_BUSY}),
		pb.QueueService_ListQueueAgentStats_FullMethodName: notFound(&pb.ListQueueAgentStatsRequest{QueueId: queue}),

		pb.AgentService_CreateAgent_FullMethodName: {req: &pb.CreateAgentRequest{Agent: &pb.Agent{Name: "x"}}, check: func(t *testing.T, r proto.Message) {
			if _, err := st.GetAgent("globex", records.AgentID(r.(*pb.CreateAgentResponse).GetAgent().GetId())); err != nil {
				t.Errorf("the agent globex created is not globex's: %v", err)
			}
		}},
		pb.AgentService_UpdateAgent_FullMethodName: notFound(&pb.UpdateAgentRequest{Agent: &pb.Agent{Id: f.agent, Name: "x"}}),
		pb.AgentService_DeleteAgent_FullMethodName: notFound(&pb.DeleteAgentRequest{AgentId: f.agent}),
		pb.AgentService_GetAgent_FullMethodName:    notFound(&pb.GetAgentRequest{AgentId: f.agent}),
		pb.AgentService_ListAgents_FullMethodName: {req: &pb.ListAgentsRequest{}, check: func(t *testing.T, r proto.Message) {
			for _, a := range r.(*pb.ListAgentsResponse).GetAgents() {
				if a.GetId() == f.agent {
					t.Error("globex lists acme's agent")
				}
			}
		}},
		pb.AgentService_LoginAgent_FullMethodName:     notFound(&pb.LoginAgentRequest{AgentId: f.agent}),
		pb.AgentService_Ready_FullMethodName:          notFound(&pb.ReadyRequest{AgentId: f.agent}),
		pb.AgentService_NotReady_FullMethodName:       notFound(&pb.NotReadyRequest{AgentId: f.agent, Reason: 2}),
		pb.AgentService_LogoutAgent_FullMethodName:    notFound(&pb.LogoutAgentRequest{AgentId: f.agent}),
		pb.AgentService_GetAgentStatus_FullMethodName: notFound(&pb.GetAgentStatusRequest{AgentId: f.agent}),

		pb.CallService_HangupCall_FullMethodName:     notFound(&pb.HangupCallRequest{CallId: f.call}),
		pb.CallService_SetDisposition_FullMethodName: notFound(&pb.SetDispositionRequest{CallId: f.call, Disposition: &pb.Disposition{Level1: "sale"}}),
		pb.CallService_GetDisposition_FullMethodName: notFound(&pb.GetDispositionRequest{CallId: f.call}),

		pb.BlacklistService_AddBlacklist_FullMethodName:        notFound(&pb.AddBlacklistRequest{TaskId: f.task, Phone: "+14155550198"}),
		pb.BlacklistService_BulkAddBlacklist_FullMethodName:    notFound(&pb.BulkAddBlacklistRequest{TaskId: f.task, Phones: []string{"+14155550198"}}),
		pb.BlacklistService_DeleteBlacklist_FullMethodName:     notFound(&pb.DeleteBlacklistRequest{TaskId: f.task, Phone: f.phone}),
		pb.BlacklistService_BulkDeleteBlacklist_FullMethodName: notFound(&pb.BulkDeleteBlacklistRequest{TaskId: f.task, Phones: []string{f.phone}}),
		pb.BlacklistService_CheckBlacklist_FullMethodName: {req: &pb.CheckBlacklistRequest{Phone: f.tenantB}, check: func(t *testing.T, r proto.Message) {
			if r.(*pb.CheckBlacklistResponse).GetBlacklisted() {
				t.Error("acme's tenant blacklist holds for globex")
			}
		}},
		pb.BlacklistService_ListBlacklist_FullMethodName: {req: &pb.ListBlacklistRequest{}, check: func(t *testing.T, r proto.Message) {
			if n := len(r.(*pb.ListBlacklistResponse).GetPhones()); n != 0 {
				t.Errorf("globex lists %d of acme's blacklisted phones", n)
			}
		}},

		pb.ScheduleService_ScheduleCallback_FullMethodName: notFound(&pb.ScheduleCallbackRequest{TaskId: f.task, Phone: f.phone}),
		pb.ScheduleService_ListSchedules_FullMethodName:    notFound(&pb.ListSchedulesRequest{TaskId: f.task}),
		pb.ScheduleService_RemoveSchedules_FullMethodName:  notFound(&pb.RemoveSchedulesRequest{TaskId: f.task}),
		pb.ScheduleService_Respool_FullMethodName:          notFound(&pb.RespoolRequest{TaskId: f.task, Phone: f.phone}),
		pb.ScheduleService_RemoveContact_FullMethodName:    notFound(&pb.RemoveContactRequest{TaskId: f.task, Phone: f.phone}),

		// A stream, run by subscribeCase: globex's log is empty, so it
		// receives nothing until its deadline, acme's events least of all.
		pb.EventService_Subscribe_FullMethodName: {want: codes.DeadlineExceeded},

		pb.RecordService_SearchRecords_FullMethodName: {req: &pb.SearchRecordsRequest{SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, TaskId: f.task},
			check: func(t *testing.T, r proto.Message) {
				if n := len(r.(*pb.SearchRecordsResponse).GetRecords()); n != 0 {
					t.Errorf("globex finds %d of acme's records", n)
				}
			}},
		pb.RecordService_GetRecord_FullMethodName: notFound(&pb.GetRecordRequest{CallId: f.call}),

		pb.CampaignService_GetCampaignSummary_FullMethodName: {req: &pb.GetCampaignSummaryRequest{}, check: func(t *testing.T, r proto.Message) {
			for _, q := range r.(*pb.GetCampaignSummaryResponse).GetQueues() {
				if q.GetQueueId() == queue {
					t.Error("globex's summary shows acme's queue")
				}
			}
		}},
		pb.CampaignService_GetCampaignStatus_FullMethodName: notFound(&pb.GetCampaignStatusRequest{QueueId: queue}),
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	acme := e.login(t, "acme")
	const phone = "+14155550100"
	created := e.createTask(t, acme, "acme", phone)
	f := fixture{task: created.GetTask().GetId(), phone: phone, tenantB: "+14155550111", agent: e.agents[0]}
	num, err := e.st.FindNumber(records.TaskID(f.task), phone)
	if err != nil {
		t.Fatal(err)
	}
	f.number = uint64(num.ID)
	bl := pb.NewBlacklistServiceClient(e.conn)
	if _, err := bl.AddBlacklist(acme, &pb.AddBlacklistRequest{TaskId: f.task, Phone: phone}); err != nil {
		t.Fatal(err)
	}
	if _, err := bl.AddBlacklist(acme, &pb.AddBlacklistRequest{Phone: f.tenantB}); err != nil {
		t.Fatal(err)
	}
	// A call record of acme's, as the engine's runner commits it.
	f.call = 1 << 40
	now := time.Now()
	w := records.Writes{Records: []records.CallRecord{{Call: records.CallID(f.call), Tenant: "acme", Task: records.TaskID(f.task),
		Number: num.ID, Called: phone, Start: now.Add(-time.Minute), End: now}}}
	if _, err := e.st.Commit(w, nil, nil); err != nil {
		t.Fatal(err)
	}
	if r, err := pb.NewRecordServiceClient(e.conn).GetRecord(acme, &pb.GetRecordRequest{CallId: f.call}); err != nil || r.GetRecord().GetTaskId() != f.task {
		t.Fatalf("acme cannot read its own record: %v %v", r, err)
	}

	cases := isolationCases(e.st, f, e.queues["acme"])
	var methods []string
	protoregistry.GlobalFiles.RangeFilesByPackage("outpace.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				methods = append(methods, "/"+string(sd.FullName())+"/"+string(sd.Methods().Get(j).Name()))
			}
		}
		return true
	})
	slices.Sort(methods)
	if len(methods) < 50 {
		t.Fatalf("found only %d methods in the descriptors", len(methods))
	}
	for _, m := range methods {
		c, ok := cases[m]
		if !ok {
			t.Errorf("%s has no tenant-isolation case: add one to isolationCases", m)
			continue
		}
		delete(cases, m)
		t.Run(m, func(t *testing.T) {
			globex := e.login(t, "globex")
			var err error
			var resp proto.Message
			switch m {
			case pb.TaskService_ImportNumbers_FullMethodName:
				err = importCase(e, globex, f.task)
			case pb.EventService_Subscribe_FullMethodName:
				err = subscribeCase(e, globex, f.task)
			default:
				md := methodDesc(t, m)
				resp = outputOf(t, md)
				err = e.conn.Invoke(globex, m, c.req, resp)
			}
			if got := status.Code(err); got != c.want {
				t.Fatalf("globex gets %v (%v), want %v", got, err, c.want)
			}
			if err == nil && c.check != nil {
				c.check(t, resp)
			}
		})
	}
	for m := range cases {
		t.Errorf("case for %s, which is no method of the API", m)
	}
	// Nothing globex did touched acme's objects.
	if _, err := pb.NewTaskServiceClient(e.conn).GetTask(acme, &pb.GetTaskRequest{TaskId: f.task}); err != nil {
		t.Fatal(err)
	}
	if r, err := bl.CheckBlacklist(acme, &pb.CheckBlacklistRequest{TaskId: f.task, Phone: phone}); err != nil || !r.GetBlacklisted() {
		t.Fatalf("acme's blacklist entry: %v %v", r, err)
	}
	if n, err := e.st.FindNumber(records.TaskID(f.task), phone); err != nil || n.ID != num.ID {
		t.Fatalf("acme's number: %v %v", n, err)
	}
}

func methodDesc(t *testing.T, full string) protoreflect.MethodDescriptor {
	t.Helper()
	var svc protoreflect.FullName
	var method protoreflect.Name
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '/' {
			svc, method = protoreflect.FullName(full[1:i]), protoreflect.Name(full[i+1:])
			break
		}
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(svc)
	if err != nil {
		t.Fatal(err)
	}
	return d.(protoreflect.ServiceDescriptor).Methods().ByName(method)
}

func outputOf(t *testing.T, md protoreflect.MethodDescriptor) proto.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		t.Fatal(err)
	}
	return mt.New().Interface()
}

func importCase(e *env, ctx context.Context, task uint64) error {
	stream, err := pb.NewTaskServiceClient(e.conn).ImportNumbers(ctx)
	if err != nil {
		return err
	}
	_ = stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Header{Header: &pb.ImportHeader{TaskId: task}}})
	_ = stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Numbers{Numbers: &pb.NumberBatch{
		Numbers: []*pb.Number{{Phone: "+14155550197"}}}}})
	_, err = stream.CloseAndRecv()
	return err
}

func subscribeCase(e *env, ctx context.Context, task uint64) error {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	stream, err := pb.NewEventServiceClient(e.conn).Subscribe(ctx, &pb.SubscribeRequest{TaskIds: []uint64{task}, FromSeq: 1})
	if err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}
