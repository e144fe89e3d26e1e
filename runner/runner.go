package runner

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// Store is the durable side of the loop: what the runner reads at start,
// writes at every Ready and asks for numbers. One goroutine (the runner's)
// calls it.
type Store interface {
	// Recover prepares the store for serving after a start or a crash and
	// returns what the engine is rebuilt from. The calls that were in
	// flight are closed durably before it returns (a record with
	// Disposition "interrupted", the number pending again later); they are
	// listed in RecoveredState.Interrupted so that the runner hangs them up
	// at the backend and tells their end (events, records) like any other.
	Recover(now time.Time) (store.RecoveredState, error)
	// Commit makes w durable in one synced batch before it returns (number
	// updates, call records, task updates, events appended to the event log,
	// and hooks), and appends the sequence number given to each of w.Events
	// to seqs.
	Commit(w records.Writes, hooks []store.Webhook, seqs []uint64) ([]uint64, error)
	// NextNumbers appends to buf[:0] up to max numbers of task due at now,
	// in dialling order; fewer than max means nothing else is due now. A
	// number returned is not returned again until a Commit updates it or
	// ReleaseNumbers releases it.
	NextNumbers(task records.TaskID, now time.Time, max int, buf []records.Number) ([]records.Number, error)
	// ReleaseNumbers makes the numbers of task that NextNumbers handed out
	// and no Commit has updated available again.
	ReleaseNumbers(task records.TaskID)
	// DialUntil returns when task stops dialing for the day as seen at now
	// (zero: no end), passed to the engine with each batch of numbers.
	DialUntil(task records.TaskID, now time.Time) (time.Time, error)
	// ListBlacklist returns up to max phones of one blacklist (the
	// tenant's when task is 0, else the task's) after the phone after (""
	// = from the start), in order. The runner loads every list at start.
	ListBlacklist(tenant string, task records.TaskID, after string, max int) ([]string, error)
}

// Backend places calls and rings agent phones. It sees only commands and
// answers only with events a real carrier and real phones could produce.
type Backend interface {
	// Run delivers the backend's events to emit until ctx is done, then
	// returns. emit is safe from any goroutine and does not block for long.
	// Events carry At from the backend's clock (the runner fills a zero At).
	Run(ctx context.Context, emit func(engine.Event)) error
	// Send hands commands to the backend, in order: only CmdOriginate,
	// CmdConnect, CmdPlayHangup and CmdHangup reach a backend (the runner
	// handles timers and number fetches itself). Send never blocks on the
	// network; a command that fails comes back as events (EvFailed,
	// EvAgentFailed, EvHangup). Commands are idempotent by call id. Send
	// does not keep cmds after it returns.
	Send(cmds []engine.Command)
}

// Limiter is implemented by a backend that announces its capacity; the
// runner never has more calls in flight than Lines nor starts more than
// CallsPerSecond originates a second on it. Zero means no limit.
type Limiter interface {
	Capacity() (lines int, callsPerSecond float64)
}

// Config configures a Runner.
type Config struct {
	Store   Store   // required
	Backend Backend // required
	Clock   Clock   // default Real
	Logger  *slog.Logger
	// Seed seeds the engine's random source (the random ring strategy).
	Seed uint64
	// FetchBatch is how many numbers the engine asks for at a time
	// (engine.Config.FetchBatch; 0 = the engine's default).
	FetchBatch int
	// RefetchEvery is how long after a task's source had nothing due the
	// runner asks the store again (default 30 s of the clock's time).
	RefetchEvery time.Duration
	// MaxBatch bounds how many inputs one Ready gathers (default 4096).
	MaxBatch int
	// Observe, if set, is called in the runner's goroutine after each
	// Ready is durable and its commands are sent, with what it published.
	// It must not block: the slices are valid during the call only.
	Observe func(p *Published)
}

// Published is what one Ready made public, once durable.
type Published struct {
	At      time.Time            // the clock's time when it was committed
	Events  []records.CTIEvent   // in order, with their sequence numbers in Seqs
	Seqs    []uint64             // per-tenant sequence number of each event
	Records []records.CallRecord // call records written
	Tasks   []records.TaskUpdate // task status changes written
	Dials   int                  // originates the engine placed
	// Decisions are the pacing decisions made, in order. They are not in
	// the event log: each is a complete picture of a task's pacing that
	// the next one replaces, made up to every input stepped, so a
	// subscriber that misses some (it fell behind, it was not there) sees
	// the state again at the next; writing them all would add a durable
	// write for every event the dialer steps.
	Decisions []records.Decision
}

