package store

import (
	"errors"
	"io"
	"iter"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// Serving is the durable side of the engine's Ready loop, what the runner
// uses (package runner declares the interface it consumes, runner.Store).
// One goroutine calls it.
//
//	rs, _ := st.Recover(now)            // once, before serving
//	…rebuild the engine from rs…
//	for {
//		rd := eng.Ready()
//		w := records.Writes{Numbers: rd.Numbers, Records: rd.Records, Tasks: rd.Tasks, Events: rd.Events}
//		seqs, err = st.Commit(w, hooks, seqs[:0]) // durable before any command runs
//		…run rd.Commands (CmdFetchNumbers → st.NextNumbers → EvNumbers)…
//		…publish rd.Events with seqs…
//		eng.Advance(rd)
//	}
type Serving interface {
	// Recover prepares the store for serving after a start or a crash and
	// returns what the engine is rebuilt from. The calls that were in flight
	// (numbers left NumberDialing) are closed durably before it returns: each
	// gets a call record with Disposition "interrupted" and its number becomes
	// NumberPending again, due after the store's interrupted-retry delay. They
	// are listed in RecoveredState.Interrupted so that the runner can hang them
	// up at the backend and tell subscribers. Recover reads the in-flight index
	// and the small tables only, never the whole list.
	Recover(now time.Time) (RecoveredState, error)

	// Commit makes w durable in one batch (one transaction, synced) before it
	// returns: w.Numbers, w.Records, w.Tasks, w.Events (appended to the event
	// log) and hooks (queued in the webhook outbox). It appends the sequence
	// number given to each of w.Events to seqs, in order, and returns it. w is
	// not modified or retained. (Writes beyond Badger's transaction limit,
	// some 100 000 keys, are written in consecutive transactions, numbers
	// first.) The runner builds w from the engine's Ready.
	//
	// Number updates follow the engine's contract: NumberDialing marks the
	// number in flight (NextNumbers never returns it again and Recover finds
	// it); NumberPending puts it back in the due index at max(NotBefore,
	// NextAt), and one with no Call (handed back undialled) keeps the outcome
	// of its last attempt; NumberDone and NumberSkipped take it out for good. An update for
	// a number or task the store does not know is skipped and logged.
	Commit(w records.Writes, hooks []Webhook, seqs []uint64) ([]uint64, error)

	// NextNumbers appends to buf[:0] up to max numbers of task that are due at
	// now, in dialling order: scheduled callbacks first, then higher priority,
	// then earlier due time (max of not-before and retry time), then lower ID.
	// Numbers whose time zone is outside the task's calling window at now are
	// left for later. A number returned once is not returned again until a
	// Commit updates it or ReleaseNumbers releases the task's numbers: the
	// engine holds it. Numbers found past their NotAfter are retired as
	// NumberSkipped with ReasonExpired. Fewer than max means nothing else is
	// due now.
	NextNumbers(task records.TaskID, now time.Time, max int, buf []records.Number) ([]records.Number, error)

	// ReleaseNumbers makes the numbers of task that NextNumbers handed out and
	// no Commit has updated since available again (the engine dropped them).
	ReleaseNumbers(task records.TaskID)

	// DialUntil returns when task stops dialing for the day as seen at now:
	// the end of the unbroken stretch from now during which its calling
	// window is open for some of its numbers; zero when it is closed for all
	// of them at now, or open for a week on end. The runner passes it with
	// each batch of numbers (engine.Event.DialUntil).
	DialUntil(task records.TaskID, now time.Time) (time.Time, error)
}

// Admin holds tenants, their credentials, tasks, queues and agents.
type Admin interface {
	// PutTenant creates or replaces a tenant.
	PutTenant(t Tenant) error
	// GetTenant returns a tenant; a missing one is an error wrapping ErrNotFound.
	GetTenant(id string) (Tenant, error)
	// ListTenants returns every tenant, ordered by ID.
	ListTenants() ([]Tenant, error)

	// SetCredential creates or replaces the app credential app of tenant.
	// The secret is stored only as a salted argon2id hash.
	SetCredential(tenant, app, secret string) error
	// DeleteCredential removes an app credential.
	DeleteCredential(app string) error
	// CheckCredentials returns the tenant of app when secret is its secret,
	// and otherwise an error wrapping ErrBadCredentials (whether the app
	// exists or not).
	CheckCredentials(app, secret string) (tenant string, err error)

	// CreateTask stores a new task with status TaskCreated. A zero
	// t.Spec.ID is given the next free task ID, written back into t.
	CreateTask(t *Task) error
	// UpdateTask replaces the spec and calling window of an existing task of
	// the same tenant; its status and progress are kept (they change through
	// Commit).
	UpdateTask(t *Task) error
	// GetTask returns a task of tenant; another tenant's task does not exist
	// (apierr.TaskNotExist).
	GetTask(tenant string, id records.TaskID) (Task, error)
	// ListTasks returns the tasks of tenant, ordered by ID.
	ListTasks(tenant string) ([]Task, error)
	// DeleteTask removes a task that is not running, with its list,
	// schedules and task blacklist. Its call records stay.
	DeleteTask(tenant string, id records.TaskID) error

	// PutQueue creates (zero q.Spec.ID: a new ID is written back) or replaces
	// a queue of q.Spec.Tenant.
	PutQueue(q *Queue) error
	// GetQueue returns a queue of tenant.
	GetQueue(tenant string, id records.QueueID) (Queue, error)
	// ListQueues returns the queues of tenant, ordered by ID.
	ListQueues(tenant string) ([]Queue, error)
	// DeleteQueue removes a queue of tenant.
	DeleteQueue(tenant string, id records.QueueID) error

	// PutAgent creates (zero a.ID: a new ID is written back) or replaces an
	// agent of a.Tenant.
	PutAgent(a *records.AgentSpec) error
	// GetAgent returns an agent of tenant (apierr.NotFoundAgentID when missing).
	GetAgent(tenant string, id records.AgentID) (records.AgentSpec, error)
	// ListAgents returns the agents of tenant, ordered by ID.
	ListAgents(tenant string) ([]records.AgentSpec, error)
	// DeleteAgent removes an agent of tenant.
	DeleteAgent(tenant string, id records.AgentID) error
}

// Lists holds the numbers of tasks: imports, look-ups, removals and
// scheduled callbacks. Callers check that the task belongs to the caller's
// tenant (Admin.GetTask) first.
type Lists interface {
	// ImportNumbers adds nums to task. Each entry is validated (E.164 phone,
	// known time zone, not-after after not-before, …) and checked against the
	// task's list: an invalid entry or a phone already in the task (or earlier
	// in nums) is reported in the result, never stored, and does not fail the
	// others. Stored entries get their ID and Task written into nums. Entries
	// are committed in chunks of ImportChunk, each atomic and durable.
	ImportNumbers(task records.TaskID, nums []records.Number) (ImportResult, error)
	// ImportStream imports a stream of numbers of any length, like
	// ImportNumbers, calling progress (when not nil) after every committed
	// chunk. An entry that arrives with an error (a line the parser refused)
	// is reported as invalid at its index. See LinesSource for seed-001 lists.
	ImportStream(task records.TaskID, src iter.Seq2[records.Number, error], progress func(ImportProgress)) (ImportResult, error)
	// GetNumber returns a number of task by ID.
	GetNumber(task records.TaskID, id records.NumberID) (NumberInfo, error)
	// FindNumber returns the number of task whose phone is phone.
	FindNumber(task records.TaskID, phone string) (NumberInfo, error)
	// RemoveNumbers removes the numbers of task with these phones and returns
	// how many it removed. Numbers in flight and unknown phones are left.
	RemoveNumbers(task records.TaskID, phones []string) (int, error)
	// ScheduleCallback schedules a callback: the number of s.Phone in s.Task
	// (created when the task has none) becomes a pending callback due at
	// s.At, ahead of every list number. A callback scheduled while the number
	// is in flight takes effect when that call ends.
	ScheduleCallback(s Schedule) (records.NumberID, error)
	// ListSchedules returns the pending callbacks of task due in [from, to)
	// (zero bounds are open), in due order.
	ListSchedules(task records.TaskID, from, to time.Time) ([]NumberInfo, error)
	// RemoveSchedules removes the pending callbacks of task due in [from, to)
	// whose phone is phone ("" = any) and returns how many it removed.
	RemoveSchedules(task records.TaskID, phone string, from, to time.Time) (int, error)
	// Respool puts the number of r.Phone in r.Task back in the task's
	// dialling order, due now (or when its own not-before says), its
	// attempts counted afresh and its retry wait, skip reason and pending
	// callback dropped, with r's changes. A number being dialled is refused:
	// respool it when its call has ended.
	Respool(r Respool) (records.NumberID, error)
	// CountNumbers counts the numbers of task by state. It reads only the
	// task's keys: the due index (pending) and the in-flight index
	// (dialing) without their values, and the state byte of each number
	// that has left its imported position (done and skipped), so its cost
	// is proportional to the task's list, never to the whole store. A
	// number handed to the engine but not dialled yet counts as pending.
	CountNumbers(task records.TaskID) (NumberCounts, error)
}

// NumberCounts is how many numbers of a task are in each state.
type NumberCounts struct {
	Pending, Dialing, Done, Skipped int64
}

// Respool is a number put back in its task's list (seed 001 Respool).
type Respool struct {
	Task         records.TaskID
	Phone        string            // the number's current phone, E.164
	Alternatives []string          // replace the number's alternatives when set
	Priority     int               // the number's new priority; 0 keeps it
	Data         map[string]string // merged into the number's data
}

// Blacklists holds the do-not-call lists of tenants (task 0) and of tasks.
type Blacklists interface {
	// Blacklist adds phones to the blacklist of tenant (task 0) or of one of
	// its tasks, all or none.
	Blacklist(tenant string, task records.TaskID, phones ...string) error
	// Unblacklist removes phones from that blacklist.
	Unblacklist(tenant string, task records.TaskID, phones ...string) error
	// Blacklisted reports whether phone may not be called for task: it is on
	// the tenant's blacklist or on the task's.
	Blacklisted(tenant string, task records.TaskID, phone string) (bool, error)
	// ListBlacklist returns up to max phones of one blacklist after the phone
	// after ("" = from the start), in order.
	ListBlacklist(tenant string, task records.TaskID, after string, max int) ([]string, error)
}

// Records holds call records (CDRs) and dispositions.
type Records interface {
	// QueryRecords returns one page of the call records of q.Tenant that match
	// q, ordered by start time then call ID. Unless q.Peek, every record
	// returned is marked pulled (seed-003 syncflag).
	QueryRecords(q RecordQuery) (RecordPage, error)
	// GetRecord returns the call record of call (apierr.NotFoundCallID when
	// missing).
	GetRecord(tenant string, call records.CallID) (records.CallRecord, error)
	// SetDisposition stores the disposition of a call, sets its record's
	// Disposition to d.Tag (which makes the record unpulled again), and
	// schedules a callback of the called number when d.Reschedule is set.
	SetDisposition(tenant string, call records.CallID, d Disposition) error
	// GetDisposition returns the disposition of a call.
	GetDisposition(tenant string, call records.CallID) (Disposition, error)
}

// EventLog is the durable log of CTI events, numbered per tenant from 1 so
// that a client can resume a stream from the last number it saw.
type EventLog interface {
	// AppendEvents appends evs (events the engine did not produce) to the
	// logs of their tenants, appends their sequence numbers to seqs and
	// returns it.
	AppendEvents(evs []records.CTIEvent, seqs []uint64) ([]uint64, error)
	// ReadEvents appends to buf[:0] up to max events of tenant with sequence
	// numbers from `from` on, in order. A first sequence number above from
	// means the events before it were pruned.
	ReadEvents(tenant string, from uint64, max int, buf []Event) ([]Event, error)
	// LastSeq returns the sequence number of the last event of tenant (0 when
	// none was ever appended). Pruning does not lower it.
	LastSeq(tenant string) (uint64, error)
	// PruneEvents removes, from the head of each tenant's log, the events
	// older than before (the retention policy), and returns how many. A log
	// is cut at its first event at or after before, so it never has holes.
	PruneEvents(before time.Time) (int, error)
}

// Outbox is the durable queue of webhook notifications with the seed retry
// schedule (RetrySchedule).
type Outbox interface {
	// EnqueueWebhooks queues hooks; each gets an ID, and a zero NextAt is
	// set to Created (due at once).
	EnqueueWebhooks(hooks []Webhook) error
	// DueWebhooks appends to buf[:0] up to max queued webhooks due at now, in
	// due order. A webhook returned is not returned again for WebhookLease
	// unless WebhookFailed reschedules it.
	DueWebhooks(now time.Time, max int, buf []Webhook) ([]Webhook, error)
	// WebhookDone removes a delivered webhook.
	WebhookDone(id uint64) error
	// WebhookFailed records a failed delivery at now: the webhook is retried
	// after the next delay of RetrySchedule, or, when the schedule is used
	// up, given up and kept for FailedWebhooks (gaveUp true).
	WebhookFailed(id uint64, now time.Time, reason string) (gaveUp bool, err error)
	// FailedWebhooks returns the webhooks of tenant that were given up.
	FailedWebhooks(tenant string) ([]Webhook, error)
}

// Store is everything outpace keeps on disk. Consumers take the narrow
// interface they need (Admin, Lists, …, or declare their own, as the
// runner does); the conformance suite in
// store/storetest exercises all of it.
type Store interface {
	Serving
	Admin
	Lists
	Blacklists
	Records
	EventLog
	Outbox
	io.Closer
}

// ErrNotFound is wrapped by every error about a missing object.
var ErrNotFound = errors.New("not found")

// ErrBadCredentials is wrapped by CheckCredentials when the app or the secret
// is wrong.
var ErrBadCredentials = errors.New("bad credentials")

// ReasonExpired is the Reason of a number skipped because its NotAfter passed
// before it could be dialled (ours; seed 002 uses 1, 2 and 400).
const ReasonExpired = records.NoCallExpired

// DispositionInterrupted is the Disposition of the call record that Recover
// writes for a call in flight at a crash.
const DispositionInterrupted = "interrupted"

// RetrySchedule is the delay before each retry of a failed webhook (seeds
// 000, 003, 004): after the last one fails the webhook is given up.
var RetrySchedule = [...]time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 180 * time.Second,
	1800 * time.Second, 1800 * time.Second, 1800 * time.Second, 1800 * time.Second,
	3600 * time.Second,
}

