package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// Config configures a Badger store.
type Config struct {
	// Dir is the data directory. Ignored when InMemory.
	Dir string
	// InMemory keeps everything in memory (tests): nothing survives Close.
	InMemory bool
	// Logger receives the store's and Badger's messages; nil discards them.
	// Badger's informational messages are logged at debug level.
	Logger *slog.Logger
	// InterruptedRetry is how long after Recover a number whose call was
	// interrupted by a crash becomes due again (default 72 h: the call may
	// have been answered and abandoned, and Ofcom forbids calling an
	// abandoned number again within 72 h). Negative is an error.
	InterruptedRetry time.Duration
	// Existing makes Open fail with ErrNoStore, creating nothing, when Dir
	// does not hold a store yet: for the tools that only add to one.
	Existing bool
	// Tune, when set, adjusts Badger's options before the database opens.
	Tune func(badger.Options) badger.Options
}

// ErrNoStore is matched (errors.Is) by the error of Open with
// Config.Existing when the directory is missing or holds no store.
var ErrNoStore = errors.New("no store")

// DefaultInterruptedRetry is the default Config.InterruptedRetry.
const DefaultInterruptedRetry = 72 * time.Hour

// Badger is the Store on github.com/dgraph-io/badger/v4. It is safe for
// concurrent use. Writes that read before they write are serialized by one
// mutex (the runner's Commit among them); imports are serialized by a second
// one and write keys no other writer touches, so an import does not hold up
// the runner.
type Badger struct {
	db  *badger.DB
	cfg Config
	log *slog.Logger

	mu       sync.Mutex // writers that read first; guards lastCall, seqs and unpulledLo
	importMu sync.Mutex // imports and every other writer of p keys; taken before mu

	numSeq, taskSeq, queueSeq, agentSeq, hookSeq *badger.Sequence

	lastCall   records.CallID
	seqs       map[string]uint64 // tenant → last event sequence number (loaded lazily)
	unpulledLo map[string][]byte // tenant → lower bound of its "not pulled" index keys

	tmu   sync.Mutex
	tasks map[records.TaskID]*taskState

	hmu        sync.Mutex
	hookLeases map[uint64]time.Time // webhook → end of its lease
}

var _ Store = (*Badger)(nil)

