package store

import (
	"encoding/binary"
	"encoding/json"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/outpace-dev/outpace/apierr"
)

// EnqueueWebhooks implements Outbox.
func (s *Badger) EnqueueWebhooks(hooks []Webhook) error {
	if len(hooks) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	c := s.newCommitter(b)
	for i := range hooks {
		if err := c.hook(&hooks[i]); err != nil {
			return err
		}
	}
	return b.commit()
}

// DueWebhooks implements Outbox.
func (s *Badger) DueWebhooks(now time.Time, max int, buf []Webhook) ([]Webhook, error) {
	out := buf[:0]
	if max <= 0 {
		return out, nil
	}
	s.hmu.Lock()
	defer s.hmu.Unlock()
	nowKey := timeKey(now)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{kHookDue}})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < max; it.Next() {
			k := it.Item().Key()
			if binary.BigEndian.Uint64(k[1:]) > nowKey {
				break
			}
			id := binary.BigEndian.Uint64(k[9:])
			if until, ok := s.hookLeases[id]; ok && now.Before(until) {
				continue
			}
			var h Webhook
			found, err := get(txn, hookKey(id), func(v []byte) error { return json.Unmarshal(v, &h) })
			if err != nil {
				return err
			}
			if found {
				s.hookLeases[id] = now.Add(WebhookLease)
				out = append(out, h)
			}
		}
		return nil
	})
	return out, err
}

func hookNotFound(id uint64) error {
	return notFound(apierr.InvalidParams, "webhook", "no queued webhook %d", id)
}

// WebhookDone implements Outbox.
func (s *Badger) WebhookDone(id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	var h Webhook
	found, err := get(b.txn, hookKey(id), func(v []byte) error { return json.Unmarshal(v, &h) })
	if err != nil {
		return err
	}
	if !found || h.GaveUp {
		return hookNotFound(id)
	}
	if err := b.del(hookKey(id)); err != nil {
		return err
	}
	if err := b.del(hookDueKey(h.NextAt, id)); err != nil {
		return err
	}
	if err := b.commit(); err != nil {
		return err
	}
	s.hmu.Lock()
	delete(s.hookLeases, id)
	s.hmu.Unlock()
	return nil
}

// WebhookFailed implements Outbox.
func (s *Badger) WebhookFailed(id uint64, now time.Time, reason string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	var h Webhook
	found, err := get(b.txn, hookKey(id), func(v []byte) error { return json.Unmarshal(v, &h) })
	if err != nil {
		return false, err
	}
	if !found || h.GaveUp {
		return false, hookNotFound(id)
	}
	if err := b.del(hookDueKey(h.NextAt, id)); err != nil {
		return false, err
	}
	h.Attempts++
	h.LastError = reason
	if h.Attempts > len(RetrySchedule) {
		h.GaveUp, h.GaveUpAt = true, now
	} else {
		h.NextAt = now.Add(RetrySchedule[h.Attempts-1])
		if err := b.set(hookDueKey(h.NextAt, id), nil); err != nil {
			return false, err
		}
	}
	v, err := json.Marshal(&h)
	if err != nil {
		return false, err
	}
	if err := b.set(hookKey(id), v); err != nil {
		return false, err
	}
	if err := b.commit(); err != nil {
		return false, err
	}
	s.hmu.Lock()
	delete(s.hookLeases, id)
	s.hmu.Unlock()
	if h.GaveUp {
		s.log.Warn("webhook given up", "id", id, "tenant", h.Tenant, "kind", h.Kind, "url", h.URL,
			"attempts", h.Attempts, "error", reason)
	}
	return h.GaveUp, nil
}

// FailedWebhooks implements Outbox.
func (s *Badger) FailedWebhooks(tenant string) ([]Webhook, error) {
	var out []Webhook
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = listJSON(txn, []byte{kHook}, func(h *Webhook) bool { return h.GaveUp && h.Tenant == tenant })
		return err
	})
	return out, err
}
