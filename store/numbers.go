package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store/lists"
)

// maxNumberBytes bounds the encoded size of one number.
const maxNumberBytes = 32 << 10

// chunkBytes bounds the bytes of one import transaction (Badger's limit is
// about 15 % of the 64 MiB memtable).
const chunkBytes = 4 << 20

// validPhone reports whether p is an E.164 number: "+", then 7 to 15 digits,
// the first not 0.
func validPhone(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

func checkPhone(field, p string) error {
	if !validPhone(p) {
		return apierr.Invalid(field, "%q is not an E.164 number", p)
	}
	return nil
}

// validateNumber checks an entry to import into task.
func validateNumber(n *records.Number, task records.TaskID) error {
	if err := checkPhone("phone", n.Phone); err != nil {
		return err
	}
	if n.Task != 0 && n.Task != task {
		return apierr.Invalid("task", "entry of task %d imported into task %d", n.Task, task)
	}
	if !n.NotAfter.IsZero() && !n.NotAfter.After(n.NotBefore) {
		return apierr.Invalid("not_after", "%v is not after not_before %v", n.NotAfter, n.NotBefore)
	}
	if n.TZ != "" {
		if _, err := loadZone(n.TZ); err != nil {
			return apierr.Invalid("tz", "%v", err)
		}
	}
	if n.Priority > math.MaxInt32 || n.Priority < math.MinInt32 {
		return apierr.Invalid("priority", "%d is out of range", n.Priority)
	}
	if n.Attempts < 0 {
		return apierr.Invalid("attempts", "must not be negative")
	}
	for i, a := range n.Alternatives {
		if err := checkPhone(fmt.Sprintf("alternatives[%d]", i), a); err != nil {
			return err
		}
	}
	return nil
}

// ImportNumbers implements Lists.
func (s *Badger) ImportNumbers(task records.TaskID, nums []records.Number) (ImportResult, error) {
	src := func(yield func(records.Number, error) bool) {
		for _, n := range nums {
			if !yield(n, nil) {
				return
			}
		}
	}
	return s.importStream(task, src, nil, func(i int, id records.NumberID) {
		nums[i].ID, nums[i].Task = id, task
	})
}

// ImportStream implements Lists.
func (s *Badger) ImportStream(task records.TaskID, src iter.Seq2[records.Number, error], progress func(ImportProgress)) (ImportResult, error) {
	return s.importStream(task, src, progress, nil)
}

// LinesSource adapts a seed-001 list reader to ImportStream: each line the
// reader refuses arrives as an entry with its *lists.LineError, and a read
// error of the underlying input ends the stream with that error.
func LinesSource(r *lists.Reader) iter.Seq2[records.Number, error] {
	return func(yield func(records.Number, error) bool) {
		for r.Next() {
			if e := r.LineErr(); e != nil {
				if !yield(records.Number{}, e) {
					return
				}
				continue
			}
			if !yield(r.Number(), nil) {
				return
			}
		}
		if err := r.Err(); err != nil {
			yield(records.Number{}, errStreamFailed{err})
		}
	}
}

// errStreamFailed marks a source error that ends an import (not one entry).
type errStreamFailed struct{ err error }

// Error describes the failure.
func (e errStreamFailed) Error() string { return "reading the list: " + e.err.Error() }

// Unwrap returns the reader's error.
func (e errStreamFailed) Unwrap() error { return e.err }

// An import is a pipeline: while Badger writes one chunk, the next is
// validated, checked for duplicates and encoded. Badger starts no
// transaction, not even a read-only one, before the commits in flight are
// applied, so a chunk holds no transaction while it is built: its entries
// wait in memory, and the phones the Bloom filter cannot clear wait with
// them until the chunk is flushed, when the previous chunk is committed and
// one read transaction answers them all.

// kv is one entry of a chunk.
type kv struct{ k, v []byte }

// heldEntry is an entry whose phone may already be stored.
type heldEntry struct {
	idx int
	num records.Number
}

type lowKey struct {
	b *bucket
	g uint64
}

// importChunk is one transaction of an import.
type importChunk struct {
	arena   []byte // keys and values (Badger copies them when it commits)
	entries []kv
	phones  map[string]records.NumberID // phones of this chunk (0: held, not resolved yet)
	held    []heldEntry
	dups    []int // indexes into res.Duplicates of in-chunk duplicates to resolve
	bytes   int
	// the current run of consecutive IDs and their initial positions
	runFirst, runLast records.NumberID
	run               []byte
	lows              map[lowKey][]byte // smallest due key per bucket and group
	stored            []int             // entry indexes
	ids               []records.NumberID
	done              chan error
}

type importer struct {
	s        *Badger
	ts       *taskState
	fallback string // zone of numbers whose prefix has none
	res      ImportResult
	prog     ImportProgress
	cur      *importChunk
	prev     *importChunk // committing
	spare    *importChunk // committed: its buffers are free again
	onDone   func(i int, id records.NumberID)
	onProg   func(ImportProgress)
}

func (s *Badger) importStream(task records.TaskID, src iter.Seq2[records.Number, error], progress func(ImportProgress), stored func(int, records.NumberID)) (ImportResult, error) {
	ts, err := s.taskState(task)
	if err != nil {
		return ImportResult{}, err
	}
	if st := ts.status(); st == records.TaskEnded {
		return ImportResult{}, apierr.New(apierr.TaskOver, "task %d is over", task)
	}
	s.importMu.Lock()
	defer s.importMu.Unlock()
	if err := s.loadFilter(ts); err != nil {
		return ImportResult{}, err
	}
	im := &importer{s: s, ts: ts, fallback: ts.zoneFallback(), onDone: stored, onProg: progress}
	im.cur = im.newChunk()
	var failed error
	i := 0
	for n, perr := range src {
		idx := i
		i++
		im.prog.Read++
		if perr != nil {
			var sf errStreamFailed
			if errors.As(perr, &sf) {
				failed = sf
				break
			}
			im.res.Invalid = append(im.res.Invalid, Rejected{Index: idx, Phone: n.Phone, Err: perr})
			continue
		}
		if err := im.add(idx, &n); err != nil {
			failed = err
			break
		}
	}
	err = im.finish(failed)
	byIndex := func(a, b Rejected) int { return a.Index - b.Index }
	slices.SortFunc(im.res.Invalid, byIndex)
	slices.SortFunc(im.res.Duplicates, byIndex)
	return im.res, err
}

func (ts *taskState) zoneFallback() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.fallback
}

