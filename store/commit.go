package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// Commit implements Serving.
func (s *Badger) Commit(w records.Writes, hooks []Webhook, seqs []uint64) ([]uint64, error) {
	if len(w.Numbers)+len(w.Records)+len(w.Tasks)+len(w.Events)+len(hooks) == 0 {
		return seqs, nil
	}
	n0 := len(seqs)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	c := s.newCommitter(b)
	for i := range w.Numbers {
		if err := c.number(&w.Numbers[i]); err != nil {
			return seqs[:n0], err
		}
	}
	for i := range w.Records {
		if err := c.record(&w.Records[i]); err != nil {
			return seqs[:n0], err
		}
	}
	for i := range w.Tasks {
		if err := c.task(&w.Tasks[i]); err != nil {
			return seqs[:n0], err
		}
	}
	for i := range w.Events {
		seq, err := c.event(&w.Events[i])
		if err != nil {
			return seqs[:n0], err
		}
		seqs = append(seqs, seq)
	}
	for i := range hooks {
		if err := c.hook(&hooks[i]); err != nil {
			return seqs[:n0], err
		}
	}
	if err := c.finish(); err != nil {
		return seqs[:n0], err
	}
	if err := b.commit(); err != nil {
		return seqs[:n0], err
	}
	c.applied()
	return seqs, nil
}

type numRef struct {
	ts *taskState
	id records.NumberID
}

type low struct {
	ts  *taskState
	b   uint16
	key []byte
}

// committer applies writes to one batch and, once the batch is committed,
// brings the in-memory state in line (applied). The caller holds s.mu.
type committer struct {
	s        *Badger
	b        *batch
	touched  map[numRef]struct{}
	lows     []low
	tasks    map[*taskState]Task
	seqs     map[string]uint64 // tenant → last sequence number of this batch
	lastCall records.CallID
}

func (s *Badger) newCommitter(b *batch) *committer {
	return &committer{s: s, b: b, touched: make(map[numRef]struct{}), lastCall: s.lastCall}
}

func (c *committer) call(id records.CallID) {
	c.lastCall = max(c.lastCall, id)
}

// number applies one number update.
func (c *committer) number(u *records.NumberUpdate) error {
	ts, err := c.s.taskState(u.Task)
	if errors.Is(err, ErrNotFound) {
		c.s.log.Warn("number update for an unknown task skipped", "task", u.Task, "number", u.Number)
		return nil
	} else if err != nil {
		return err
	}
	c.call(u.Call)
	var r numRec
	ref := numRef{ts, u.Number}
	_, seen := c.touched[ref]
	c.touched[ref] = struct{}{}
	ts.mu.Lock()
	val, leased := ts.leases[u.Number]
	ts.mu.Unlock()
	found := false
	if leased && !seen {
		if err := decodeNum(val, ts.id, u.Number, &r, ts.zoneOf); err != nil {
			return err
		}
		found = true
	} else if found, err = c.s.locate(c.b.txn, ts, u.Number, &r); err != nil {
		return err
	}
	if !found {
		c.s.log.Warn("update of an unknown number skipped", "task", u.Task, "number", u.Number, "state", u.State)
		return nil
	}
	old, oldPos := r.state, r.pos()
	if u.Attempts > 0 {
		r.Attempts = u.Attempts
	}
	if u.Call != 0 {
		r.call = u.Call
	}
	// A number the engine hands back unused (NumberPending with no call:
	// not dialled at the time) keeps the outcome of its last attempt.
	if u.State != records.NumberPending || u.Call != 0 {
		r.outcome = u.Outcome
	}
	r.updated, r.reason = u.At, 0
	state := u.State
	switch state {
	case records.NumberDialing:
		r.dialed = u.At
	case records.NumberPending:
		r.nextAt = u.NextAt
		if u.NextPhone && len(r.Alternatives) > 0 {
			// The policy gave up on the phone: the first alternative takes
			// its place, with attempts of its own, called while the window
			// is open both where the number is and where the phone's prefix
			// says, unless the number names its own zone (altZones; the
			// import made that bucket).
			r.Phone, r.Alternatives = r.Alternatives[0], r.Alternatives[1:]
			r.Attempts = 0
			if cur := ts.bucket(r.bucket); cur != nil {
				if b := ts.bucketNamed(altZones(cur, r.ownZone(), r.Phone, ts.zoneFallback())); b != nil {
					r.bucket = b.id
				}
			}
		}
	case records.NumberDone:
		// A callback scheduled during the call outlives the call.
		if r.Callback && old == records.NumberDialing && r.NotBefore.After(r.dialed) {
			state, r.nextAt = records.NumberPending, time.Time{}
		}
	case records.NumberSkipped:
		r.reason = u.Reason
	}
	r.state = state
	if old == records.NumberPending {
		if err := c.b.del(dueKey(nil, ts.id, oldPos, r.ID)); err != nil {
			return err
		}
	}
	if old == records.NumberDialing && state != records.NumberDialing {
		if err := c.b.del(flightKey(ts.id, r.ID)); err != nil {
			return err
		}
	}
	v := encodeNum(nil, &r, ts.zoneOf(r.bucket))
	if err := c.b.set(numKey(ts.id, r.ID), v); err != nil {
		return err
	}
	switch state {
	case records.NumberPending:
		k := dueKey(nil, ts.id, r.pos(), r.ID)
		if err := c.b.set(k, v); err != nil {
			return err
		}
		c.lows = append(c.lows, low{ts, r.bucket, k})
	case records.NumberDialing:
		f := binary.BigEndian.AppendUint64(nil, uint64(u.Call))
		f = binary.BigEndian.AppendUint64(f, uint64(timeNanos(u.At)))
		if err := c.b.set(flightKey(ts.id, r.ID), f); err != nil {
			return err
		}
	}
	return nil
}

