// Package top is the live wallboard of `outpace ctl top`: per task, its
// status, agents by state, calls ringing and waiting, occupancy, abandon
// rate (run and 24 h window) against the target, the pacer's dial level
// and calls placed, and the pacer's estimates behind its last decision.
//
// The Model is a bubbletea model whose Update and View are pure: it
// changes only on the messages it is given (one Snapshot at start, then
// the events of the stream), and time is the events' own, so a scripted
// sequence of messages always draws the same board. Run wires it to a
// server: one snapshot, then the event stream, never polling.
//
// Agents are counted from agent and party events: a login or ready event
// makes an agent ready, not ready with reason 4 (after-call work) puts it
// in wrap-up, any other reason not ready, an agent leg being dialled,
// ringing or established makes it busy, a logout takes it off the board.
// Calls ringing and waiting are followed call by call through the party
// events, from a base the snapshot gives (and each pacing decision
// resets); the run's abandon rate counts the records of deleted calls on
// top of the snapshot's figures. The window's abandon rate, the target and
// the dial level come from the snapshot and the pacing decisions; calls
// placed are those the decisions placed since top started, and the
// estimate line under a task (answer rate, live rate, agents free soon,
// expected abandons, risk) is its last decision's, when the pacer gave
// one. A task's status comes from the snapshot, then from the task status
// events of the stream, so a task paused or resumed shows at once.
// Occupancy is busy and wrap-up time over logged-in time, integrated
// between events from the moment top started; until time has passed it
// shows the run's figure from the snapshot.
package top

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"google.golang.org/protobuf/proto"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// AgentState is an agent's column on the board.
type AgentState int

// Agent states.
const (
	Out AgentState = iota
	Ready
	Busy
	WrapUp
	NotReady
)

// reasonAfterCall is the not-ready reason of after-call work.
const reasonAfterCall = 4

// Snapshot is what top reads once at start.
type Snapshot struct {
	// Tasks to show, in order.
	Tasks []*pb.Task
	// Stats of the tasks by id; a task may have none.
	Stats map[uint64]*pb.TaskStats
	// Members lists each queue's members with their device status.
	Members []*pb.QueueAgentStats
}

// SnapshotMsg delivers the snapshot.
type SnapshotMsg struct{ Snapshot }

// EventMsg delivers one event of the stream.
type EventMsg struct{ Event *pb.Event }

// StreamMsg reports a break of the event stream (Err set) or its
// resumption (Err nil); Final says the stream will not resume.
type StreamMsg struct {
	Err   error
	Final bool
}

// TaskMsg delivers a task top learned of from an event.
type TaskMsg struct{ Task *pb.Task }

// NoteMsg shows a note under the header, e.g. a failed refresh.
type NoteMsg struct{ Note string }

// ErrMsg ends the board with an error.
type ErrMsg struct{ Err error }

// callState is what the board knows of a call it saw start.
type callState uint8

const (
	callRinging callState = iota + 1
	callWaiting
	callTalking
	callEnded
)

// taskView is one task's line.
type taskView struct {
	task *pb.Task
	// Calls ringing and waiting: those the board saw start, by state,
	// plus a base of calls it did not see start (from the snapshot or the
	// last pacing decision), which their next event takes off.
	calls                  map[uint64]callState
	baseRinging            int32
	baseWaiting            int32
	live, abandoned        int64 // since the task opened: the rate's terms
	abandon, window, level float64
	target                 float64
	placed                 int64 // calls the decisions placed since top started
	estimates              map[string]float64
	decisions              int
	occ0                   float64 // the run's occupancy at the snapshot
	busySec, loggedSec     float64 // integrated since top started
}

// Model is the wallboard's state.
type Model struct {
	// Title names the server and tenant in the header.
	Title string
	// FetchTask, when set, makes the command that fetches a task an event
	// names but the board does not show yet.
	FetchTask func(id uint64) tea.Cmd
	// Refresh, when set, makes the command that reads a new snapshot, on
	// the r key (the stream keeps the board current; r re-reads what a
	// broken stream may have missed).
	Refresh func() tea.Cmd

	ready   bool
	order   []uint64
	tasks   map[uint64]*taskView
	only    map[uint64]bool
	asked   map[uint64]bool
	members map[uint32][]uint32 // queue → agents
	agents  map[uint32]AgentState
	last    time.Time // time of the last event
	seq     uint64
	events  int
	stream  string
	note    string
	err     error
	width   int
}

