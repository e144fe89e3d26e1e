package store

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// recordTime is the time a record is indexed and paged by: the start of the
// customer leg (its end when it never started).
func recordTime(r *records.CallRecord) uint64 {
	if !r.Start.IsZero() {
		return timeKey(r.Start)
	}
	return timeKey(r.End)
}

// recordIndexKeys returns the index keys of r.
func recordIndexKeys(r *records.CallRecord, pulled bool) [][]byte {
	var tail [16]byte
	binary.BigEndian.PutUint64(tail[:], recordTime(r))
	binary.BigEndian.PutUint64(tail[8:], uint64(r.Call))
	key := func(kind byte, attr []byte) []byte {
		return append(recIndexPrefix(r.Tenant, kind, attr), tail[:]...)
	}
	keys := [][]byte{key(ixTime, nil), key(ixTask, binary.BigEndian.AppendUint64(nil, uint64(r.Task)))}
	if r.Number != 0 {
		keys = append(keys, key(ixNumber, binary.BigEndian.AppendUint64(nil, uint64(r.Number))))
	}
	if r.Agent != 0 {
		keys = append(keys, key(ixAgent, binary.BigEndian.AppendUint32(nil, uint32(r.Agent))))
	}
	if r.Called != "" {
		keys = append(keys, key(ixCalled, append([]byte(r.Called), 0)))
	}
	if !pulled {
		keys = append(keys, key(ixUnpulled, nil))
	}
	return keys
}

// putRecord writes r and its index keys, replacing a stored record of the
// same call.
func (s *Badger) putRecord(b *batch, r *records.CallRecord, pulled bool) error {
	k := recordKey(r.Tenant, r.Call)
	var old records.CallRecord
	var oldPulled bool
	found, err := get(b.txn, k, func(v []byte) error {
		var err error
		oldPulled, err = decodeRecord(v, r.Tenant, &old)
		return err
	})
	if err != nil {
		return err
	}
	if found {
		for _, ik := range recordIndexKeys(&old, oldPulled) {
			if err := b.del(ik); err != nil {
				return err
			}
		}
	}
	if err := b.set(k, encodeRecord(nil, r, pulled)); err != nil {
		return err
	}
	keys := recordIndexKeys(r, pulled)
	for _, ik := range keys {
		if err := b.set(ik, nil); err != nil {
			return err
		}
	}
	if !pulled {
		s.lowerUnpulled(r.Tenant, keys[len(keys)-1])
	}
	return nil
}

// lowerUnpulled notes a new key of tenant's "not pulled" index. The caller
// holds s.mu.
func (s *Badger) lowerUnpulled(tenant string, k []byte) {
	if lo, ok := s.unpulledLo[tenant]; ok && string(k) < string(lo) {
		s.unpulledLo[tenant] = append(lo[:0], k...)
	}
}

// GetRecord implements Records.
func (s *Badger) GetRecord(tenant string, call records.CallID) (records.CallRecord, error) {
	var r records.CallRecord
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, recordKey(tenant, call), func(v []byte) error {
			_, err := decodeRecord(v, tenant, &r)
			return err
		})
		return err
	})
	if err == nil && !found {
		err = notFound(apierr.NotFoundCallID, "call", "no record of call %d", call)
	}
	return r, err
}