// record writes one call record, filling its tenant from its task.
func (c *committer) record(r *records.CallRecord) error {
	rec := *r
	if rec.Tenant == "" && rec.Task != 0 {
		if ts, err := c.s.taskState(rec.Task); err == nil {
			rec.Tenant = ts.tenant()
		}
	}
	c.call(rec.Call)
	return c.s.putRecord(c.b, &rec, false)
}

// task applies a status change. A task never goes back to TaskCreated: that
// update (the engine emits it when a stored task is loaded again) keeps the
// stored status.
func (c *committer) task(u *records.TaskUpdate) error {
	ts, err := c.s.taskState(u.Task)
	if errors.Is(err, ErrNotFound) {
		c.s.log.Warn("update of an unknown task skipped", "task", u.Task)
		return nil
	} else if err != nil {
		return err
	}
	t, ok := c.tasks[ts]
	if !ok {
		ts.mu.Lock()
		t = ts.task
		ts.mu.Unlock()
	}
	if u.Status != records.TaskCreated || t.Status == records.TaskCreated {
		t.Status = u.Status
	}
	t.Exhausted, t.Updated = u.Exhausted, u.At
	if c.tasks == nil {
		c.tasks = make(map[*taskState]Task)
	}
	c.tasks[ts] = t
	v, err := json.Marshal(&t)
	if err != nil {
		return err
	}
	return c.b.set(taskKey(ts.id), v)
}

// nextSeq returns the next sequence number of tenant's event log.
func (c *committer) nextSeq(tenant string) (uint64, error) {
	seq, ok := c.seqs[tenant]
	if !ok {
		var err error
		if seq, err = c.s.lastSeq(c.b.txn, tenant); err != nil {
			return 0, err
		}
	}
	seq++
	if c.seqs == nil {
		c.seqs = make(map[string]uint64)
	}
	c.seqs[tenant] = seq
	return seq, nil
}

// event appends one event to its tenant's log.
func (c *committer) event(ev *records.CTIEvent) (uint64, error) {
	tenant := ev.Tenant
	if tenant == "" && ev.Task != 0 {
		if ts, err := c.s.taskState(ev.Task); err == nil {
			tenant = ts.tenant()
		}
	}
	seq, err := c.nextSeq(tenant)
	if err != nil {
		return 0, err
	}
	return seq, c.b.set(eventKey(tenant, seq), encodeEvent(nil, ev))
}

// hook queues one webhook and writes its ID back.
func (c *committer) hook(h *Webhook) error {
	if err := validTenant("webhook.tenant", h.Tenant); err != nil {
		return err
	}
	if h.URL == "" {
		return apierr.Invalid("webhook.url", "must be set")
	}
	id, err := nextID(c.s.hookSeq)
	if err != nil {
		return err
	}
	h.ID, h.Attempts, h.GaveUp = id, 0, false
	if h.NextAt.IsZero() {
		h.NextAt = h.Created
	}
	v, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := c.b.set(hookKey(id), v); err != nil {
		return err
	}
	return c.b.set(hookDueKey(h.NextAt, id), nil)
}

// finish writes the high-water marks of the batch.
func (c *committer) finish() error {
	for t, seq := range c.seqs {
		if err := c.b.set(eventSeqKey(t), binary.BigEndian.AppendUint64(nil, seq)); err != nil {
			return err
		}
	}
	if c.lastCall > c.s.lastCall {
		return c.b.set(lastCallKey, binary.BigEndian.AppendUint64(nil, uint64(c.lastCall)))
	}
	return nil
}