// New returns a board waiting for its snapshot; with tasks set, it shows
// only those.
func New(title string, tasks []uint64) Model {
	m := Model{Title: title, tasks: map[uint64]*taskView{}, members: map[uint32][]uint32{},
		agents: map[uint32]AgentState{}, asked: map[uint64]bool{}, stream: "connecting"}
	if len(tasks) > 0 {
		m.only = map[uint64]bool{}
		for _, t := range tasks {
			m.only[t] = true
		}
	}
	return m
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd { return nil }

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "Q", "ctrl+c", "esc":
			return m, tea.Quit
		case "r", "R":
			if m.Refresh != nil {
				return m, m.Refresh()
			}
		}
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case SnapshotMsg:
		m.note = ""
		m.snapshot(msg.Snapshot)
	case NoteMsg:
		m.note = msg.Note
	case TaskMsg:
		m.addTask(msg.Task, nil)
	case EventMsg:
		return m, m.event(msg.Event)
	case StreamMsg:
		switch {
		case msg.Err != nil && msg.Final:
			m.stream = "closed: " + firstLine(msg.Err.Error())
		case msg.Err != nil:
			m.stream = "reconnecting: " + firstLine(msg.Err.Error())
		default:
			m.stream = "live"
		}
	case ErrMsg:
		m.err = msg.Err
		return m, tea.Quit
	}
	return m, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (m *Model) snapshot(s Snapshot) {
	m.ready = true
	if m.stream == "connecting" {
		m.stream = "live"
	}
	for _, t := range s.Tasks {
		m.addTask(t, s.Stats[t.GetId()])
	}
	for _, a := range s.Members {
		q := a.GetQueueId()
		if !slices.Contains(m.members[q], a.GetAgentId()) {
			m.members[q] = append(m.members[q], a.GetAgentId())
		}
		m.agents[a.GetAgentId()] = fromStatus(pb.AgentStatusCode(a.GetStatus()))
	}
}

// fromStatus reads an agent's device status code.
func fromStatus(c pb.AgentStatusCode) AgentState {
	switch c {
	case pb.AgentStatusCode_AGENT_STATUS_CODE_NOT_INUSE:
		return Ready
	case pb.AgentStatusCode_AGENT_STATUS_CODE_INUSE, pb.AgentStatusCode_AGENT_STATUS_CODE_RINGING,
		pb.AgentStatusCode_AGENT_STATUS_CODE_RINGINUSE, pb.AgentStatusCode_AGENT_STATUS_CODE_ONHOLD:
		return Busy
	case pb.AgentStatusCode_AGENT_STATUS_CODE_BUSY:
		return NotReady
	case pb.AgentStatusCode_AGENT_STATUS_CODE_WRAPUP:
		return WrapUp
	}
	return Out
}

func (m *Model) addTask(t *pb.Task, st *pb.TaskStats) {
	id := t.GetId()
	if m.only != nil && !m.only[id] {
		return
	}
	v, ok := m.tasks[id]
	if !ok {
		v = &taskView{}
		m.tasks[id] = v
		m.order = append(m.order, id)
		sort.Slice(m.order, func(i, j int) bool { return m.order[i] < m.order[j] })
	}
	v.task = t
	if v.target == 0 {
		v.target = t.GetPacing().GetAbandonTarget()
	}
	if st != nil {
		v.calls = map[uint64]callState{}
		v.baseRinging, v.baseWaiting = st.GetCallsRinging(), st.GetCallsWaiting()
		v.live, v.abandoned = st.GetLiveAnswers(), st.GetAbandoned()
		v.abandon, v.window, v.target = st.GetAbandonRate(), st.GetAbandonRateWindow(), st.GetAbandonTarget()
		v.level, v.occ0 = st.GetDialLevel(), st.GetOccupancy()
	}
	if v.calls == nil {
		v.calls = map[uint64]callState{}
	}
}

