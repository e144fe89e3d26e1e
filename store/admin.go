package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	badger "github.com/dgraph-io/badger/v4"
	"golang.org/x/crypto/argon2"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// PutTenant implements Admin.
func (s *Badger) PutTenant(t Tenant) error {
	if err := validTenant("tenant.id", t.ID); err != nil {
		return err
	}
	if t.TZ != "" {
		if _, err := loadZone(t.TZ); err != nil {
			return apierr.Invalid("tenant.tz", "%v", err)
		}
	}
	v, err := json.Marshal(&t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(append([]byte{kTenant}, t.ID...), v)
	}); err != nil {
		return err
	}
	zone := orDefault(t.TZ, "UTC")
	s.tmu.Lock()
	for _, ts := range s.tasks {
		ts.mu.Lock()
		if ts.task.Spec.Tenant == t.ID {
			ts.fallback = zone
		}
		ts.mu.Unlock()
	}
	s.tmu.Unlock()
	return nil
}

// GetTenant implements Admin.
func (s *Badger) GetTenant(id string) (Tenant, error) {
	var t Tenant
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, append([]byte{kTenant}, id...), func(v []byte) error { return json.Unmarshal(v, &t) })
		return err
	})
	if err == nil && !found {
		err = notFound(apierr.InvalidParams, "tenant", "tenant %q does not exist", id)
	}
	return t, err
}

// ListTenants implements Admin.
func (s *Badger) ListTenants() ([]Tenant, error) {
	var out []Tenant
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = listJSON[Tenant](txn, []byte{kTenant}, nil)
		return err
	})
	return out, err
}

// Argon2id parameters of new credentials (the OWASP minimum: 19 MiB, 2
// passes, 1 lane). They are stored with each hash, so they can change.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

type credential struct {
	Tenant string `json:"tenant"`
	Hash   string `json:"hash"` // PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$key
}

func hashSecret(secret string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func checkSecret(phc, secret string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || p == 0 || t == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(secret), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// dummyHash is checked against when an app does not exist, so that a wrong
// app and a wrong secret take the same time.
var dummyHash, _ = hashSecret("outpace")

func appKey(app string) []byte { return append([]byte{kApp}, app...) }

// SetCredential implements Admin.
func (s *Badger) SetCredential(tenant, app, secret string) error {
	if err := validTenant("tenant", tenant); err != nil {
		return err
	}
	if app == "" || len(app) > 128 {
		return apierr.Invalid("app_id", "must be 1–128 bytes")
	}
	if len(secret) < 16 {
		return apierr.Invalid("access_key", "must be at least 16 bytes")
	}
	h, err := hashSecret(secret)
	if err != nil {
		return err
	}
	v, err := json.Marshal(credential{Tenant: tenant, Hash: h})
	if err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(appKey(app), v) })
}

// DeleteCredential implements Admin.
func (s *Badger) DeleteCredential(app string) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(appKey(app)) })
}

// CheckCredentials implements Admin.
func (s *Badger) CheckCredentials(app, secret string) (string, error) {
	var c credential
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, appKey(app), func(v []byte) error { return json.Unmarshal(v, &c) })
		return err
	})
	if err != nil {
		return "", err
	}
	if !found {
		checkSecret(dummyHash, secret)
	} else if checkSecret(c.Hash, secret) {
		return c.Tenant, nil
	}
	return "", &apierr.Error{Code: apierr.InvalidParams, Field: "access_key",
		Msg: "wrong app id or access key", Err: ErrBadCredentials}
}

func exists(txn *badger.Txn, k []byte) (bool, error) {
	return get(txn, k, func([]byte) error { return nil })
}

// anyWithPrefix reports whether some key has prefix p.
func anyWithPrefix(txn *badger.Txn, p []byte) bool {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
	defer it.Close()
	it.Rewind()
	return it.Valid()
}