// QueryRecords implements Records.
func (s *Badger) QueryRecords(q RecordQuery) (RecordPage, error) {
	if err := validTenant("tenant", q.Tenant); err != nil {
		return RecordPage{}, err
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultPage
	case limit < 0 || limit > MaxPage:
		return RecordPage{}, apierr.Invalid("limit", "page size must be 1–%d, got %d", MaxPage, q.Limit)
	}
	if q.Sync > SyncAll {
		return RecordPage{}, apierr.Invalid("syncflag", "must be 1 (not pulled), 2 (pulled) or 3 (all), got %d", q.Sync)
	}
	if q.Called != "" && strings.IndexByte(q.Called, 0) >= 0 {
		return RecordPage{}, apierr.Invalid("called", "must not contain NUL")
	}
	var after []byte
	if q.SearchAfter != "" {
		c, err := hex.DecodeString(q.SearchAfter)
		if err != nil || len(c) != 16 {
			return RecordPage{}, apierr.Invalid("search_after", "%q is not a cursor of this query", q.SearchAfter)
		}
		after = c
	}

	// The most selective index the query allows.
	var prefix []byte
	switch {
	case q.Number != 0:
		prefix = recIndexPrefix(q.Tenant, ixNumber, binary.BigEndian.AppendUint64(nil, uint64(q.Number)))
	case q.Called != "":
		prefix = recIndexPrefix(q.Tenant, ixCalled, append([]byte(q.Called), 0))
	case q.Agent != 0:
		prefix = recIndexPrefix(q.Tenant, ixAgent, binary.BigEndian.AppendUint32(nil, uint32(q.Agent)))
	case q.Task != 0:
		prefix = recIndexPrefix(q.Tenant, ixTask, binary.BigEndian.AppendUint64(nil, uint64(q.Task)))
	case q.Sync == SyncUnpulled:
		prefix = recIndexPrefix(q.Tenant, ixUnpulled, nil)
	default:
		prefix = recIndexPrefix(q.Tenant, ixTime, nil)
	}
	start := append(slices.Clip(prefix), binary.BigEndian.AppendUint64(nil, timeKey(q.From))...)
	if after != nil {
		start = append(append(slices.Clip(prefix), after...), 0) // just past the cursor
	}
	var end []byte
	if !q.To.IsZero() {
		end = append(slices.Clip(prefix), binary.BigEndian.AppendUint64(nil, timeKey(q.To))...)
	}

	match := func(r *records.CallRecord, pulled bool) bool {
		switch {
		case q.Task != 0 && r.Task != q.Task,
			q.Number != 0 && r.Number != q.Number,
			q.Called != "" && r.Called != q.Called,
			q.Agent != 0 && r.Agent != q.Agent,
			q.Sync == SyncUnpulled && pulled,
			q.Sync == SyncPulled && !pulled,
			len(q.Results) > 0 && !slices.Contains(q.Results, r.Result):
			return false
		}
		return true
	}

	var page RecordPage
	var pulledNow []int // records of page to mark pulled
	// Pulls read the "not pulled" index from its head, where the keys of
	// the records pulled before are deleted: a lower bound of its live keys,
	// kept in memory, skips them (see doc.go on tombstones).
	hinted := false
	hint := func() {
		if q.Peek || prefix[len(prefix)-1] != ixUnpulled {
			return
		}
		lo, ok := s.unpulledLo[q.Tenant]
		switch {
		case ok && string(start) <= string(lo):
			start, hinted = lo, true
		case !ok && q.From.IsZero() && after == nil:
			hinted = true
		}
	}
	run := func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		first := true
		for it.Seek(start); it.Valid() && len(page.Records) < limit; it.Next() {
			k := it.Item().Key()
			if first && hinted {
				s.unpulledLo[q.Tenant] = append(s.unpulledLo[q.Tenant][:0:0], k...)
			}
			first = false
			if end != nil && string(k) >= string(end) {
				break
			}
			if len(k) != len(prefix)+16 {
				continue
			}
			call := records.CallID(binary.BigEndian.Uint64(k[len(k)-8:]))
			var r records.CallRecord
			var pulled bool
			found, err := get(txn, recordKey(q.Tenant, call), func(v []byte) error {
				var err error
				pulled, err = decodeRecord(v, q.Tenant, &r)
				return err
			})
			if err != nil {
				return err
			}
			if !found || !match(&r, pulled) {
				continue
			}
			if !pulled {
				pulledNow = append(pulledNow, len(page.Records))
			}
			page.Records = append(page.Records, r)
		}
		if first && hinted { // nothing left to pull
			s.unpulledLo[q.Tenant] = prefixEnd(prefix)
		}
		return nil
	}
	if q.Peek {
		if err := s.db.View(run); err != nil {
			return RecordPage{}, err
		}
	} else {
		s.mu.Lock()
		defer s.mu.Unlock()
		hint()
		b := s.newBatch()
		defer b.discard()
		if err := run(b.txn); err != nil {
			return RecordPage{}, err
		}
		for _, i := range pulledNow {
			r := &page.Records[i]
			if err := b.set(recordKey(r.Tenant, r.Call), encodeRecord(nil, r, true)); err != nil {
				return RecordPage{}, err
			}
			unpulled := recordIndexKeys(r, false)
			if err := b.del(unpulled[len(unpulled)-1]); err != nil {
				return RecordPage{}, err
			}
		}
		if err := b.commit(); err != nil {
			return RecordPage{}, err
		}
	}
	if n := len(page.Records); n == limit {
		last := &page.Records[n-1]
		var c [16]byte
		binary.BigEndian.PutUint64(c[:], recordTime(last))
		binary.BigEndian.PutUint64(c[8:], uint64(last.Call))
		page.SearchAfter = hex.EncodeToString(c[:])
	}
	return page, nil
}

// SetDisposition implements Records.
func (s *Badger) SetDisposition(tenant string, call records.CallID, d Disposition) error {
	if err := validTenant("tenant", tenant); err != nil {
		return err
	}
	if d.Levels[0] == "" {
		return apierr.Invalid("disposition.l1", "the first level is required")
	}
	if d.Tag == "" {
		d.Tag = strings.Join(d.Levels[:], "|")
	}
	s.mu.Lock()
	b := s.newBatch()
	var r records.CallRecord
	found, err := get(b.txn, recordKey(tenant, call), func(v []byte) error {
		_, err := decodeRecord(v, tenant, &r)
		return err
	})
	if err == nil && !found {
		err = notFound(apierr.NotFoundCallID, "call", "no record of call %d", call)
	}
	if err == nil {
		r.Disposition = d.Tag
		err = s.putRecord(b, &r, false)
	}
	var v []byte
	if err == nil {
		v, err = json.Marshal(&d)
	}
	if err == nil {
		err = b.set(dispKey(tenant, call), v)
	}
	if err == nil {
		err = b.commit()
	}
	b.discard()
	s.mu.Unlock()
	if err != nil || d.Reschedule.IsZero() {
		return err
	}
	_, err = s.ScheduleCallback(Schedule{Task: r.Task, Phone: r.Called, At: d.Reschedule})
	return err
}

// GetDisposition implements Records.
func (s *Badger) GetDisposition(tenant string, call records.CallID) (Disposition, error) {
	var d Disposition
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, dispKey(tenant, call), func(v []byte) error { return json.Unmarshal(v, &d) })
		return err
	})
	if err == nil && !found {
		err = notFound(apierr.NotFoundCallID, "call", "no disposition of call %d", call)
	}
	return d, err
}