// WebhookLease is how long DueWebhooks hides a webhook it returned.
const WebhookLease = time.Minute

// MaxPage is the largest page of QueryRecords (seed 003 itemsperpage).
const MaxPage = 1000

// DefaultPage is the page size of a RecordQuery with Limit 0.
const DefaultPage = 10

// ImportChunk is how many numbers an import commits in one transaction.
const ImportChunk = 8192

// Tenant is a customer of the service; every object belongs to one.
type Tenant struct {
	ID      string    `json:"id"`               // companyId / companycode: 1–128 bytes, no NUL
	Name    string    `json:"name,omitempty"`   // display name
	TZ      string    `json:"tz,omitempty"`     // zone of numbers whose prefix has none ("" = UTC)
	Created time.Time `json:"created,omitzero"` // set by the caller
}

// Task is a stored task: the engine's spec, its status and its calling window.
type Task struct {
	Spec      records.TaskSpec   `json:"spec"`                // what the engine runs; Spec.Tenant owns the task
	Status    records.TaskStatus `json:"status"`              // changed by the engine's TaskUpdates (Commit)
	Exhausted bool               `json:"exhausted,omitempty"` // no number was left to dial at the last check
	Window    records.Window     `json:"window"`              // calling window in the called party's local time
	Created   time.Time          `json:"created,omitzero"`    // set by the caller
	Updated   time.Time          `json:"updated,omitzero"`    // At of the last status change
}

