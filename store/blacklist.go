package store

import (
	"encoding/binary"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/outpace-dev/outpace/records"
)

func checkPhones(phones []string) error {
	for i, p := range phones {
		if err := checkPhone(fmt.Sprintf("phones[%d]", i), p); err != nil {
			return err
		}
	}
	return nil
}

// Blacklist implements Blacklists.
func (s *Badger) Blacklist(tenant string, task records.TaskID, phones ...string) error {
	return s.blacklist(tenant, task, phones, true)
}

// Unblacklist implements Blacklists.
func (s *Badger) Unblacklist(tenant string, task records.TaskID, phones ...string) error {
	return s.blacklist(tenant, task, phones, false)
}

func (s *Badger) blacklist(tenant string, task records.TaskID, phones []string, add bool) error {
	if err := validTenant("tenant", tenant); err != nil {
		return err
	}
	if err := checkPhones(phones); err != nil {
		return err
	}
	if task != 0 {
		if _, err := s.ownTask(tenant, task); err != nil {
			return err
		}
	}
	b := s.newBatch()
	defer b.discard()
	for _, p := range phones {
		var err error
		if add {
			err = b.set(blackKey(tenant, task, p), nil)
		} else {
			err = b.del(blackKey(tenant, task, p))
		}
		if err != nil {
			return err
		}
	}
	return b.commit()
}

// Blacklisted implements Blacklists.
func (s *Badger) Blacklisted(tenant string, task records.TaskID, phone string) (bool, error) {
	var hit bool
	err := s.db.View(func(txn *badger.Txn) error {
		ok, err := exists(txn, blackKey(tenant, 0, phone))
		if ok || err != nil || task == 0 {
			hit = ok
			return err
		}
		hit, err = exists(txn, blackKey(tenant, task, phone))
		return err
	})
	return hit, err
}

// ListBlacklist implements Blacklists.
func (s *Badger) ListBlacklist(tenant string, task records.TaskID, after string, max int) ([]string, error) {
	prefix := binary.BigEndian.AppendUint64(appendTenant(nil, kBlack, tenant), uint64(task))
	var out []string
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		start := append(append([]byte(nil), prefix...), after...)
		if after != "" {
			start = append(start, 0)
		}
		for it.Seek(start); it.Valid() && len(out) < max; it.Next() {
			out = append(out, string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
	return out, err
}