// CreateTask implements Admin.
func (s *Badger) CreateTask(t *Task) error {
	if err := validTenant("task.tenant", t.Spec.Tenant); err != nil {
		return err
	}
	if err := t.Window.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	taken := func(id records.TaskID) (bool, error) {
		if ok, err := exists(b.txn, taskKey(id)); ok || err != nil {
			return ok, err
		}
		// Keys of a deleted task that were not all removed yet.
		for _, table := range []byte{kPhone, kNum, kInit, kBucket} {
			if anyWithPrefix(b.txn, appendTask(nil, table, id)) {
				return true, nil
			}
		}
		return false, nil
	}
	if t.Spec.ID == 0 {
		for {
			raw, err := nextID(s.taskSeq)
			if err != nil {
				return err
			}
			ok, err := taken(records.TaskID(raw))
			if err != nil {
				return err
			}
			if !ok {
				t.Spec.ID = records.TaskID(raw)
				break
			}
		}
	} else if ok, err := taken(t.Spec.ID); err != nil {
		return err
	} else if ok {
		return apierr.Invalid("task.id", "task %d exists", t.Spec.ID)
	}
	t.Status, t.Exhausted = records.TaskCreated, false
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := b.set(taskKey(t.Spec.ID), v); err != nil {
		return err
	}
	ts := &taskState{id: t.Spec.ID, task: *t, window: t.Window.Effective(), fresh: true,
		leases: make(map[records.NumberID][]byte), byName: make(map[string]*bucket)}
	ts.fallback = s.tenantZone(b.txn, t.Spec.Tenant)
	ts.buckets.Store(new([]*bucket))
	if err := b.commit(); err != nil {
		return err
	}
	s.tmu.Lock()
	s.tasks[ts.id] = ts
	s.tmu.Unlock()
	return nil
}

// ownTask returns the state of a task of tenant.
func (s *Badger) ownTask(tenant string, id records.TaskID) (*taskState, error) {
	ts, err := s.taskState(id)
	if err != nil {
		return nil, err
	}
	if ts.tenant() != tenant {
		return nil, taskNotFound(id)
	}
	return ts, nil
}

// UpdateTask implements Admin.
func (s *Badger) UpdateTask(t *Task) error {
	if err := t.Window.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts, err := s.ownTask(t.Spec.Tenant, t.Spec.ID)
	if err != nil {
		return err
	}
	ts.mu.Lock()
	cur := ts.task
	ts.mu.Unlock()
	t.Status, t.Exhausted, t.Updated, t.Created = cur.Status, cur.Exhausted, cur.Updated, cur.Created
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(taskKey(t.Spec.ID), v) }); err != nil {
		return err
	}
	ts.mu.Lock()
	ts.task, ts.window = *t, t.Window.Effective()
	ts.mu.Unlock()
	return nil
}

// GetTask implements Admin.
func (s *Badger) GetTask(tenant string, id records.TaskID) (Task, error) {
	ts, err := s.ownTask(tenant, id)
	if err != nil {
		return Task{}, err
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.task, nil
}

// ListTasks implements Admin.
func (s *Badger) ListTasks(tenant string) ([]Task, error) {
	var out []Task
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = listJSON(txn, []byte{kTask}, func(t *Task) bool { return t.Spec.Tenant == tenant })
		return err
	})
	return out, err
}