// EngineSpec returns the spec the engine runs: Spec with the task's calling
// window, which the engine checks at every dial.
func (t *Task) EngineSpec() records.TaskSpec {
	s := t.Spec
	s.Window = t.Window
	return s
}

// Queue is a stored queue: the engine's spec and its member agents.
type Queue struct {
	Spec    records.QueueSpec `json:"spec"`              // Spec.Tenant owns the queue
	Members []records.AgentID `json:"members,omitempty"` // agents of the queue, in member order
	Group   bool              `json:"group,omitempty"`   // an extension group rather than a queue
	Remark  string            `json:"remark,omitempty"`  // the integrator's free text
}

// NumberInfo is a stored number with its state.
type NumberInfo struct {
	records.Number
	State   records.NumberState // where the number stands
	NextAt  time.Time           // retry time of a pending number (zero: NotBefore rules)
	Call    records.CallID      // the last call that dialled it
	Outcome records.Outcome     // of the last attempt
	Reason  int                 // of a NumberSkipped
	Updated time.Time           // time of the last update
}

// Interrupted is a call that was in flight when the store last stopped,
// closed by Recover.
type Interrupted struct {
	Task     records.TaskID     // the number's task
	Number   records.NumberID   // the number that was being dialled
	Call     records.CallID     // the call that was dialling the number
	Phone    string             // the number's phone
	DialedAt time.Time          // when the call started
	NextAt   time.Time          // when the number is due again
	Record   records.CallRecord // the record written for the call
}