// event applies one event; it returns a command to fetch a task the board
// does not know yet.
func (m *Model) event(ev *pb.Event) tea.Cmd {
	m.events++
	m.seq = ev.GetSeq()
	if ev.GetTime() != nil {
		m.advance(ev.GetTime().AsTime())
	}
	var task uint64
	switch b := ev.GetBody().(type) {
	case *pb.Event_Pacing:
		p := b.Pacing
		task = p.GetTaskId()
		if v := m.tasks[task]; v != nil {
			r, w := v.counts()
			v.baseRinging += p.GetCallsRinging() - r
			v.baseWaiting += p.GetCallsWaiting() - w
			v.abandon, v.window, v.target = p.GetAbandonRate(), p.GetAbandonRateWindow(), p.GetAbandonTarget()
			v.level = p.GetLevel()
			v.placed += int64(p.GetPlaced())
			v.estimates = p.GetEstimates()
			v.decisions++
		}
	case *pb.Event_Task:
		c := b.Task
		task = c.GetTaskId()
		if v := m.tasks[task]; v != nil {
			t := proto.Clone(v.task).(*pb.Task)
			t.Status = c.GetStatus()
			v.task = t
		}
	case *pb.Event_Cti:
		c := b.Cti
		task = c.GetTaskId()
		m.agentEvent(c)
		if v := m.tasks[task]; v != nil && c.GetCallId() != 0 {
			v.callEvent(c)
		}
	}
	if task != 0 && m.tasks[task] == nil && !m.asked[task] && (m.only == nil || m.only[task]) && m.FetchTask != nil {
		m.asked[task] = true
		return m.FetchTask(task)
	}
	return nil
}

func (m *Model) agentEvent(c *pb.CtiEvent) {
	id := c.GetAgentId()
	if id == 0 {
		return
	}
	switch c.GetName() {
	case pb.CtiName_CTI_NAME_AGENT_LOGIN:
		m.agents[id] = notReady(c.GetReason())
	case pb.CtiName_CTI_NAME_AGENT_READY, pb.CtiName_CTI_NAME_DELAY_AFTER_CALL_WORK:
		m.agents[id] = Ready
	case pb.CtiName_CTI_NAME_AGENT_NOT_READY:
		m.agents[id] = notReady(c.GetReason())
		if c.GetReason() == 0 {
			m.agents[id] = NotReady
		}
	case pb.CtiName_CTI_NAME_AGENT_LOGOUT:
		m.agents[id] = Out
	case pb.CtiName_CTI_NAME_DIALING, pb.CtiName_CTI_NAME_RINGING, pb.CtiName_CTI_NAME_ESTABLISHED,
		pb.CtiName_CTI_NAME_HELD, pb.CtiName_CTI_NAME_RETRIEVED:
		if c.GetRole() == pb.PartyRole_PARTY_ROLE_AGENT {
			m.agents[id] = Busy
		}
	}
}