// DeleteTask implements Admin.
func (s *Badger) DeleteTask(tenant string, id records.TaskID) error {
	s.importMu.Lock()
	defer s.importMu.Unlock()
	s.mu.Lock()
	ts, err := s.ownTask(tenant, id)
	if err == nil && ts.status() == records.TaskRunning {
		err = apierr.New(apierr.TaskInProgress, "task %d is running: end it first", id)
	}
	if err == nil {
		err = s.db.Update(func(txn *badger.Txn) error { return txn.Delete(taskKey(id)) })
	}
	if err == nil {
		s.dropTaskState(id)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// Nothing refers to the task any more: remove its keys in batches.
	blackPrefix := binary.BigEndian.AppendUint64(appendTenant(nil, kBlack, tenant), uint64(id))
	for _, p := range [][]byte{appendTask(nil, kDue, id), appendTask(nil, kNum, id), appendTask(nil, kFlight, id),
		appendTask(nil, kInit, id), appendTask(nil, kPhone, id), appendTask(nil, kBucket, id), blackPrefix} {
		if err := s.deletePrefix(p); err != nil {
			return err
		}
	}
	return nil
}

// deletePrefix deletes every key with prefix p.
func (s *Badger) deletePrefix(p []byte) error {
	for {
		var keys [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			return scan(txn, p, func(item *badger.Item) error {
				if len(keys) < 1<<16 {
					keys = append(keys, item.KeyCopy(nil))
				}
				return nil
			})
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		wb := s.db.NewWriteBatch()
		for _, k := range keys {
			if err := wb.Delete(k); err != nil {
				wb.Cancel()
				return err
			}
		}
		if err := wb.Flush(); err != nil {
			return err
		}
	}
}

func queueNotFound(id records.QueueID) error {
	return notFound(apierr.InvalidParams, "queue", "queue %d does not exist", id)
}

// PutQueue implements Admin.
func (s *Badger) PutQueue(q *Queue) error {
	if err := validTenant("queue.tenant", q.Spec.Tenant); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Update(func(txn *badger.Txn) error {
		if q.Spec.ID == 0 {
			for {
				raw, err := nextID(s.queueSeq)
				if err != nil {
					return err
				}
				if raw > math.MaxUint32 {
					return apierr.Invalid("queue.id", "no queue ID left")
				}
				if ok, err := exists(txn, queueKey(records.QueueID(raw))); err != nil {
					return err
				} else if !ok {
					q.Spec.ID = records.QueueID(raw)
					break
				}
			}
		} else {
			var cur Queue
			found, err := get(txn, queueKey(q.Spec.ID), func(v []byte) error { return json.Unmarshal(v, &cur) })
			if err != nil {
				return err
			}
			if found && cur.Spec.Tenant != q.Spec.Tenant {
				return queueNotFound(q.Spec.ID)
			}
		}
		v, err := json.Marshal(q)
		if err != nil {
			return err
		}
		return txn.Set(queueKey(q.Spec.ID), v)
	})
}

// GetQueue implements Admin.
func (s *Badger) GetQueue(tenant string, id records.QueueID) (Queue, error) {
	var q Queue
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, queueKey(id), func(v []byte) error { return json.Unmarshal(v, &q) })
		return err
	})
	if err == nil && (!found || q.Spec.Tenant != tenant) {
		return Queue{}, queueNotFound(id)
	}
	return q, err
}

// ListQueues implements Admin.
func (s *Badger) ListQueues(tenant string) ([]Queue, error) {
	var out []Queue
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = listJSON(txn, []byte{kQueue}, func(q *Queue) bool { return q.Spec.Tenant == tenant })
		return err
	})
	return out, err
}

// DeleteQueue implements Admin.
func (s *Badger) DeleteQueue(tenant string, id records.QueueID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.GetQueue(tenant, id); err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(queueKey(id)) })
}

func agentNotFound(id records.AgentID) error {
	return notFound(apierr.NotFoundAgentID, "agent", "agent %d does not exist", id)
}

// PutAgent implements Admin.
func (s *Badger) PutAgent(a *records.AgentSpec) error {
	if err := validTenant("agent.tenant", a.Tenant); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Update(func(txn *badger.Txn) error {
		if a.ID == 0 {
			for {
				raw, err := nextID(s.agentSeq)
				if err != nil {
					return err
				}
				if raw > math.MaxUint32 {
					return apierr.Invalid("agent.id", "no agent ID left")
				}
				if ok, err := exists(txn, agentKey(records.AgentID(raw))); err != nil {
					return err
				} else if !ok {
					a.ID = records.AgentID(raw)
					break
				}
			}
		} else {
			var cur records.AgentSpec
			found, err := get(txn, agentKey(a.ID), func(v []byte) error { return json.Unmarshal(v, &cur) })
			if err != nil {
				return err
			}
			if found && cur.Tenant != a.Tenant {
				return agentNotFound(a.ID)
			}
		}
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return txn.Set(agentKey(a.ID), v)
	})
}

// GetAgent implements Admin.
func (s *Badger) GetAgent(tenant string, id records.AgentID) (records.AgentSpec, error) {
	var a records.AgentSpec
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, agentKey(id), func(v []byte) error { return json.Unmarshal(v, &a) })
		return err
	})
	if err == nil && (!found || a.Tenant != tenant) {
		return records.AgentSpec{}, agentNotFound(id)
	}
	return a, err
}

// ListAgents implements Admin.
func (s *Badger) ListAgents(tenant string) ([]records.AgentSpec, error) {
	var out []records.AgentSpec
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = listJSON(txn, []byte{kAgent}, func(a *records.AgentSpec) bool { return a.Tenant == tenant })
		return err
	})
	return out, err
}

// DeleteAgent implements Admin.
func (s *Badger) DeleteAgent(tenant string, id records.AgentID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.GetAgent(tenant, id); err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(agentKey(id)) })
}