// Open opens (creating it if needed) the store of cfg.
func Open(cfg Config) (*Badger, error) {
	if cfg.InterruptedRetry < 0 {
		return nil, apierr.Invalid("store.interrupted_retry", "must not be negative, got %v", cfg.InterruptedRetry)
	}
	if cfg.InterruptedRetry == 0 {
		cfg.InterruptedRetry = DefaultInterruptedRetry
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := cfg.Dir
	if cfg.InMemory {
		dir = ""
	} else if dir == "" {
		return nil, apierr.Invalid("store.dir", "a data directory is required")
	}
	opt := badger.DefaultOptions(dir).
		WithInMemory(cfg.InMemory).
		WithSyncWrites(!cfg.InMemory).
		WithDetectConflicts(false). // writers are serialized by the store's own locks
		WithLogger(badgerLogger{log}).
		WithMetricsEnabled(false).
		// A damaged block is then an error of the read, not garbage
		// decoded (or a panic on one of Badger's goroutines).
		WithChecksumVerificationMode(options.OnBlockRead)
	if cfg.Tune != nil {
		opt = cfg.Tune(opt)
	}
	if !cfg.InMemory {
		unlock, err := lockDir(dir)
		if err != nil {
			return nil, err
		}
		err = checkTables(dir, opt)
		if err == nil && cfg.Existing {
			if _, serr := os.Stat(filepath.Join(dir, badger.ManifestFilename)); errors.Is(serr, fs.ErrNotExist) {
				err = fmt.Errorf("store: %s holds no store: %w", dir, ErrNoStore)
			}
		}
		if err == nil {
			err = removeEmptyLogs(dir, log)
		}
		unlock()
		if err != nil {
			return nil, err
		}
	}
	var db *badger.DB
	if err := safely(func() error {
		var err error
		db, err = badger.Open(opt)
		return err
	}); err != nil {
		if cfg.InMemory {
			return nil, fmt.Errorf("store: open in memory: %w", err)
		}
		return nil, badgerOpenError(dir, err)
	}
	s := &Badger{
		db: db, cfg: cfg, log: log,
		seqs:       make(map[string]uint64),
		unpulledLo: make(map[string][]byte),
		tasks:      make(map[records.TaskID]*taskState),
		hookLeases: make(map[uint64]time.Time),
	}
	if err := safely(s.init); err != nil {
		db.Close()
		var p *panicked
		if !cfg.InMemory && errors.As(err, &p) {
			return nil, damaged(dir, "Badger cannot read it back: "+p.Error())
		}
		return nil, err
	}
	return s, nil
}

func (s *Badger) init() error {
	err := s.db.Update(func(txn *badger.Txn) error {
		k := []byte{kMeta, 'v'}
		item, err := txn.Get(k)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			return txn.Set(k, []byte{schemaVers})
		case err != nil:
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 1 || v[0] != schemaVers {
				return fmt.Errorf("store: data schema version %v, this build reads %d", v, schemaVers)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, q := range []struct {
		p    **badger.Sequence
		name string
		bw   uint64
	}{{&s.numSeq, "num", 1 << 16}, {&s.taskSeq, "task", 16}, {&s.queueSeq, "queue", 16},
		{&s.agentSeq, "agent", 64}, {&s.hookSeq, "hook", 1024}} {
		seq, err := s.db.GetSequence([]byte{kSeq, q.name[0], q.name[1], q.name[2]}, q.bw)
		if err != nil {
			return err
		}
		*q.p = seq
	}
	return s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(lastCallKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) == 8 {
				s.lastCall = records.CallID(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
}

var lastCallKey = []byte{kMeta, 'c'}

// removeEmptyLogs deletes the empty write-ahead (.mem) and value-log (.vlog)
// files of dir. A process killed between creating such a file and sizing it
// leaves it empty, and Badger then refuses to open the directory
// (github.com/dgraph-io/badger issue 2207). An empty file holds no data.
func removeEmptyLogs(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || (!strings.HasSuffix(name, ".mem") && !strings.HasSuffix(name, ".vlog")) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() != 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return err
		}
		log.Warn("removed an empty log file left by a crash", "file", name)
	}
	return nil
}

// Close releases the unused ID leases and closes the database.
func (s *Badger) Close() error {
	var errs []error
	for _, q := range []*badger.Sequence{s.numSeq, s.taskSeq, s.queueSeq, s.agentSeq, s.hookSeq} {
		if q != nil {
			errs = append(errs, q.Release())
		}
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// DB returns the underlying database, for tools and tests that inspect keys.
func (s *Badger) DB() *badger.DB { return s.db }

// nextID returns the next value of seq above 0.
func nextID(seq *badger.Sequence) (uint64, error) {
	for {
		v, err := seq.Next()
		if err != nil || v != 0 {
			return v, err
		}
	}
}

type badgerLogger struct{ l *slog.Logger }

// Errorf logs a Badger error.
func (b badgerLogger) Errorf(f string, a ...any) { b.log(slog.LevelError, f, a) }

// Warningf logs a Badger warning.
func (b badgerLogger) Warningf(f string, a ...any) { b.log(slog.LevelWarn, f, a) }

// Infof logs Badger's chatter (compactions, flushes) at debug level.
func (b badgerLogger) Infof(f string, a ...any) { b.log(slog.LevelDebug, f, a) }

// Debugf logs Badger's debug messages below debug level.
func (b badgerLogger) Debugf(f string, a ...any) { b.log(slog.LevelDebug-4, f, a) }

func (b badgerLogger) log(l slog.Level, f string, a []any) {
	ctx := context.Background()
	if b.l.Enabled(ctx, l) {
		b.l.Log(ctx, l, strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
	}
}

// taskState is what the store keeps in memory about a task: its record, its
// zone buckets, the numbers handed out to the engine and the phone filter.
type taskState struct {
	id records.TaskID

	mu      sync.Mutex // guards task, window, the buckets' hints and leases
	task    Task
	window  records.Window
	leases  map[records.NumberID][]byte // number handed out → its value then
	buckets atomic.Pointer[[]*bucket]   // by ID; replaced, never modified
	byName  map[string]*bucket          // guarded by importMu
	// fallback is the zone of numbers whose prefix has none: the
	// tenant's. Guarded by mu.
	fallback string

	// guarded by importMu
	filter *phoneFilter
	fresh  bool // created by this process: no phone stored yet
}

func (ts *taskState) bucketList() []*bucket {
	if p := ts.buckets.Load(); p != nil {
		return *p
	}
	return nil
}

// zoneOf returns the single zone of bucket b ("" when several).
func (ts *taskState) zoneOf(b uint16) string {
	if l := ts.bucketList(); int(b) < len(l) {
		return l[b].zone
	}
	return ""
}

func (ts *taskState) bucket(b uint16) *bucket {
	if l := ts.bucketList(); int(b) < len(l) {
		return l[b]
	}
	return nil
}

func (ts *taskState) tenant() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.task.Spec.Tenant
}

// taskState returns the in-memory state of task, loading it on first use.
func (s *Badger) taskState(id records.TaskID) (*taskState, error) {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if ts, ok := s.tasks[id]; ok {
		return ts, nil
	}
	ts := &taskState{id: id, leases: make(map[records.NumberID][]byte), byName: make(map[string]*bucket)}
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(taskKey(id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return taskNotFound(id)
		} else if err != nil {
			return err
		}
		if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &ts.task) }); err != nil {
			return err
		}
		ts.window = ts.task.Window.Effective()
		ts.fallback = s.tenantZone(txn, ts.task.Spec.Tenant)
		var list []*bucket
		it := txn.NewIterator(badger.IteratorOptions{Prefix: appendTask(nil, kBucket, id)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			bid := binary.BigEndian.Uint16(k[9:])
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			b, err := newBucket(bid, string(v))
			if err != nil {
				return fmt.Errorf("store: task %d bucket %d: %w", id, bid, err)
			}
			if int(bid) != len(list) {
				return fmt.Errorf("store: task %d: bucket %d out of order", id, bid)
			}
			list = append(list, b)
			ts.byName[b.name] = b
		}
		ts.buckets.Store(&list)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.tasks[id] = ts
	return ts, nil
}

func (s *Badger) dropTaskState(id records.TaskID) {
	s.tmu.Lock()
	delete(s.tasks, id)
	s.tmu.Unlock()
}

// tenantZone returns the fallback zone of a tenant's numbers.
func (s *Badger) tenantZone(txn *badger.Txn, tenant string) string {
	item, err := txn.Get(append([]byte{kTenant}, tenant...))
	if err != nil {
		return "UTC"
	}
	var t Tenant
	if item.Value(func(v []byte) error { return json.Unmarshal(v, &t) }) != nil || t.TZ == "" {
		return "UTC"
	}
	return t.TZ
}

// bucketFor returns the bucket of zone set name in ts, creating (and
// persisting) it when new. The caller holds importMu.
func (s *Badger) bucketFor(ts *taskState, name string) (*bucket, error) {
	if b, ok := ts.byName[name]; ok {
		return b, nil
	}
	list := ts.bucketList()
	if len(list) >= 1<<16 {
		return nil, apierr.Invalid("tz", "task %d has too many time-zone sets", ts.id)
	}
	b, err := newBucket(uint16(len(list)), name)
	if err != nil {
		return nil, apierr.Invalid("tz", "%v", err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(bucketKey(ts.id, b.id), []byte(name))
	}); err != nil {
		return nil, err
	}
	b.empty = true // no key yet: the first insert sets the hint
	next := append(list[:len(list):len(list)], b)
	ts.mu.Lock()
	ts.buckets.Store(&next)
	ts.mu.Unlock()
	ts.byName[name] = b
	return b, nil
}

// batch is a write transaction that, in the unlikely case it grows past
// Badger's limit, commits what it holds and goes on in a new one.
type batch struct {
	db  *badger.DB
	txn *badger.Txn
}

func (s *Badger) newBatch() *batch {
	return &batch{db: s.db, txn: s.db.NewTransaction(true)}
}

func (b *batch) set(k, v []byte) error {
	err := b.txn.Set(k, v)
	if errors.Is(err, badger.ErrTxnTooBig) {
		if err := b.txn.Commit(); err != nil {
			return err
		}
		b.txn = b.db.NewTransaction(true)
		err = b.txn.Set(k, v)
	}
	return err
}

func (b *batch) del(k []byte) error {
	err := b.txn.Delete(k)
	if errors.Is(err, badger.ErrTxnTooBig) {
		if err := b.txn.Commit(); err != nil {
			return err
		}
		b.txn = b.db.NewTransaction(true)
		err = b.txn.Delete(k)
	}
	return err
}

func (b *batch) commit() error { return b.txn.Commit() }
func (b *batch) discard()      { b.txn.Discard() }

// get reads a key inside the batch; found is false when it is missing.
func get(txn *badger.Txn, k []byte, fn func(v []byte) error) (found bool, err error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, item.Value(fn)
}

// scan calls fn for every key with prefix (values on demand).
func scan(txn *badger.Txn, prefix []byte, fn func(item *badger.Item) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if err := fn(it.Item()); err != nil {
			return err
		}
	}
	return nil
}

func validTenant(field, t string) error {
	if t == "" || len(t) > 128 || strings.IndexByte(t, 0) >= 0 {
		return apierr.Invalid(field, "must be 1–128 bytes without NUL, got %q", t)
	}
	return nil
}