// applied updates the in-memory state after the batch is committed.
func (c *committer) applied() {
	for ref := range c.touched {
		ref.ts.mu.Lock()
		delete(ref.ts.leases, ref.id)
		ref.ts.mu.Unlock()
	}
	for _, l := range c.lows {
		l.ts.mu.Lock()
		if b := l.ts.bucket(l.b); b != nil {
			b.lower(l.key)
		}
		l.ts.mu.Unlock()
	}
	for ts, t := range c.tasks {
		ts.mu.Lock()
		ts.task = t
		if t.Status == records.TaskEnded {
			clear(ts.leases)
		}
		ts.mu.Unlock()
	}
	for t, seq := range c.seqs {
		c.s.seqs[t] = seq
	}
	c.s.lastCall = c.lastCall
}

// Recover implements Serving.
func (s *Badger) Recover(now time.Time) (RecoveredState, error) {
	s.importMu.Lock()
	defer s.importMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()

	// Forget what was handed out: the engine that held it is gone.
	s.tmu.Lock()
	for _, ts := range s.tasks {
		ts.mu.Lock()
		clear(ts.leases)
		ts.mu.Unlock()
	}
	s.tmu.Unlock()
	s.hmu.Lock()
	clear(s.hookLeases)
	s.hmu.Unlock()

	var rs RecoveredState
	type flight struct {
		task records.TaskID
		id   records.NumberID
		call records.CallID
		at   time.Time
	}
	var flights []flight
	err := s.db.View(func(txn *badger.Txn) error {
		err := scan(txn, []byte{kTask}, func(item *badger.Item) error {
			var t Task
			if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &t) }); err != nil {
				return err
			}
			rs.Tasks = append(rs.Tasks, t)
			return nil
		})
		if err != nil {
			return err
		}
		if rs.Queues, err = listJSON[Queue](txn, []byte{kQueue}, nil); err != nil {
			return err
		}
		if rs.Agents, err = listJSON[records.AgentSpec](txn, []byte{kAgent}, nil); err != nil {
			return err
		}
		return scan(txn, []byte{kFlight}, func(item *badger.Item) error {
			k := item.Key()
			f := flight{task: records.TaskID(binary.BigEndian.Uint64(k[1:])), id: records.NumberID(binary.BigEndian.Uint64(k[9:]))}
			err := item.Value(func(v []byte) error {
				if len(v) == 16 {
					f.call = records.CallID(binary.BigEndian.Uint64(v))
					f.at = nanosTime(int64(binary.BigEndian.Uint64(v[8:])))
				}
				return nil
			})
			flights = append(flights, f)
			return err
		})
	})
	if err != nil {
		return rs, err
	}

	b := s.newBatch()
	defer b.discard()
	c := s.newCommitter(b)
	next := now.Add(s.cfg.InterruptedRetry)
	for _, f := range flights {
		ts, err := s.taskState(f.task)
		if errors.Is(err, ErrNotFound) {
			if err := b.del(flightKey(f.task, f.id)); err != nil {
				return rs, err
			}
			continue
		} else if err != nil {
			return rs, err
		}
		var r numRec
		found, err := s.locate(b.txn, ts, f.id, &r)
		if err != nil {
			return rs, err
		}
		if !found || r.state != records.NumberDialing {
			if err := b.del(flightKey(f.task, f.id)); err != nil {
				return rs, err
			}
			continue
		}
		tenant := ts.tenant()
		rec := records.CallRecord{
			Call: f.call, Tenant: tenant, Task: f.task, Number: f.id, Called: r.Phone,
			Start: f.at, Outcome: records.OutcomeNone, Result: records.ResultNotConnected,
			Disposition: DispositionInterrupted,
		}
		var existing bool
		if existing, err = get(b.txn, recordKey(tenant, f.call), func([]byte) error { return nil }); err != nil {
			return rs, err
		}
		if !existing {
			if err := s.putRecord(b, &rec, false); err != nil {
				return rs, err
			}
		}
		u := records.NumberUpdate{At: now, Task: f.task, Number: f.id, State: records.NumberPending,
			Call: f.call, Outcome: records.OutcomeNone, NextAt: next}
		if err := c.number(&u); err != nil {
			return rs, err
		}
		c.call(f.call)
		rs.Interrupted = append(rs.Interrupted, Interrupted{Task: f.task, Number: f.id, Call: f.call,
			Phone: r.Phone, DialedAt: f.at, NextAt: next, Record: rec})
	}
	if err := c.finish(); err != nil {
		return rs, err
	}
	if err := b.commit(); err != nil {
		return rs, err
	}
	c.applied()
	rs.LastCall = s.lastCall
	if len(rs.Interrupted) > 0 {
		s.log.Info("closed the calls in flight at the last stop", "calls", len(rs.Interrupted), "due_again", next)
	}
	return rs, nil
}

// listJSON decodes every value with prefix, keeping those keep accepts.
func listJSON[T any](txn *badger.Txn, prefix []byte, keep func(*T) bool) ([]T, error) {
	var out []T
	err := scan(txn, prefix, func(item *badger.Item) error {
		var v T
		if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return err
		}
		if keep == nil || keep(&v) {
			out = append(out, v)
		}
		return nil
	})
	return out, err
}
