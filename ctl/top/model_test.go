package top_test

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/outpace-dev/outpace/ctl/top"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func at(s int) *timestamppb.Timestamp { return timestamppb.New(t0.Add(time.Duration(s) * time.Second)) }

func agentEv(seq uint64, s int, agent uint32, name pb.CtiName, reason int32) top.EventMsg {
	return top.EventMsg{Event: &pb.Event{Seq: seq, Time: at(s), Body: &pb.Event_Cti{Cti: &pb.CtiEvent{Name: name, AgentId: agent, Reason: reason}}}}
}

func partyEv(seq uint64, s int, task uint64, agent uint32, name pb.CtiName) top.EventMsg {
	return top.EventMsg{Event: &pb.Event{Seq: seq, Time: at(s), Body: &pb.Event_Cti{Cti: &pb.CtiEvent{Name: name, TaskId: task,
		AgentId: agent, Role: pb.PartyRole_PARTY_ROLE_AGENT}}}}
}

func pacingEv(seq uint64, s int, p *pb.PacingDecision) top.EventMsg {
	return top.EventMsg{Event: &pb.Event{Seq: seq, Time: at(s), Body: &pb.Event_Pacing{Pacing: p}}}
}

// run feeds msgs to m in order, as the program would.
func run(t *testing.T, m top.Model, msgs ...tea.Msg) top.Model {
	t.Helper()
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(top.Model)
	}
	return m
}

func snapshot() top.SnapshotMsg {
	return top.SnapshotMsg{Snapshot: top.Snapshot{
		Tasks: []*pb.Task{
			{Id: 1, Name: "spring", QueueId: 5, Status: pb.TaskStatus_TASK_STATUS_RUNNING, Pacing: &pb.Pacing{AbandonTarget: 0.03}},
			{Id: 2, Name: "renewals", QueueId: 6, Status: pb.TaskStatus_TASK_STATUS_PAUSED},
		},
		Stats: map[uint64]*pb.TaskStats{1: {TaskId: 1, CallsRinging: 4, AbandonRate: 0.01, AbandonTarget: 0.03, DialLevel: 1.5, Occupancy: 0.5}},
		Members: []*pb.QueueAgentStats{
			{QueueId: 5, AgentId: 11, Status: int32(pb.AgentStatusCode_AGENT_STATUS_CODE_NOT_INUSE)},
			{QueueId: 5, AgentId: 12, Status: int32(pb.AgentStatusCode_AGENT_STATUS_CODE_INUSE)},
			{QueueId: 5, AgentId: 13, Status: int32(pb.AgentStatusCode_AGENT_STATUS_CODE_WRAPUP)},
			{QueueId: 5, AgentId: 14, Status: int32(pb.AgentStatusCode_AGENT_STATUS_CODE_UNAVAILABLE)},
			{QueueId: 6, AgentId: 21, Status: int32(pb.AgentStatusCode_AGENT_STATUS_CODE_BUSY)},
		},
	}}
}

// line returns the board's line of a task.
func line(t *testing.T, view, task string) []string {
	t.Helper()
	for _, l := range strings.Split(view, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == task {
			return f
		}
	}
	t.Fatalf("no line of task %s in\n%s", task, view)
	return nil
}

