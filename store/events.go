package store

import (
	"encoding/binary"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/outpace-dev/outpace/records"
)

// lastSeq returns the last sequence number of tenant's log. The caller holds s.mu.
func (s *Badger) lastSeq(txn *badger.Txn, tenant string) (uint64, error) {
	if seq, ok := s.seqs[tenant]; ok {
		return seq, nil
	}
	var seq uint64
	_, err := get(txn, eventSeqKey(tenant), func(v []byte) error {
		if len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err == nil {
		s.seqs[tenant] = seq
	}
	return seq, err
}

// AppendEvents implements EventLog.
func (s *Badger) AppendEvents(evs []records.CTIEvent, seqs []uint64) ([]uint64, error) {
	if len(evs) == 0 {
		return seqs, nil
	}
	n0 := len(seqs)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer b.discard()
	c := s.newCommitter(b)
	for i := range evs {
		seq, err := c.event(&evs[i])
		if err != nil {
			return seqs[:n0], err
		}
		seqs = append(seqs, seq)
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

// LastSeq implements EventLog.
func (s *Badger) LastSeq(tenant string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	return s.lastSeq(txn, tenant)
}

// ReadEvents implements EventLog.
func (s *Badger) ReadEvents(tenant string, from uint64, max int, buf []Event) ([]Event, error) {
	out := buf[:0]
	if max <= 0 {
		return out, nil
	}
	prefix := appendTenant(nil, kEvent, tenant)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: min(max, 100)})
		defer it.Close()
		for it.Seek(eventKey(tenant, from)); it.Valid() && len(out) < max; it.Next() {
			k := it.Item().Key()
			ev := Event{Seq: binary.BigEndian.Uint64(k[len(prefix):])}
			if err := it.Item().Value(func(v []byte) error { return decodeEvent(v, tenant, &ev.CTIEvent) }); err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// PruneEvents implements EventLog.
func (s *Badger) PruneEvents(before time.Time) (int, error) {
	var tenants []string
	err := s.db.View(func(txn *badger.Txn) error {
		return scan(txn, []byte{kEventSeq}, func(item *badger.Item) error {
			tenants = append(tenants, string(item.Key()[1:]))
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tenants {
		for {
			k, err := s.pruneSome(t, before)
			n += k
			if err != nil || k < pruneBatch {
				if err != nil {
					return n, err
				}
				break
			}
		}
	}
	return n, nil
}

const pruneBatch = 1 << 16

// pruneSome removes up to pruneBatch events older than before from the head
// of tenant's log.
func (s *Badger) pruneSome(tenant string, before time.Time) (int, error) {
	var doomed [][]byte
	prefix := appendTenant(nil, kEvent, tenant)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(doomed) < pruneBatch; it.Next() {
			var at time.Time
			err := it.Item().Value(func(v []byte) error {
				var err error
				at, err = eventTime(v)
				return err
			})
			if err != nil {
				return err
			}
			if !at.Before(before) {
				break
			}
			doomed = append(doomed, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil || len(doomed) == 0 {
		return 0, err
	}
	wb := s.db.NewWriteBatch()
	for _, k := range doomed {
		if err := wb.Delete(k); err != nil {
			wb.Cancel()
			return 0, err
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, err
	}
	return len(doomed), nil
}