// Snapshot is the runner's state as last published, readable from any
// goroutine without touching the engine.
type Snapshot struct {
	At          time.Time // clock time of the snapshot
	Tasks       map[records.TaskID]engine.TaskStats
	Queues      map[records.QueueID]QueueSnapshot
	ActiveCalls int  // calls the engine has in flight
	Held        int  // originates the limiter holds back
	Draining    bool // no task places a new call
}

// QueueSnapshot is a queue's live counts and its agents' time since the
// runner started: busy (reserved, talking, wrapping) and logged in.
type QueueSnapshot struct {
	engine.QueueStats
	BusyTime, LoggedInTime time.Duration
}

// ErrStopped is returned by calls made to a runner that is not running.
var ErrStopped = errors.New("runner: not running")

// Runner owns an engine and drives it: one goroutine steps every input
// (backend events, timer firings, API requests), commits each Ready in one
// batch, then hands the commands to the backend and publishes the events.
type Runner struct {
	cfg   Config
	st    Store
	be    Backend
	clock Clock
	log   *slog.Logger
	eng   *engine.Engine

	mu      sync.Mutex // guards inbox
	inbox   []engine.Event
	wake    chan struct{}
	reqs    chan request
	drainCh chan struct{}
	drainMu sync.Once
	done    chan struct{}
	err     atomic.Pointer[error]
	snap    atomic.Pointer[Snapshot]

	// owned by the loop
	local    []engine.Event // inputs of the runner's own (numbers fetched)
	stepBuf  []engine.Event
	timers   timerHeap
	armed    time.Time
	stopArm  func() bool
	seqs     []uint64
	early    []engine.Command
	fetches  []engine.Command
	waiters  []request // submits waiting for their Ready to be durable
	flushers []request
	tasks    []records.TaskID // created, for the snapshot
	queues   []records.QueueID
	qtime    map[records.QueueID]*QueueSnapshot
	lastAt   time.Time
	snapAt   time.Time
	draining bool
	stale    bool // the engine moved since the last snapshot

	// the limiter
	limiter  Limiter
	held     []engine.Command
	inFlight map[records.CallID]struct{}
	tokens   float64
	tokensAt time.Time
	limitArm func() bool

	subMu sync.Mutex
	subs  map[*subscription]struct{}
}

type requestKind uint8

const (
	reqSubmit requestKind = iota + 1
	reqInspect
	reqFlush
)

type request struct {
	kind  requestKind
	ev    engine.Event
	f     func(*engine.Engine)
	reply chan error
}