// callEvent follows a call of the task through its party events; a call
// deleted with its record counts in the run's abandon rate.
func (v *taskView) callEvent(c *pb.CtiEvent) {
	id := c.GetCallId()
	st, known := v.calls[id]
	customer := c.GetRole() == pb.PartyRole_PARTY_ROLE_CUSTOMER
	switch c.GetName() {
	case pb.CtiName_CTI_NAME_DIALING, pb.CtiName_CTI_NAME_RINGING:
		if customer && !known {
			v.calls[id] = callRinging
		}
	case pb.CtiName_CTI_NAME_ESTABLISHED:
		switch {
		case customer && (!known || st == callRinging):
			if !known {
				v.baseRinging--
			}
			v.calls[id] = callWaiting
		case !customer && (!known || st == callWaiting):
			if !known {
				v.baseWaiting--
			}
			v.calls[id] = callTalking
		}
	case pb.CtiName_CTI_NAME_RELEASED, pb.CtiName_CTI_NAME_CALL_DELETED:
		if c.GetName() == pb.CtiName_CTI_NAME_RELEASED && !customer {
			return
		}
		if !known && c.GetReason() == 0 {
			// A call the board did not see start: its record says where
			// it was.
			switch r := c.GetRecord(); {
			case r == nil:
			case r.GetAnswerTime() == nil:
				v.baseRinging--
			case r.GetAgentAnswerTime() == nil:
				v.baseWaiting--
			}
		}
		if c.GetName() == pb.CtiName_CTI_NAME_CALL_DELETED {
			delete(v.calls, id)
			if r := c.GetRecord(); r != nil && c.GetReason() == 0 {
				if r.GetOutcome() == pb.Outcome_OUTCOME_LIVE {
					v.live++
				}
				if r.GetResult() == 1 {
					v.abandoned++
				}
				if v.live > 0 {
					v.abandon = float64(v.abandoned) / float64(v.live)
				}
			}
		} else {
			v.calls[id] = callEnded
		}
	}
	v.baseRinging, v.baseWaiting = max(v.baseRinging, 0), max(v.baseWaiting, 0)
}

// counts returns the calls ringing and waiting.
func (v *taskView) counts() (ringing, waiting int32) {
	ringing, waiting = v.baseRinging, v.baseWaiting
	for _, st := range v.calls {
		switch st {
		case callRinging:
			ringing++
		case callWaiting:
			waiting++
		}
	}
	return ringing, waiting
}

// notReady is the state of an agent logging in or going not ready with
// reason (0 = ready at login).
func notReady(reason int32) AgentState {
	switch reason {
	case 0:
		return Ready
	case reasonAfterCall:
		return WrapUp
	}
	return NotReady
}

// advance integrates each task's busy and logged-in agent time up to t.
func (m *Model) advance(t time.Time) {
	if !m.last.IsZero() && t.After(m.last) {
		dt := t.Sub(m.last).Seconds()
		for _, v := range m.tasks {
			c := m.count(v)
			v.busySec += float64(c[Busy]+c[WrapUp]) * dt
			v.loggedSec += float64(c[Ready]+c[Busy]+c[WrapUp]+c[NotReady]) * dt
		}
	}
	if t.After(m.last) {
		m.last = t
	}
}

// count counts the agents of a task's queue by state.
func (m *Model) count(v *taskView) [5]int {
	var c [5]int
	for _, a := range m.members[v.task.GetQueueId()] {
		c[m.agents[a]]++
	}
	return c
}

// Occupancy returns a task's occupancy as the board shows it.
func (m Model) Occupancy(task uint64) float64 {
	v := m.tasks[task]
	if v == nil {
		return 0
	}
	if v.loggedSec > 0 {
		return v.busySec / v.loggedSec
	}
	return v.occ0
}

// Agents returns how many of a task's agents are in each state (indexed by
// AgentState).
func (m Model) Agents(task uint64) [5]int {
	v := m.tasks[task]
	if v == nil {
		return [5]int{}
	}
	return m.count(v)
}

// Err returns the error that ended the board, if any.
func (m Model) Err() error { return m.err }

var (
	titleStyle = lipgloss.NewStyle().Bold(true)
	headStyle  = lipgloss.NewStyle().Bold(true).Underline(true)
	overStyle  = lipgloss.NewStyle().Foreground(lipgloss.Color("9")).Bold(true)
	okStyle    = lipgloss.NewStyle().Foreground(lipgloss.Color("10"))
	dimStyle   = lipgloss.NewStyle().Faint(true)
)

// columns of the board: header and width.
var columns = []struct {
	name  string
	width int
}{
	{"TASK", 6}, {"NAME", 14}, {"STATUS", 9}, {"READY", 6}, {"BUSY", 5}, {"WRAP", 5}, {"NOTRDY", 7},
	{"RINGING", 8}, {"WAITING", 8}, {"OCC", 7}, {"ABANDON", 8}, {"24H", 8}, {"TARGET", 7}, {"LEVEL", 7},
	{"PLACED", 7},
}