// RecoveredState is what Recover returns.
type RecoveredState struct {
	Tasks       []Task              // every task, with its status
	Queues      []Queue             // every queue, with its members
	Agents      []records.AgentSpec // every agent
	Interrupted []Interrupted       // the calls in flight at the stop, now closed
	// LastCall is the highest call ID the store has seen. The engine must
	// number new calls above it so that call IDs stay unique across restarts.
	LastCall records.CallID
}

// ImportResult says what an import stored and what it refused.
type ImportResult struct {
	Stored     int        // entries stored
	Invalid    []Rejected // entries that failed validation (Err names the field)
	Duplicates []Rejected // entries whose phone the task already has (Existing is set)
}

// Rejected is one entry an import did not store.
type Rejected struct {
	Index    int              // position in the import, from 0
	Phone    string           // as given
	Err      error            // why: an *apierr.Error naming the field, or the source's error
	Existing records.NumberID // the number that already has the phone (duplicates)
}

// ImportProgress is reported after every committed chunk of an import.
type ImportProgress struct {
	Read       int // entries read from the source
	Stored     int // entries committed
	Invalid    int // entries refused as invalid
	Duplicates int // entries refused as duplicates
}

// Schedule is a callback to schedule (seed 001 ScheduleDialerCall).
type Schedule struct {
	Task         records.TaskID    // the task to call back in
	Phone        string            // E.164
	At           time.Time         // when to call back
	Alternatives []string          // replace the number's alternatives when set
	Data         map[string]string // merged into the number's data
	Priority     int               // of a number created by the schedule
	TZ           string            // of a number created by the schedule ("" = from the phone)
}

