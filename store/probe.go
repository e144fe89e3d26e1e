package store

import (
	"encoding/binary"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Probe writes now under a health key (M h) in a synced transaction and
// reports whether it could: a store that is closed, full or failing
// returns the error. /healthz calls it.
func (s *Badger) Probe(now time.Time) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(now.UnixNano()))
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte{kMeta, 'h'}, v[:])
	})
}