func cell(s string, w int) string {
	if len([]rune(s)) > w-1 {
		s = string([]rune(s)[:w-1])
	}
	return s + strings.Repeat(" ", w-len([]rune(s)))
}

// View implements tea.Model.
func (m Model) View() string {
	var b strings.Builder
	b.WriteString(titleStyle.Render("outpace top") + "  " + m.Title + "\n")
	last := "-"
	if !m.last.IsZero() {
		last = m.last.Local().Format("15:04:05")
	}
	fmt.Fprintf(&b, "stream %s · %d events · last seq %d at %s\n", m.stream, m.events, m.seq, last)
	if m.note != "" {
		b.WriteString(overStyle.Render(m.note))
	}
	b.WriteString("\n")
	if m.err != nil {
		b.WriteString(overStyle.Render("error: "+firstLine(m.err.Error())) + "\n")
		return b.String()
	}
	if !m.ready {
		b.WriteString("reading the snapshot…\n")
		return b.String()
	}
	var head strings.Builder
	for _, c := range columns {
		head.WriteString(cell(c.name, c.width))
	}
	b.WriteString(headStyle.Render(strings.TrimRight(head.String(), " ")) + "\n")
	if len(m.order) == 0 {
		b.WriteString(dimStyle.Render("no task to show") + "\n")
	}
	for _, id := range m.order {
		v := m.tasks[id]
		c := m.count(v)
		status := strings.ToLower(strings.TrimPrefix(v.task.GetStatus().String(), "TASK_STATUS_"))
		if v.task.GetStatus() == pb.TaskStatus_TASK_STATUS_UNSPECIFIED {
			status = "new"
		}
		var line strings.Builder
		ringing, waiting := v.counts()
		cells := []string{
			fmt.Sprint(id), v.task.GetName(), status,
			fmt.Sprint(c[Ready]), fmt.Sprint(c[Busy]), fmt.Sprint(c[WrapUp]), fmt.Sprint(c[NotReady]),
			fmt.Sprint(ringing), fmt.Sprint(waiting), pct(m.Occupancy(id)),
			pct(v.abandon), pct(v.window), pct(v.target), fmt.Sprintf("%.2f", v.level), fmt.Sprint(v.placed),
		}
		for i, s := range cells {
			text := cell(s, columns[i].width)
			switch columns[i].name {
			case "ABANDON", "24H":
				x := v.abandon
				if columns[i].name == "24H" {
					x = v.window
				}
				if v.target > 0 && x > v.target {
					text = overStyle.Render(text)
				} else if v.target > 0 {
					text = okStyle.Render(text)
				}
			}
			line.WriteString(text)
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		if e := estimateLine(v.estimates); e != "" {
			b.WriteString(dimStyle.Render(strings.Repeat(" ", columns[0].width)+e) + "\n")
		}
	}
	b.WriteString("\n" + dimStyle.Render("q quit · r re-read tasks and agents") + "\n")
	return b.String()
}

// estimateLine shows the pacer's estimates of a decision ("" when it gave
// none): the share answered live and live answers a second, the agents it
// expects free soon, the abandons it expects from the calls in flight, the
// risk threshold it held each call under, and whether it fell back to
// progressive dialling.
func estimateLine(e map[string]float64) string {
	if len(e) == 0 {
		return ""
	}
	var parts []string
	for _, f := range []struct{ key, format string }{
		{"answer_rate", "answer rate %.1f%%"}, {"live_rate", "live %.2f/s"},
		{"expected_free_agents", "agents free soon %.1f"}, {"expected_abandons", "expected abandons %.2f"},
		{"risk", "risk %.1f%%"},
	} {
		x, ok := e[f.key]
		if !ok {
			continue
		}
		if strings.HasSuffix(f.format, "%%") {
			x *= 100
		}
		parts = append(parts, fmt.Sprintf(f.format, x))
	}
	if e["fallback"] != 0 {
		parts = append(parts, "dialling progressively: abandon budget spent")
	}
	return "estimate: " + strings.Join(parts, " · ")
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