// Disposition is what an agent recorded about a call (seed 001 DispositionCall).
type Disposition struct {
	Levels     [3]string         `json:"levels"`              // l1, l2, l3
	Tag        string            `json:"tag,omitempty"`       // the record's Disposition; "" = "l1|l2|l3"
	Comment    string            `json:"comment,omitempty"`   //
	Data       map[string]string `json:"data,omitempty"`      // d1, d2, free keys
	Agent      records.AgentID   `json:"agent,omitempty"`     // who recorded it
	At         time.Time         `json:"at,omitzero"`         // when
	Reschedule time.Time         `json:"reschedule,omitzero"` // schedule a callback at this time
}

// SyncFlag selects call records by whether a query already returned them,
// with the seed-003 syncflag numbers. The zero value selects all.
type SyncFlag uint8

// Sync flags.
const (
	SyncUnpulled SyncFlag = 1 // records no query has returned yet
	SyncPulled   SyncFlag = 2 // records a query has returned
	SyncAll      SyncFlag = 3 // every record
)

// RecordQuery selects call records. Zero fields do not filter.
type RecordQuery struct {
	Tenant  string               // required
	From    time.Time            // start time ≥ From
	To      time.Time            // start time < To
	Task    records.TaskID       // records of this task
	Number  records.NumberID     // records of this number
	Called  string               // called number (seed destnumber)
	Agent   records.AgentID      // records of calls this agent took
	Results []records.CallResult // any of these callresults
	Sync    SyncFlag             // pulled or not (seed syncflag)
	// SearchAfter is the cursor of the previous page ("" = first page).
	SearchAfter string
	// Limit is the page size, at most MaxPage (0 = DefaultPage).
	Limit int
	// Peek leaves the records' pulled flag as it is.
	Peek bool
}

// RecordPage is one page of QueryRecords.
type RecordPage struct {
	Records []records.CallRecord // in start time, then call ID, order
	// SearchAfter is the cursor of the next page; "" when this page is not
	// full. A full page may be followed by an empty one.
	SearchAfter string
}

// Event is a CTI event of the log with its per-tenant sequence number.
type Event struct {
	Seq uint64 // per tenant, from 1
	records.CTIEvent
}

// Webhook is a notification to post (seed 000/003/004 callbacks).
type Webhook struct {
	ID        uint64    `json:"id"`                   // given by the outbox
	Tenant    string    `json:"tenant"`               // required
	Kind      string    `json:"kind"`                 // "extension", "bill", "task", …
	URL       string    `json:"url"`                  // required
	Body      []byte    `json:"body"`                 // posted as is (form or signed JSON, by Kind)
	Created   time.Time `json:"created,omitzero"`     // when it was queued
	NextAt    time.Time `json:"next_at,omitzero"`     // when it is due
	Attempts  int       `json:"attempts,omitempty"`   // failed deliveries so far
	LastError string    `json:"last_error,omitempty"` // of the last failed delivery
	GaveUp    bool      `json:"gave_up,omitempty"`    // the retry schedule is used up
	GaveUpAt  time.Time `json:"gave_up_at,omitzero"`  // when it was given up
}

func notFound(code apierr.Code, field, format string, args ...any) error {
	e := apierr.New(code, format, args...)
	e.Field = field
	e.Err = ErrNotFound
	return e
}

func taskNotFound(id records.TaskID) error {
	return notFound(apierr.TaskNotExist, "task", "task %d does not exist", id)
}