func (ts *taskState) status() records.TaskStatus {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.task.Status
}

// loadFilter builds the phone filter of ts from its p keys on the first
// import after a start. The caller holds importMu.
func (s *Badger) loadFilter(ts *taskState) error {
	if ts.filter != nil {
		return nil
	}
	f := newPhoneFilter()
	if !ts.fresh {
		prefix := appendTask(nil, kPhone, ts.id)
		err := s.db.View(func(txn *badger.Txn) error {
			return scan(txn, prefix, func(item *badger.Item) error {
				f.add(f.hash(string(item.Key()[len(prefix):])))
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	ts.filter = f
	return nil
}

func (im *importer) newChunk() *importChunk {
	if c := im.spare; c != nil {
		im.spare = nil
		clear(c.phones)
		clear(c.lows)
		*c = importChunk{arena: c.arena[:0], entries: c.entries[:0], phones: c.phones, lows: c.lows,
			stored: c.stored[:0], ids: c.ids[:0]}
		return c
	}
	return &importChunk{
		arena:   make([]byte, 0, chunkBytes+maxNumberBytes+1<<16),
		entries: make([]kv, 0, 2*ImportChunk+2),
		phones:  make(map[string]records.NumberID, ImportChunk),
		lows:    make(map[lowKey][]byte),
	}
}

// carve appends the bytes fn writes to the chunk's arena and returns them.
func (c *importChunk) carve(fn func([]byte) []byte) []byte {
	n := len(c.arena)
	c.arena = fn(c.arena)
	return c.arena[n:len(c.arena):len(c.arena)]
}

func (c *importChunk) size() int { return len(c.ids) + len(c.held) }

func (im *importer) reject(list *[]Rejected, idx int, n *records.Number, err error) {
	*list = append(*list, Rejected{Index: idx, Phone: n.Phone, Err: err})
}

func (im *importer) add(idx int, n *records.Number) error {
	if err := validateNumber(n, im.ts.id); err != nil {
		im.reject(&im.res.Invalid, idx, n, err)
		return nil
	}
	c := im.cur
	if _, ok := c.phones[n.Phone]; ok {
		// Resolved at the flush: the first one may be held.
		c.dups = append(c.dups, len(im.res.Duplicates))
		im.reject(&im.res.Duplicates, idx, n, nil)
		return nil
	}
	h := im.ts.filter.hash(n.Phone)
	if im.ts.filter.mayContain(h) {
		c.phones[n.Phone] = 0
		c.held = append(c.held, heldEntry{idx, *n})
		c.bytes += len(n.Phone) + 128
		for k, v := range n.Data {
			c.bytes += len(k) + len(v)
		}
	} else {
		if err := im.accept(idx, n); err != nil {
			return err
		}
		im.ts.filter.add(h)
	}
	if c.bytes > chunkBytes || c.size() >= ImportChunk {
		return im.flush()
	}
	return nil
}

// accept encodes a new number into the current chunk.
func (im *importer) accept(idx int, n *records.Number) error {
	c := im.cur
	b, err := im.s.bucketFor(im.ts, zoneSet(n.TZ, n.Phone, im.fallback))
	if err == nil {
		err = im.s.altBuckets(im.ts, b, n.TZ, n.Alternatives, im.fallback)
	}
	if err != nil {
		delete(c.phones, n.Phone)
		im.reject(&im.res.Invalid, idx, n, err)
		return nil
	}
	r := numRec{Number: *n, state: records.NumberPending, bucket: b.id, ownTZ: n.TZ != ""}
	if b.zone != "" && r.TZ == "" {
		r.TZ = b.zone
	}
	val := c.carve(func(buf []byte) []byte { return encodeNum(buf, &r, b.zone) })
	if len(val) > maxNumberBytes {
		c.arena = c.arena[:len(c.arena)-len(val)]
		delete(c.phones, n.Phone)
		im.reject(&im.res.Invalid, idx, n,
			apierr.Invalid("data", "the entry takes %d bytes, more than %d", len(val), maxNumberBytes))
		return nil
	}
	raw, err := nextID(im.s.numSeq)
	if err != nil {
		return err
	}
	id := records.NumberID(raw)
	if len(c.run) > 0 && id != c.runLast+1 {
		c.endRun(im.ts.id)
	}
	if len(c.run) == 0 {
		c.runFirst = id
	}
	c.runLast = id
	p := r.pos()
	c.run = p.append(c.run)
	key := c.carve(func(buf []byte) []byte { return dueKey(buf, im.ts.id, p, id) })
	pk := c.carve(func(buf []byte) []byte { return phoneKey(buf, im.ts.id, n.Phone) })
	pv := c.carve(func(buf []byte) []byte { return binary.BigEndian.AppendUint64(buf, uint64(id)) })
	c.entries = append(c.entries, kv{key, val}, kv{pk, pv})
	if lk := (lowKey{b, groupOf(key)}); c.lows[lk] == nil || bytes.Compare(key, c.lows[lk]) < 0 {
		c.lows[lk] = key
	}
	c.phones[n.Phone] = id
	c.stored = append(c.stored, idx)
	c.ids = append(c.ids, id)
	c.bytes += len(key) + len(val) + len(n.Phone) + 40
	return nil
}

// endRun adds the i key of the current run of IDs.
func (c *importChunk) endRun(task records.TaskID) {
	if len(c.run) > 0 {
		c.entries = append(c.entries, kv{initKey(task, c.runFirst), c.run})
		c.run = nil
	}
}

// flush resolves the held entries of the current chunk and starts
// committing it, once the previous chunk is committed.
func (im *importer) flush() error {
	c := im.cur
	if c.size() == 0 && len(c.dups) == 0 {
		return nil
	}
	if err := im.wait(); err != nil {
		return err
	}
	if len(c.held) > 0 {
		read := im.s.db.NewTransaction(false)
		for i := range c.held {
			e := &c.held[i]
			id, err := phoneID(read, im.ts.id, e.num.Phone)
			if err != nil {
				read.Discard()
				return err
			}
			if id != 0 {
				c.phones[e.num.Phone] = id
				im.res.Duplicates = append(im.res.Duplicates, Rejected{Index: e.idx, Phone: e.num.Phone, Existing: id})
				continue
			}
			if err := im.accept(e.idx, &e.num); err != nil {
				read.Discard()
				return err
			}
		}
		read.Discard()
		c.held = nil
	}
	for _, d := range c.dups {
		r := &im.res.Duplicates[d]
		r.Existing = c.phones[r.Phone]
	}
	for i := range im.res.Duplicates {
		if r := &im.res.Duplicates[i]; r.Err == nil {
			r.Err = apierr.Invalid("phone", "%s is already number %d of task %d", r.Phone, r.Existing, im.ts.id)
		}
	}
	c.dups = nil
	if len(c.ids) == 0 { // every held entry was a duplicate
		im.spare = c
		im.cur = im.newChunk()
		return nil
	}
	c.endRun(im.ts.id)
	txn := im.s.db.NewTransaction(true)
	for _, e := range c.entries {
		if err := txn.Set(e.k, e.v); err != nil {
			txn.Discard()
			return err
		}
	}
	c.done = make(chan error, 1)
	txn.CommitWith(func(err error) { c.done <- err })
	im.prev = c
	im.cur = im.newChunk()
	return nil
}

// wait waits for the chunk being committed and accounts for it.
func (im *importer) wait() error {
	c := im.prev
	if c == nil {
		return nil
	}
	im.prev = nil
	if err := <-c.done; err != nil {
		return err
	}
	im.ts.mu.Lock()
	for lk, k := range c.lows {
		lk.b.lower(k)
	}
	im.ts.mu.Unlock()
	im.res.Stored += len(c.ids)
	if im.onDone != nil {
		for i, idx := range c.stored {
			im.onDone(idx, c.ids[i])
		}
	}
	im.spare = c
	if im.onProg != nil {
		im.prog.Stored = im.res.Stored
		im.prog.Invalid, im.prog.Duplicates = len(im.res.Invalid), len(im.res.Duplicates)
		im.onProg(im.prog)
	}
	return nil
}

func (im *importer) finish(failed error) error {
	var err error
	if failed == nil {
		err = im.flush()
	}
	if werr := im.wait(); err == nil {
		err = werr
	}
	im.ts.fresh = false
	if failed != nil {
		return failed
	}
	return err
}

// initialPos returns the position number id of task was imported at.
func initialPos(txn *badger.Txn, task records.TaskID, id records.NumberID) (pos, bool, error) {
	it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: appendTask(nil, kInit, task)})
	defer it.Close()
	it.Seek(initKey(task, id))
	if !it.Valid() {
		return pos{}, false, nil
	}
	first := records.NumberID(binary.BigEndian.Uint64(it.Item().Key()[9:]))
	var p pos
	found := false
	err := it.Item().Value(func(v []byte) error {
		off := uint64(id-first) * posLen
		if id >= first && off+posLen <= uint64(len(v)) {
			p, found = parsePos(v[off:]), true
		}
		return nil
	})
	return p, found, err
}

// locate reads number id of ts into r: from its n key, or else from the due
// key it was imported at. found is false when the number does not exist.
func (s *Badger) locate(txn *badger.Txn, ts *taskState, id records.NumberID, r *numRec) (found bool, err error) {
	dec := func(v []byte) error { return decodeNum(v, ts.id, id, r, ts.zoneOf) }
	if found, err := get(txn, numKey(ts.id, id), dec); found || err != nil {
		return found, err
	}
	p, ok, err := initialPos(txn, ts.id, id)
	if !ok || err != nil {
		return false, err
	}
	return get(txn, dueKey(nil, ts.id, p, id), dec)
}

func (r *numRec) info() NumberInfo {
	return NumberInfo{Number: r.Number, State: r.state, NextAt: r.nextAt, Call: r.call,
		Outcome: r.outcome, Reason: r.reason, Updated: r.updated}
}

func numberNotFound(task records.TaskID, what any) error {
	return notFound(apierr.InvalidParams, "number", "task %d has no number %v", task, what)
}

// GetNumber implements Lists.
func (s *Badger) GetNumber(task records.TaskID, id records.NumberID) (NumberInfo, error) {
	ts, err := s.taskState(task)
	if err != nil {
		return NumberInfo{}, err
	}
	var r numRec
	var found bool
	err = s.db.View(func(txn *badger.Txn) error {
		found, err = s.locate(txn, ts, id, &r)
		return err
	})
	if err == nil && !found {
		err = numberNotFound(task, id)
	}
	return r.info(), err
}

// phoneID returns the number of phone in ts (0 when none).
func phoneID(txn *badger.Txn, task records.TaskID, phone string) (records.NumberID, error) {
	var id records.NumberID
	_, err := get(txn, phoneKey(nil, task, phone), func(v []byte) error {
		if len(v) == 8 {
			id = records.NumberID(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return id, err
}

// FindNumber implements Lists.
func (s *Badger) FindNumber(task records.TaskID, phone string) (NumberInfo, error) {
	ts, err := s.taskState(task)
	if err != nil {
		return NumberInfo{}, err
	}
	var r numRec
	var found bool
	err = s.db.View(func(txn *badger.Txn) error {
		id, err := phoneID(txn, task, phone)
		if id == 0 || err != nil {
			return err
		}
		found, err = s.locate(txn, ts, id, &r)
		return err
	})
	if err == nil && !found {
		err = numberNotFound(task, phone)
	}
	return r.info(), err
}

// head is the cursor of one open bucket in NextNumbers.
type head struct {
	b   *bucket
	it  *badger.Iterator
	key []byte // current key: due, valid until the iterator moves
}

// settle moves h to its first due key, skipping every (class, priority)
// group whose next key is not due yet. The caller holds the task's mu.
func (h *head) settle(now uint64) bool {
	for h.it.Valid() {
		k := h.it.Item().Key()
		if dueOf(k) <= now {
			h.key = k
			return true
		}
		next := groupAfter(k)
		if next == nil {
			return false
		}
		g := groupOf(k)
		if v, ok := h.b.after[g]; ok {
			if v == nil {
				return false
			}
			if string(v) > string(next) {
				next = v
			}
		}
		h.it.Seek(next)
		if h.b.after == nil {
			h.b.after = make(map[uint64][]byte)
		}
		if h.it.Valid() {
			h.b.after[g] = h.it.Item().KeyCopy(h.b.after[g][:0])
		} else {
			h.b.after[g] = nil
		}
	}
	return false
}

// NextNumbers implements Serving.
func (s *Badger) NextNumbers(task records.TaskID, now time.Time, max int, buf []records.Number) ([]records.Number, error) {
	out := buf[:0]
	if max <= 0 {
		return out, nil
	}
	ts, err := s.taskState(task)
	if err != nil {
		return out, err
	}
	nowKey := timeKey(now)
	var expired []numRec
	var derr error

	ts.mu.Lock()
	txn := s.db.NewTransaction(false)
	var heads []head
	for _, b := range ts.bucketList() {
		if b.empty || !b.open(now, &ts.window) {
			continue
		}
		prefix := dueBucketPrefix(task, b.id)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		if b.lo != nil {
			it.Seek(b.lo)
		} else {
			it.Seek(prefix)
		}
		if !it.Valid() {
			b.lo, b.empty = nil, true
			it.Close()
			continue
		}
		b.lo = it.Item().KeyCopy(b.lo[:0])
		h := head{b: b, it: it}
		if h.settle(nowKey) {
			heads = append(heads, h)
		} else {
			it.Close()
		}
	}
	for len(out) < max && len(heads) > 0 {
		bi := 0
		for i := 1; i < len(heads); i++ {
			if bytes.Compare(heads[i].key[11:], heads[bi].key[11:]) < 0 {
				bi = i
			}
		}
		h := &heads[bi]
		id := idOfDue(h.key)
		if _, leased := ts.leases[id]; !leased {
			val, err := h.it.Item().ValueCopy(nil)
			if err != nil {
				derr = err
				break
			}
			var r numRec
			if err := decodeNum(val, task, id, &r, ts.zoneOf); err != nil {
				derr = fmt.Errorf("store: number %d of task %d: %w", id, task, err)
				break
			}
			ts.leases[id] = val
			if !r.NotAfter.IsZero() && now.After(r.NotAfter) {
				expired = append(expired, r)
			} else {
				r.Number.Zones = h.b.locs // the zones the engine checks the window in
				out = append(out, r.Number)
			}
		}
		h.it.Next()
		if !h.settle(nowKey) {
			h.it.Close()
			heads = slices.Delete(heads, bi, bi+1)
		}
	}
	for _, h := range heads {
		h.it.Close()
	}
	txn.Discard()
	ts.mu.Unlock()

	if derr != nil {
		return out, derr
	}
	if len(expired) > 0 {
		if err := s.retire(ts, expired, now); err != nil {
			return out, err
		}
	}
	return out, nil
}

// retire marks numbers found past their NotAfter as skipped.
func (s *Badger) retire(ts *taskState, recs []numRec, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	ups := make([]records.NumberUpdate, len(recs))
	for i := range recs {
		r := &recs[i]
		ups[i] = records.NumberUpdate{At: now, Task: ts.id, Number: r.ID, State: records.NumberSkipped,
			Call: r.call, Outcome: r.outcome, Attempts: r.Attempts, Reason: ReasonExpired}
	}
	c := s.newCommitter(b)
	for i := range ups {
		if err := c.number(&ups[i]); err != nil {
			return err
		}
	}
	if err := b.commit(); err != nil {
		return err
	}
	c.applied()
	return nil
}

// ReleaseNumbers implements Serving.
func (s *Badger) ReleaseNumbers(task records.TaskID) {
	s.tmu.Lock()
	ts := s.tasks[task]
	s.tmu.Unlock()
	if ts != nil {
		ts.mu.Lock()
		clear(ts.leases)
		ts.mu.Unlock()
	}
}

// dropLeases forgets the hand-out of ids (their stored values changed).
func (ts *taskState) dropLeases(ids ...records.NumberID) {
	ts.mu.Lock()
	for _, id := range ids {
		delete(ts.leases, id)
	}
	ts.mu.Unlock()
}

// RemoveNumbers implements Lists.
func (s *Badger) RemoveNumbers(task records.TaskID, phones []string) (int, error) {
	return s.removing(task, func(b *batch, ts *taskState) ([]records.NumberID, error) {
		var ids []records.NumberID
		for _, ph := range phones {
			id, err := phoneID(b.txn, task, ph)
			if err != nil {
				return nil, err
			}
			if id == 0 {
				continue
			}
			var r numRec
			found, err := s.locate(b.txn, ts, id, &r)
			if err != nil {
				return nil, err
			}
			if found && r.state == records.NumberDialing {
				continue
			}
			if err := s.deleteNumber(b, ts, &r, found, ph); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	})
}

// removing deletes numbers of a task under the import and store locks, in
// one batch: remove deletes them through b and returns their ids; the batch
// is then committed and the numbers' leases dropped.
func (s *Badger) removing(task records.TaskID, remove func(b *batch, ts *taskState) ([]records.NumberID, error)) (int, error) {
	ts, err := s.taskState(task)
	if err != nil {
		return 0, err
	}
	s.importMu.Lock()
	defer s.importMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	ids, err := remove(b, ts)
	if err != nil {
		return 0, err
	}
	if err := b.commit(); err != nil {
		return 0, err
	}
	ts.dropLeases(ids...)
	return len(ids), nil
}

// deleteNumber removes every key of a number (its i entry stays: it then
// points at nothing).
func (s *Badger) deleteNumber(b *batch, ts *taskState, r *numRec, found bool, phone string) error {
	if found && r.state == records.NumberPending {
		if err := b.del(dueKey(nil, ts.id, r.pos(), r.ID)); err != nil {
			return err
		}
	}
	if err := b.del(numKey(ts.id, r.ID)); err != nil {
		return err
	}
	return b.del(phoneKey(nil, ts.id, phone))
}

// ScheduleCallback implements Lists.
func (s *Badger) ScheduleCallback(sc Schedule) (records.NumberID, error) {
	if err := checkPhone("phone", sc.Phone); err != nil {
		return 0, err
	}
	if sc.At.IsZero() {
		return 0, apierr.Invalid("at", "the callback needs a time")
	}
	for i, a := range sc.Alternatives {
		if err := checkPhone(fmt.Sprintf("alternatives[%d]", i), a); err != nil {
			return 0, err
		}
	}
	if sc.TZ != "" {
		if _, err := loadZone(sc.TZ); err != nil {
			return 0, apierr.Invalid("tz", "%v", err)
		}
	}
	ts, err := s.taskState(sc.Task)
	if err != nil {
		return 0, err
	}
	s.importMu.Lock()
	defer s.importMu.Unlock()
	if err := s.loadFilter(ts); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	id, err := phoneID(b.txn, sc.Task, sc.Phone)
	if err != nil {
		return 0, err
	}
	var r numRec
	found := false
	if id != 0 {
		if found, err = s.locate(b.txn, ts, id, &r); err != nil {
			return 0, err
		}
	}
	if found {
		if r.state == records.NumberPending {
			if err := b.del(dueKey(nil, ts.id, r.pos(), id)); err != nil {
				return 0, err
			}
		}
		if r.state != records.NumberDialing {
			r.state, r.nextAt, r.reason = records.NumberPending, time.Time{}, 0
		}
	} else {
		raw, err := nextID(s.numSeq)
		if err != nil {
			return 0, err
		}
		id = records.NumberID(raw)
		bk, err := s.bucketFor(ts, zoneSet(sc.TZ, sc.Phone, ts.zoneFallback()))
		if err != nil {
			return 0, err
		}
		r = numRec{Number: records.Number{ID: id, Task: sc.Task, Phone: sc.Phone, TZ: sc.TZ, Priority: sc.Priority},
			state: records.NumberPending, bucket: bk.id, ownTZ: sc.TZ != ""}
		if bk.zone != "" && r.TZ == "" {
			r.TZ = bk.zone
		}
		if err := b.set(phoneKey(nil, ts.id, sc.Phone), binary.BigEndian.AppendUint64(nil, uint64(id))); err != nil {
			return 0, err
		}
		ts.filter.add(ts.filter.hash(sc.Phone))
	}
	r.Callback, r.NotBefore = true, sc.At
	if r.NotAfter.Before(sc.At) {
		r.NotAfter = time.Time{}
	}
	if len(sc.Alternatives) > 0 {
		r.Alternatives = slices.Clone(sc.Alternatives)
		if bk := ts.bucket(r.bucket); bk != nil {
			if err := s.altBuckets(ts, bk, r.ownZone(), r.Alternatives, ts.zoneFallback()); err != nil {
				return 0, err
			}
		}
	}
	for k, v := range sc.Data {
		if r.Data == nil {
			r.Data = make(map[string]string, len(sc.Data))
		}
		r.Data[k] = v
	}
	zone := ts.zoneOf(r.bucket)
	val := encodeNum(nil, &r, zone)
	if err := b.set(numKey(ts.id, id), val); err != nil {
		return 0, err
	}
	var key []byte
	if r.state == records.NumberPending {
		key = dueKey(nil, ts.id, r.pos(), id)
		if err := b.set(key, val); err != nil {
			return 0, err
		}
	}
	if err := b.commit(); err != nil {
		return 0, err
	}
	ts.mu.Lock()
	// A number handed out to the engine stays handed out: handed out again,
	// it would sit twice in the engine's buffer and could be dialled twice
	// at once. Its dial starts from the number as scheduled, so the callback
	// outlives that call.
	if _, leased := ts.leases[id]; leased {
		ts.leases[id] = val
	}
	if key != nil {
		ts.bucket(r.bucket).lower(key)
	}
	ts.mu.Unlock()
	ts.fresh = false
	return id, nil
}

// Respool implements Lists.
func (s *Badger) Respool(rp Respool) (records.NumberID, error) {
	if err := checkPhone("phone", rp.Phone); err != nil {
		return 0, err
	}
	for i, a := range rp.Alternatives {
		if err := checkPhone(fmt.Sprintf("alternatives[%d]", i), a); err != nil {
			return 0, err
		}
	}
	if rp.Priority > math.MaxInt32 || rp.Priority < math.MinInt32 {
		return 0, apierr.Invalid("priority", "%d is out of range", rp.Priority)
	}
	ts, err := s.taskState(rp.Task)
	if err != nil {
		return 0, err
	}
	s.importMu.Lock()
	defer s.importMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	id, err := phoneID(b.txn, rp.Task, rp.Phone)
	if err != nil {
		return 0, err
	}
	var r numRec
	found := false
	if id != 0 {
		if found, err = s.locate(b.txn, ts, id, &r); err != nil {
			return 0, err
		}
	}
	if !found {
		return 0, numberNotFound(rp.Task, rp.Phone)
	}
	switch r.state {
	case records.NumberDialing:
		return 0, apierr.Invalid("phone", "number %s of task %d is being dialled: respool it when its call has ended", rp.Phone, rp.Task)
	case records.NumberPending:
		if err := b.del(dueKey(nil, ts.id, r.pos(), id)); err != nil {
			return 0, err
		}
	}
	r.state, r.nextAt, r.reason, r.Attempts = records.NumberPending, time.Time{}, 0, 0
	if r.Callback { // its not-before was the callback's time
		r.Callback, r.NotBefore = false, time.Time{}
	}
	if rp.Priority != 0 {
		r.Priority = rp.Priority
	}
	if len(rp.Alternatives) > 0 {
		r.Alternatives = slices.Clone(rp.Alternatives)
		if bk := ts.bucket(r.bucket); bk != nil {
			if err := s.altBuckets(ts, bk, r.ownZone(), r.Alternatives, ts.zoneFallback()); err != nil {
				return 0, err
			}
		}
	}
	for k, v := range rp.Data {
		if r.Data == nil {
			r.Data = make(map[string]string, len(rp.Data))
		}
		r.Data[k] = v
	}
	val := encodeNum(nil, &r, ts.zoneOf(r.bucket))
	if err := b.set(numKey(ts.id, id), val); err != nil {
		return 0, err
	}
	key := dueKey(nil, ts.id, r.pos(), id)
	if err := b.set(key, val); err != nil {
		return 0, err
	}
	if err := b.commit(); err != nil {
		return 0, err
	}
	ts.mu.Lock()
	// A number handed out to the engine stays handed out (it is dialled
	// from the engine's buffer, never twice); the commit of its dial then
	// starts from the respooled number.
	if _, leased := ts.leases[id]; leased {
		ts.leases[id] = val
	}
	ts.bucket(r.bucket).lower(key)
	ts.mu.Unlock()
	return id, nil
}

// callbacks calls fn for every pending callback of ts due in [from, to).
func (s *Badger) callbacks(txn *badger.Txn, ts *taskState, from, to time.Time, fn func(k []byte, r *numRec) error) error {
	lo, hi := timeKey(from), uint64(math.MaxUint64)
	if !to.IsZero() {
		hi = timeKey(to)
	}
	for _, b := range ts.bucketList() {
		prefix := append(dueBucketPrefix(ts.id, b.id), classCallback)
		err := scan(txn, prefix, func(item *badger.Item) error {
			k := item.Key()
			if d := dueOf(k); d < lo || d >= hi {
				return nil
			}
			var r numRec
			err := item.Value(func(v []byte) error { return decodeNum(v, ts.id, idOfDue(k), &r, ts.zoneOf) })
			if err != nil {
				return err
			}
			return fn(item.KeyCopy(nil), &r)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ListSchedules implements Lists.
func (s *Badger) ListSchedules(task records.TaskID, from, to time.Time) ([]NumberInfo, error) {
	ts, err := s.taskState(task)
	if err != nil {
		return nil, err
	}
	var out []NumberInfo
	err = s.db.View(func(txn *badger.Txn) error {
		return s.callbacks(txn, ts, from, to, func(_ []byte, r *numRec) error {
			out = append(out, r.info())
			return nil
		})
	})
	slices.SortFunc(out, func(a, b NumberInfo) int {
		if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
			return c
		}
		return int(a.ID) - int(b.ID)
	})
	return out, err
}

// RemoveSchedules implements Lists.
func (s *Badger) RemoveSchedules(task records.TaskID, phone string, from, to time.Time) (int, error) {
	return s.removing(task, func(b *batch, ts *taskState) ([]records.NumberID, error) {
		var doomed []numRec
		err := s.callbacks(b.txn, ts, from, to, func(_ []byte, r *numRec) error {
			if phone == "" || r.Phone == phone {
				doomed = append(doomed, *r)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		ids := make([]records.NumberID, len(doomed))
		for i := range doomed {
			if err := s.deleteNumber(b, ts, &doomed[i], true, doomed[i].Phone); err != nil {
				return nil, err
			}
			ids[i] = doomed[i].ID
		}
		return ids, nil
	})
}

// CountNumbers implements Lists.
func (s *Badger) CountNumbers(task records.TaskID) (NumberCounts, error) {
	ts, err := s.taskState(task)
	if err != nil {
		return NumberCounts{}, err
	}
	var c NumberCounts
	err = s.db.View(func(txn *badger.Txn) error {
		if err := scan(txn, appendTask(nil, kDue, ts.id), func(*badger.Item) error {
			c.Pending++
			return nil
		}); err != nil {
			return err
		}
		if err := scan(txn, appendTask(nil, kFlight, ts.id), func(*badger.Item) error {
			c.Dialing++
			return nil
		}); err != nil {
			return err
		}
		// Pending and dialing numbers were counted by their index above.
		return scan(txn, appendTask(nil, kNum, ts.id), func(item *badger.Item) error {
			return item.Value(func(v []byte) error {
				if len(v) < 2 || v[0] != codecVersion {
					return errCorrupt
				}
				switch records.NumberState(v[1]) {
				case records.NumberDone:
					c.Done++
				case records.NumberSkipped:
					c.Skipped++
				}
				return nil
			})
		})
	})
	return c, err
}