func TestSnapshotThenEvents(t *testing.T) {
	m := top.New("server test", nil)
	if v := m.View(); !strings.Contains(v, "reading the snapshot") {
		t.Fatalf("before the snapshot:\n%s", v)
	}
	m = run(t, m, snapshot())
	v := m.View()
	// TASK NAME STATUS READY BUSY WRAP NOTRDY RINGING WAITING OCC ABANDON 24H TARGET LEVEL PLACED
	if got := strings.Join(line(t, v, "1"), " "); got != "1 spring running 1 1 1 0 4 0 50.0% 1.0% 0.0% 3.0% 1.50 0" {
		t.Fatalf("task 1 after the snapshot: %s\n%s", got, v)
	}
	if got := strings.Join(line(t, v, "2"), " "); got != "2 renewals paused 0 0 0 1 0 0 0.0% 0.0% 0.0% 0.0% 0.00 0" {
		t.Fatalf("task 2 after the snapshot: %s", got)
	}

	m = run(t, m,
		agentEv(100, 0, 14, pb.CtiName_CTI_NAME_AGENT_LOGIN, 0),            // 14 logs in ready
		partyEv(101, 0, 1, 11, pb.CtiName_CTI_NAME_DIALING),                // 11 reserved for a call
		agentEv(102, 10, 13, pb.CtiName_CTI_NAME_DELAY_AFTER_CALL_WORK, 4), // 13's wrap-up expires
		agentEv(103, 10, 12, pb.CtiName_CTI_NAME_AGENT_NOT_READY, 4),       // 12 into wrap-up
		agentEv(104, 20, 21, pb.CtiName_CTI_NAME_AGENT_READY, 0),           // 21 (task 2) ready
		pacingEv(105, 20, &pb.PacingDecision{TaskId: 1, Level: 2.25, Placed: 3, Wanted: 3, CallsRinging: 7,
			CallsWaiting: 1, AbandonRate: 0.035, AbandonRateWindow: 0.02, AbandonTarget: 0.03}),
	)
	v = m.View()
	if got := strings.Join(line(t, v, "1"), " "); got != "1 spring running 2 1 1 0 7 1 62.5% 3.5% 2.0% 3.0% 2.25 3" {
		t.Fatalf("task 1 after the events: %s\n%s", got, v)
	}
	if c := m.Agents(2); c[top.Ready] != 1 || c[top.NotReady] != 0 {
		t.Fatalf("task 2 agents %v", c)
	}
	// From 0 s to 10 s: 11 and 12 busy, 13 in wrap-up, 14 ready: 3 of 4.
	// From 10 s to 20 s: 11 busy, 12 in wrap-up, 13 and 14 ready: 2 of 4.
	if occ := m.Occupancy(1); occ < 0.6249 || occ > 0.6251 {
		t.Fatalf("occupancy %v, want 0.625", occ)
	}
	if !strings.Contains(v, "last seq 105") || !strings.Contains(v, "6 events") {
		t.Fatalf("header:\n%s", v)
	}

	m = run(t, m, agentEv(106, 30, 11, pb.CtiName_CTI_NAME_AGENT_LOGOUT, 0), top.StreamMsg{Err: errString("connection reset")})
	if c := m.Agents(1); c[top.Out] != 1 || c[top.Busy] != 0 {
		t.Fatalf("after 11's logout %v", c)
	}
	if v := m.View(); !strings.Contains(v, "reconnecting: connection reset") {
		t.Fatalf("broken stream not shown:\n%s", v)
	}
	m = run(t, m, top.StreamMsg{})
	if v := m.View(); !strings.Contains(v, "stream live") {
		t.Fatalf("resumed stream not shown:\n%s", v)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestOnlyNamedTasksAndNewOnes(t *testing.T) {
	var fetched []uint64
	m := top.New("", []uint64{1, 3})
	m.FetchTask = func(id uint64) tea.Cmd {
		fetched = append(fetched, id)
		return func() tea.Msg { return top.TaskMsg{Task: &pb.Task{Id: id, Name: "late", QueueId: 5}} }
	}
	m = run(t, m, snapshot())
	if strings.Contains(m.View(), "renewals") {
		t.Fatal("task 2 shown though only 1 and 3 were asked for")
	}
	// A decision of task 3, unknown yet: fetched once; task 4's not at all.
	var cmds []tea.Cmd
	for _, ev := range []top.EventMsg{
		pacingEv(1, 0, &pb.PacingDecision{TaskId: 3, Level: 1}),
		pacingEv(2, 1, &pb.PacingDecision{TaskId: 3, Level: 1}),
		pacingEv(3, 1, &pb.PacingDecision{TaskId: 4, Level: 1}),
	} {
		next, cmd := m.Update(ev)
		m = next.(top.Model)
		if cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	if len(cmds) != 1 || len(fetched) != 1 || fetched[0] != 3 {
		t.Fatalf("fetched %v with %d commands", fetched, len(cmds))
	}
	m = run(t, m, cmds[0]())
	if got := line(t, m.View(), "3"); got[1] != "late" {
		t.Fatalf("task 3: %v", got)
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("q")}, {Type: tea.KeyCtrlC}} {
		_, cmd := top.New("", nil).Update(k)
		if cmd == nil {
			t.Fatalf("%v does not quit", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%v: %T, want tea.QuitMsg", k, cmd())
		}
	}
	_, cmd := top.New("", nil).Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	if cmd != nil {
		t.Fatal("x quits")
	}
	next, cmd := top.New("", nil).Update(top.ErrMsg{Err: errString("token expired")})
	if cmd == nil || next.(top.Model).Err() == nil || !strings.Contains(next.View(), "error: token expired") {
		t.Fatalf("an error does not end the board: %s", next.View())
	}
}

// r reads a new snapshot: a paused task shows paused, agents their state
// then.
func TestRefreshKey(t *testing.T) {
	m := run(t, top.New("", nil), snapshot())
	called := 0
	m.Refresh = func() tea.Cmd {
		called++
		s := snapshot()
		s.Tasks[0].Status = pb.TaskStatus_TASK_STATUS_PAUSED
		s.Members[0].Status = int32(pb.AgentStatusCode_AGENT_STATUS_CODE_WRAPUP)
		return func() tea.Msg { return s }
	}
	next, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if called != 1 || cmd == nil {
		t.Fatalf("r: %d refreshes", called)
	}
	m = run(t, next.(top.Model), cmd())
	if got := strings.Join(line(t, m.View(), "1"), " "); !strings.HasPrefix(got, "1 spring paused 0 1 2 0") {
		t.Fatalf("after the refresh: %s", got)
	}
	m = run(t, m, top.NoteMsg{Note: "re-reading the tasks failed: deadline exceeded"})
	if !strings.Contains(m.View(), "re-reading the tasks failed") || !strings.Contains(m.View(), "stream live") {
		t.Fatalf("a failed refresh:\n%s", m.View())
	}
}

func callEv(seq uint64, s int, call uint64, name pb.CtiName, role pb.PartyRole, rec *pb.CallRecord) top.EventMsg {
	return top.EventMsg{Event: &pb.Event{Seq: seq, Time: at(s), Body: &pb.Event_Cti{Cti: &pb.CtiEvent{Name: name, TaskId: 1,
		CallId: call, Role: role, Record: rec}}}}
}

// Calls are followed through their party events, those that started
// before the board from the snapshot's counts; deleted calls' records
// move the run's abandon rate.
func TestCallsFollowed(t *testing.T) {
	snap := snapshot()
	snap.Stats[1].LiveAnswers, snap.Stats[1].Abandoned = 100, 1
	cust, agent := pb.PartyRole_PARTY_ROLE_CUSTOMER, pb.PartyRole_PARTY_ROLE_AGENT
	m := run(t, top.New("", nil), snap,
		callEv(1, 0, 50, pb.CtiName_CTI_NAME_DIALING, cust, nil),      // ringing 4+1
		callEv(2, 1, 50, pb.CtiName_CTI_NAME_ESTABLISHED, cust, nil),  // waiting 1
		callEv(3, 1, 7, pb.CtiName_CTI_NAME_ESTABLISHED, cust, nil),   // one of the 4 ringing: waiting 2
		callEv(4, 2, 50, pb.CtiName_CTI_NAME_ESTABLISHED, agent, nil), // 50 talks: waiting 1
		callEv(5, 3, 99, pb.CtiName_CTI_NAME_RELEASED, cust, &pb.CallRecord{Outcome: pb.Outcome_OUTCOME_NO_ANSWER}),
		callEv(6, 3, 99, pb.CtiName_CTI_NAME_CALL_DELETED, 0, &pb.CallRecord{Outcome: pb.Outcome_OUTCOME_NO_ANSWER}),
		callEv(7, 4, 7, pb.CtiName_CTI_NAME_CALL_DELETED, 0, &pb.CallRecord{Outcome: pb.Outcome_OUTCOME_LIVE, Result: 1,
			AnswerTime: at(1)}),
	)
	// TASK NAME STATUS READY BUSY WRAP NOTRDY RINGING WAITING OCC ABANDON ...
	if got := line(t, m.View(), "1"); got[7] != "2" || got[8] != "0" || got[10] != "2.0%" {
		t.Fatalf("ringing %s waiting %s abandon %s, want 2 0 2.0%%\n%s", got[7], got[8], got[10], m.View())
	}
	// A pacing decision resets the counts.
	m = run(t, m, pacingEv(8, 5, &pb.PacingDecision{TaskId: 1, CallsRinging: 9, CallsWaiting: 3, AbandonRate: 0.02}))
	if got := line(t, m.View(), "1"); got[7] != "9" || got[8] != "3" {
		t.Fatalf("after a decision: %v", got)
	}
}

func taskEv(seq uint64, s int, task uint64, st pb.TaskStatus) top.EventMsg {
	return top.EventMsg{Event: &pb.Event{Seq: seq, Time: at(s), Body: &pb.Event_Task{Task: &pb.TaskStatusChange{TaskId: task, Status: st}}}}
}

// A task paused or resumed shows at once from its status event, without
// re-reading; a task the board does not show yet is fetched.
func TestTaskStatusEvents(t *testing.T) {
	var fetched []uint64
	m := top.New("", nil)
	m.FetchTask = func(id uint64) tea.Cmd {
		fetched = append(fetched, id)
		return nil
	}
	m = run(t, m, snapshot(), taskEv(1, 0, 1, pb.TaskStatus_TASK_STATUS_PAUSED))
	if got := line(t, m.View(), "1"); got[2] != "paused" {
		t.Fatalf("after the pause: %v", got)
	}
	m = run(t, m, taskEv(2, 1, 2, pb.TaskStatus_TASK_STATUS_RUNNING), taskEv(3, 2, 1, pb.TaskStatus_TASK_STATUS_RUNNING),
		taskEv(4, 3, 9, pb.TaskStatus_TASK_STATUS_RUNNING))
	if got := line(t, m.View(), "1"); got[2] != "running" {
		t.Fatalf("after the resumption: %v", got)
	}
	if got := line(t, m.View(), "2"); got[2] != "running" {
		t.Fatalf("task 2 after it started: %v", got)
	}
	if len(fetched) != 1 || fetched[0] != 9 {
		t.Fatalf("fetched %v, want task 9", fetched)
	}
}

// Decisions add up the calls placed; the last one's estimates show under
// its task, and a decision without estimates takes the line away.
func TestDecisionEstimates(t *testing.T) {
	m := run(t, top.New("", nil), snapshot(),
		pacingEv(1, 0, &pb.PacingDecision{TaskId: 1, Level: 1.2, Placed: 2}),
		pacingEv(2, 1, &pb.PacingDecision{TaskId: 1, Level: 1.4, Placed: 3, Estimates: map[string]float64{
			"answer_rate": 0.3, "live_rate": 1.25, "expected_free_agents": 2, "expected_abandons": 0.04, "risk": 0.02, "fallback": 1}}),
	)
	v := m.View()
	if got := line(t, v, "1"); got[13] != "1.40" || got[14] != "5" {
		t.Fatalf("level %s placed %s, want 1.40 5\n%s", got[13], got[14], v)
	}
	want := "estimate: answer rate 30.0% · live 1.25/s · agents free soon 2.0 · expected abandons 0.04 · risk 2.0% · " +
		"dialling progressively: abandon budget spent"
	if !strings.Contains(v, want) {
		t.Fatalf("no estimate line %q in\n%s", want, v)
	}
	m = run(t, m, pacingEv(3, 2, &pb.PacingDecision{TaskId: 1, Level: 1.4}))
	if v := m.View(); strings.Contains(v, "estimate:") {
		t.Fatalf("a decision without estimates keeps the old line:\n%s", v)
	}
}