// New returns a runner; Run starts it.
func New(cfg Config) *Runner {
	if cfg.Clock == nil {
		cfg.Clock = Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RefetchEvery <= 0 {
		cfg.RefetchEvery = 30 * time.Second
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 4096
	}
	r := &Runner{
		cfg: cfg, st: cfg.Store, be: cfg.Backend, clock: cfg.Clock, log: cfg.Logger,
		wake:     make(chan struct{}, 1),
		reqs:     make(chan request, 64),
		drainCh:  make(chan struct{}),
		done:     make(chan struct{}),
		qtime:    make(map[records.QueueID]*QueueSnapshot),
		inFlight: make(map[records.CallID]struct{}),
		subs:     make(map[*subscription]struct{}),
	}
	r.limiter, _ = cfg.Backend.(Limiter)
	r.snap.Store(&Snapshot{})
	return r
}

// Drain asks the runner to place no new call and to return from Run once no
// call is left. It may be called before Run (then no call is ever placed)
// and more than once.
func (r *Runner) Drain() {
	r.drainMu.Do(func() { close(r.drainCh) })
}

// Done is closed when Run has returned.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Err returns the error that stopped Run, if any.
func (r *Runner) Err() error {
	if p := r.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Snapshot returns the last published snapshot: current whenever the runner
// is idle (waiting for input), and at most 100 ms of wall time old while it
// is busy.
func (r *Runner) Snapshot() *Snapshot { return r.snap.Load() }

// Now returns the time of the runner's clock, the one its engine runs on.
func (r *Runner) Now() time.Time { return r.clock.Now() }

// Submit steps ev (an API request: administration, agent requests) in the
// runner's goroutine and returns the Step's error; when it is nil, the
// writes ev caused are durable and its commands sent. A zero ev.At is set
// from the clock.
func (r *Runner) Submit(ctx context.Context, ev engine.Event) error {
	return r.call(ctx, request{kind: reqSubmit, ev: ev})
}

// Inspect calls f with the engine in the runner's goroutine, between two
// Steps: f may read the engine but must not step it nor keep it.
func (r *Runner) Inspect(ctx context.Context, f func(*engine.Engine)) error {
	return r.call(ctx, request{kind: reqInspect, f: f})
}

// Flush returns once the runner has stepped, committed and sent everything
// it had received when Flush was called, and what that caused at once
// (numbers fetched), and refreshed its snapshot.
func (r *Runner) Flush(ctx context.Context) error {
	return r.call(ctx, request{kind: reqFlush})
}

func (r *Runner) call(ctx context.Context, req request) error {
	req.reply = make(chan error, 1)
	select {
	case r.reqs <- req:
	case <-r.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-r.done:
		// The loop may have answered just before stopping.
		select {
		case err := <-req.reply:
			return err
		default:
			return ErrStopped
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// emit is the backend's way in: it never blocks.
func (r *Runner) emit(ev engine.Event) {
	r.mu.Lock()
	r.inbox = append(r.inbox, ev)
	r.mu.Unlock()
	r.poke()
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run recovers the store, rebuilds the engine from it, starts the backend
// and steps inputs until ctx is done (a hard stop: calls in flight are left
// to the next start's Recover) or, after Drain, until no call is left. It
// returns the error that stopped it: a store that cannot commit stops the
// runner, because nothing it decides after that would be durable, and so
// does a backend whose Run returns on its own.
func (r *Runner) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			r.err.Store(&err)
		}
		close(r.done)
	}()
	if ctx.Err() != nil {
		return nil
	}
	now := r.clock.Now()
	rs, err := r.st.Recover(now)
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	r.eng = engine.New(engine.Config{
		Rand:       rand.New(rand.NewPCG(r.cfg.Seed, 0x656e67696e65)),
		CTIEvents:  true,
		Decisions:  true,
		FetchBatch: r.cfg.FetchBatch,
		LastCall:   rs.LastCall,
	})
	r.lastAt = now
	r.tokensAt = now
	select {
	case <-r.drainCh: // a stop asked for before the start: never dial
		r.draining = true
		r.local = append(r.local, engine.Event{Kind: engine.EvDrain})
	default:
	}
	r.local = append(r.local, rebuild(&rs)...)
	if err := r.loadBlacklists(&rs); err != nil {
		return err
	}

	bctx, stopBackend := context.WithCancel(ctx)
	bdone := make(chan error, 1)
	go func() { bdone <- r.be.Run(bctx, r.emit) }()
	defer func() {
		stopBackend()
		if bdone == nil {
			return
		}
		if berr := <-bdone; berr != nil && err == nil && !errors.Is(berr, context.Canceled) {
			err = fmt.Errorf("backend: %w", berr)
		}
	}()
	if len(rs.Interrupted) > 0 {
		if err := r.tellInterrupted(rs.Interrupted, now); err != nil {
			return err
		}
		hang := make([]engine.Command, 0, len(rs.Interrupted))
		for _, in := range rs.Interrupted {
			r.log.Warn("call in flight at the last stop closed", "task", in.Task, "call", in.Call, "number", in.Number, "due_again", in.NextAt)
			hang = append(hang, engine.Command{Kind: engine.CmdHangup, At: now, Task: in.Task, Call: in.Call, Number: in.Number})
		}
		r.be.Send(hang)
	}

	drainCh := r.drainCh
	if r.draining {
		drainCh = nil
	}
	for {
		select {
		case <-drainCh: // seen even by a runner that is never idle
			drainCh = nil
			r.draining = true
			r.local = append(r.local, engine.Event{Kind: engine.EvDrain})
		default:
		}
		if err := r.turn(); err != nil {
			return err
		}
		if r.draining && r.eng.ActiveCalls() == 0 && len(r.held) == 0 && !r.pending() {
			r.snapshot(true)
			r.answerFlushers()
			return nil
		}
		if r.pending() {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if r.stale { // going idle: publish what the last turns did
			r.snapshot(true)
		}
		r.answerFlushers()
		select {
		case <-ctx.Done():
			r.snapshot(true)
			return nil
		case <-r.wake:
		case berr := <-bdone:
			// A backend that stops on its own leaves calls nobody answers.
			bdone = nil
			if ctx.Err() != nil {
				r.snapshot(true)
				return nil // it stopped with us
			}
			if berr == nil {
				berr = errors.New("stopped")
			}
			return fmt.Errorf("backend: %w", berr)
		case req := <-r.reqs:
			r.accept(req)
		case <-drainCh: // stepped at the top of the loop
		}
	}
}

// rebuild returns the events that make a fresh engine what the store holds:
// queues, agents, queue members, then tasks with their status. Agents are
// logged out: they log in through agent requests.
func rebuild(rs *store.RecoveredState) []engine.Event {
	var evs []engine.Event
	for i := range rs.Queues {
		evs = append(evs, engine.Event{Kind: engine.EvCreateQueue, QueueSpec: &rs.Queues[i].Spec})
	}
	for i := range rs.Agents {
		evs = append(evs, engine.Event{Kind: engine.EvCreateAgent, AgentSpec: &rs.Agents[i]})
	}
	for _, q := range rs.Queues {
		for _, a := range q.Members {
			evs = append(evs, engine.Event{Kind: engine.EvSignIn, Agent: a, Queue: q.Spec.ID})
		}
	}
	for i := range rs.Tasks {
		t := &rs.Tasks[i]
		if t.Status == records.TaskEnded {
			continue
		}
		spec := t.EngineSpec()
		evs = append(evs, engine.Event{Kind: engine.EvCreateTask, TaskSpec: &spec})
		switch t.Status {
		case records.TaskRunning:
			evs = append(evs, engine.Event{Kind: engine.EvStartTask, Task: t.Spec.ID})
		case records.TaskPaused:
			evs = append(evs, engine.Event{Kind: engine.EvStartTask, Task: t.Spec.ID},
				engine.Event{Kind: engine.EvPauseTask, Task: t.Spec.ID})
		}
	}
	return evs
}

// pending reports whether the loop has input it has not stepped yet.
func (r *Runner) pending() bool {
	if len(r.local) > 0 || len(r.reqs) > 0 {
		return true
	}
	if len(r.timers) > 0 && !r.timers[0].at.After(r.clock.Now()) {
		return true
	}
	r.mu.Lock()
	n := len(r.inbox)
	r.mu.Unlock()
	return n > 0
}

// turn steps everything queued (up to MaxBatch inputs), then handles one
// Ready: group commit.
func (r *Runner) turn() error {
	now := r.clock.Now()
	r.integrate(now)
	// The runner's own inputs first: the rebuild at start, the drain,
	// numbers fetched; then API requests, then the backend's events.
	n := len(r.local)
	for i := range r.local {
		r.step(r.local[i], now)
		r.local[i] = engine.Event{}
	}
	r.local = r.local[:0]
	for n < r.cfg.MaxBatch {
		select {
		case req := <-r.reqs:
			r.accept(req)
			n++
			continue
		default:
		}
		break
	}
	r.mu.Lock()
	r.stepBuf, r.inbox = r.inbox, r.stepBuf[:0]
	r.mu.Unlock()
	for i := range r.stepBuf {
		r.step(r.stepBuf[i], now)
		r.stepBuf[i] = engine.Event{}
	}
	n += len(r.stepBuf)
	for n < r.cfg.MaxBatch && len(r.timers) > 0 && !r.timers[0].at.After(now) {
		t := heap.Pop(&r.timers).(timerEntry)
		n++
		if t.refetch != 0 {
			r.fetch(engine.Command{Kind: engine.CmdFetchNumbers, Task: t.refetch, Count: r.eng.Config().FetchBatch}, now)
			continue
		}
		r.step(engine.Event{Kind: engine.EvTimer, At: t.at, Timer: t.timer}, now)
	}
	r.release(now)
	moved := n > 0 || r.eng.HasReady()
	if r.eng.HasReady() {
		if err := r.handleReady(now); err != nil {
			return err
		}
	} else {
		r.answerWaiters(nil)
	}
	r.arm()
	if moved {
		r.snapshot(false) // a runner that is never idle still publishes
	}
	return nil
}

func (r *Runner) step(ev engine.Event, now time.Time) error {
	if ev.At.IsZero() {
		ev.At = now
	}
	err := r.eng.Step(ev)
	if err != nil {
		r.log.Debug("input rejected", "kind", ev.Kind, "call", ev.Call, "agent", ev.Agent, "task", ev.Task, "err", err)
		return err
	}
	switch ev.Kind {
	case engine.EvCreateTask:
		r.tasks = append(r.tasks, ev.TaskSpec.ID)
	case engine.EvCreateQueue:
		r.queues = append(r.queues, ev.QueueSpec.ID)
		r.qtime[ev.QueueSpec.ID] = &QueueSnapshot{}
	}
	return nil
}

func (r *Runner) accept(req request) {
	switch req.kind {
	case reqSubmit:
		if err := r.step(req.ev, r.clock.Now()); err != nil {
			req.reply <- err
			return
		}
		r.waiters = append(r.waiters, req)
	case reqInspect:
		req.f(r.eng)
		req.reply <- nil
	case reqFlush:
		r.flushers = append(r.flushers, req)
	}
}

func (r *Runner) answerWaiters(err error) {
	for _, w := range r.waiters {
		w.reply <- err
	}
	clear(r.waiters)
	r.waiters = r.waiters[:0]
}

func (r *Runner) answerFlushers() {
	if len(r.flushers) == 0 {
		return
	}
	r.snapshot(true)
	for _, w := range r.flushers {
		w.reply <- nil
	}
	clear(r.flushers)
	r.flushers = r.flushers[:0]
}

// handleReady carries out one Ready. Commands that act on calls already
// placed (connect, play and hang up, hang up) are pipelined: sent before
// the commit, since a crash after them loses nothing Recover does not close.
// Originates wait for the commit that marks their numbers Dialing.
func (r *Runner) handleReady(now time.Time) error {
	rd := r.eng.Ready()
	r.early, r.fetches = r.early[:0], r.fetches[:0]
	dials := 0
	for i := range rd.Commands {
		c := &rd.Commands[i]
		switch c.Kind {
		case engine.CmdSetTimer:
			heap.Push(&r.timers, timerEntry{at: c.At, timer: c.Timer})
		case engine.CmdFetchNumbers:
			r.fetches = append(r.fetches, *c)
		case engine.CmdOriginate:
			dials++
		case engine.CmdConnect:
			r.early = append(r.early, *c)
		case engine.CmdPlayHangup, engine.CmdHangup:
			if r.unhold(c.Call) {
				continue // never placed: nothing to hang up
			}
			r.early = append(r.early, *c)
		}
	}
	if len(r.early) > 0 {
		r.be.Send(r.early)
	}
	var err error
	r.seqs, err = r.st.Commit(records.Writes{Numbers: rd.Numbers, Records: rd.Records, Tasks: rd.Tasks, Events: rd.Events}, nil, r.seqs[:0])
	if err != nil {
		r.answerWaiters(ErrStopped)
		return fmt.Errorf("commit: %w", err)
	}
	for i := range rd.Records {
		delete(r.inFlight, rd.Records[i].Call)
		r.unhold(rd.Records[i].Call)
	}
	for i := range rd.Commands {
		if rd.Commands[i].Kind == engine.CmdOriginate {
			r.held = append(r.held, rd.Commands[i])
		}
	}
	r.release(now)
	p := Published{At: now, Events: rd.Events, Seqs: r.seqs, Records: rd.Records, Tasks: rd.Tasks, Dials: dials, Decisions: rd.Decisions}
	if r.cfg.Observe != nil {
		r.cfg.Observe(&p)
	}
	r.publish(&p)
	r.eng.Advance(rd)
	r.answerWaiters(nil)
	for _, c := range r.fetches {
		if err := r.fetch(c, now); err != nil {
			return err
		}
	}
	return nil
}

// unhold drops a held originate of call, reporting whether there was one.
func (r *Runner) unhold(call records.CallID) bool {
	for i := range r.held {
		if r.held[i].Call == call {
			r.held = append(r.held[:i], r.held[i+1:]...)
			return true
		}
	}
	return false
}

// release sends the held originates the backend's capacity allows: no more
// calls in flight than its lines, no more originates a second than its rate.
// A line is taken from the originate until the engine closes the call.
func (r *Runner) release(now time.Time) {
	if len(r.held) == 0 {
		return
	}
	lines, cps := 0, 0.0
	if r.limiter != nil {
		lines, cps = r.limiter.Capacity()
	}
	if cps > 0 {
		burst := max(1, cps)
		r.tokens = min(burst, r.tokens+now.Sub(r.tokensAt).Seconds()*cps)
		r.tokensAt = now
	}
	n := 0
	for n < len(r.held) {
		if lines > 0 && len(r.inFlight) >= lines {
			break
		}
		if cps > 0 {
			if r.tokens < 1 {
				wait := time.Duration((1 - r.tokens) / cps * float64(time.Second))
				if r.limitArm != nil {
					r.limitArm()
				}
				r.limitArm = r.clock.AfterFunc(now.Add(max(wait, time.Millisecond)), r.poke)
				break
			}
			r.tokens--
		}
		r.inFlight[r.held[n].Call] = struct{}{}
		n++
	}
	if n == 0 {
		return
	}
	r.be.Send(r.held[:n])
	r.held = append(r.held[:0], r.held[n:]...)
}

// fetch answers the engine's CmdFetchNumbers from the store, as an
// EvNumbers stepped in the next turn (the engine checks each number's
// window and blacklists when it dials it). When nothing is due, the runner
// asks again after RefetchEvery.
func (r *Runner) fetch(c engine.Command, now time.Time) error {
	nums, err := r.st.NextNumbers(c.Task, now, c.Count, nil)
	if err != nil {
		return fmt.Errorf("numbers of task %d: %w", c.Task, err)
	}
	exhausted := len(nums) == 0
	until, err := r.st.DialUntil(c.Task, now)
	if err != nil {
		return fmt.Errorf("day of task %d: %w", c.Task, err)
	}
	if exhausted {
		heap.Push(&r.timers, timerEntry{at: now.Add(r.cfg.RefetchEvery), refetch: c.Task})
	}
	r.local = append(r.local, engine.Event{Kind: engine.EvNumbers, At: now, Task: c.Task, Numbers: nums,
		Exhausted: exhausted, DialUntil: until, DayKnown: true})
	return nil
}

// blacklistPage is how many phones one EvBlacklist carries at start.
const blacklistPage = 4096

// loadBlacklists queues the do-not-call lists of every tenant with a task
// and of every task as EvBlacklist events, stepped before anything is
// dialled: the engine checks them at every dial.
func (r *Runner) loadBlacklists(rs *store.RecoveredState) error {
	load := func(tenant string, task records.TaskID) error {
		for after := ""; ; {
			phones, err := r.st.ListBlacklist(tenant, task, after, blacklistPage)
			if err != nil {
				return fmt.Errorf("blacklist of %q task %d: %w", tenant, task, err)
			}
			if len(phones) == 0 {
				return nil
			}
			r.local = append(r.local, engine.Event{Kind: engine.EvBlacklist,
				Blacklist: &engine.BlacklistChange{Tenant: tenant, Task: task, Phones: phones}})
			if len(phones) < blacklistPage {
				return nil
			}
			after = phones[len(phones)-1]
		}
	}
	seen := map[string]bool{}
	for _, t := range rs.Tasks {
		if !seen[t.Spec.Tenant] {
			seen[t.Spec.Tenant] = true
			if err := load(t.Spec.Tenant, 0); err != nil {
				return err
			}
		}
		if err := load(t.Spec.Tenant, t.Spec.ID); err != nil {
			return err
		}
	}
	return nil
}

// arm sets the clock to wake the loop at the earliest engine timer.
func (r *Runner) arm() {
	if len(r.timers) == 0 {
		return
	}
	at := r.timers[0].at
	if r.stopArm != nil && at.Equal(r.armed) {
		return
	}
	if r.stopArm != nil {
		r.stopArm()
	}
	r.armed = at
	r.stopArm = r.clock.AfterFunc(at, r.poke)
}

// integrate adds each queue's busy and logged-in agent time up to now.
func (r *Runner) integrate(now time.Time) {
	dt := now.Sub(r.lastAt)
	if dt <= 0 {
		return
	}
	r.lastAt = now
	for _, id := range r.queues {
		qs, err := r.eng.QueueStats(id)
		if err != nil {
			continue
		}
		q := r.qtime[id]
		q.BusyTime += time.Duration(qs.Busy) * dt
		q.LoggedInTime += time.Duration(qs.LoggedIn) * dt
	}
}

// snapEvery is the shortest wall time between two snapshots.
const snapEvery = 100 * time.Millisecond

// snapshot publishes the engine's figures for readers in other goroutines,
// at most every 100 ms of wall time unless forced; one it skips leaves the
// snapshot stale, and the loop publishes it when it goes idle.
func (r *Runner) snapshot(force bool) {
	wall := time.Now()
	if !force && wall.Sub(r.snapAt) < snapEvery {
		r.stale = true
		return
	}
	r.snapAt, r.stale = wall, false
	now := r.clock.Now()
	r.integrate(now)
	s := &Snapshot{
		At: now, Tasks: make(map[records.TaskID]engine.TaskStats, len(r.tasks)),
		Queues:      make(map[records.QueueID]QueueSnapshot, len(r.queues)),
		ActiveCalls: r.eng.ActiveCalls(), Held: len(r.held), Draining: r.draining,
	}
	for _, id := range r.tasks {
		if ts, err := r.eng.TaskStats(id); err == nil {
			s.Tasks[id] = ts
		}
	}
	for _, id := range r.queues {
		q := *r.qtime[id]
		q.QueueStats, _ = r.eng.QueueStats(id)
		s.Queues[id] = q
	}
	r.snap.Store(s)
}

// tellInterrupted makes the calls Recover closed known as any other end of
// a call: EventReleased of the customer leg and EventCallDeleted, each with
// the call's "interrupted" record, go to the event log (Recover wrote the
// records, not the events), then to the subscribers with the records.
func (r *Runner) tellInterrupted(in []store.Interrupted, now time.Time) error {
	recs := make([]records.CallRecord, len(in))
	evs := make([]records.CTIEvent, 0, 2*len(in))
	for i := range in {
		recs[i] = in[i].Record
		rec := &recs[i]
		evs = append(evs,
			records.CTIEvent{Name: records.EventReleased, At: now, Tenant: rec.Tenant, Task: in[i].Task, Call: in[i].Call,
				Role: records.RoleCustomer, ThisDN: in[i].Phone, Record: rec},
			records.CTIEvent{Name: records.EventCallDeleted, At: now, Tenant: rec.Tenant, Task: in[i].Task, Call: in[i].Call,
				ThisDN: rec.CallerID, OtherDN: in[i].Phone, Record: rec})
	}
	seqs, err := r.st.Commit(records.Writes{Events: evs}, nil, nil)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	p := Published{At: now, Events: evs, Seqs: seqs, Records: recs}
	if r.cfg.Observe != nil {
		r.cfg.Observe(&p)
	}
	r.publish(&p)
	return nil
}

// ---- subscribers ---------------------------------------------------------------

type subscription struct {
	ch chan Published
}

// Subscribe returns a channel of what every Ready publishes from now on,
// copied, and a function that ends the subscription. The runner never waits
// for a subscriber: one whose buffer (of size buf) is full is dropped and
// its channel closed, and it resumes from the event log by sequence number.
func (r *Runner) Subscribe(buf int) (<-chan Published, func()) {
	s := &subscription{ch: make(chan Published, max(buf, 1))}
	r.subMu.Lock()
	r.subs[s] = struct{}{}
	r.subMu.Unlock()
	return s.ch, func() {
		r.subMu.Lock()
		defer r.subMu.Unlock()
		if _, ok := r.subs[s]; ok {
			delete(r.subs, s)
			close(s.ch)
		}
	}
}

func (r *Runner) publish(p *Published) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	if len(r.subs) == 0 {
		return
	}
	c := Published{
		At: p.At, Dials: p.Dials,
		Events:    append([]records.CTIEvent(nil), p.Events...),
		Seqs:      append([]uint64(nil), p.Seqs...),
		Records:   append([]records.CallRecord(nil), p.Records...),
		Tasks:     append([]records.TaskUpdate(nil), p.Tasks...),
		Decisions: append([]records.Decision(nil), p.Decisions...),
	}
	for s := range r.subs {
		select {
		case s.ch <- c:
		default:
			delete(r.subs, s)
			close(s.ch)
		}
	}
}

// ---- timers --------------------------------------------------------------------

type timerEntry struct {
	at      time.Time
	timer   engine.Timer
	refetch records.TaskID // a runner timer: ask the store for numbers again
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
