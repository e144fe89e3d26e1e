package store

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"github.com/outpace-dev/outpace/records"
)

// The hot values (numbers, call records, events) use a compact binary
// encoding: a version byte, then fields as varints and length-prefixed
// strings. Times are unix nanoseconds, 0 for the zero time. Decoders accept
// trailing fields they do not know, so a newer writer can append fields.

var errCorrupt = errors.New("store: corrupt value")

const codecVersion = 1

type enc struct{ b []byte }

func (e *enc) u(v uint64)       { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)        { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) byte1(v byte)     { e.b = append(e.b, v) }
func (e *enc) str(s string)     { e.u(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) time(t time.Time) { e.i(timeNanos(t)) }

func timeNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func nanosTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

type dec struct {
	b   []byte
	err error
}

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) byte1() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) str() string {
	n := d.u()
	if uint64(len(d.b)) < n {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *dec) time() time.Time { return nanosTime(d.i()) }

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

// numRec is a stored number: the engine's Number and where it stands.
type numRec struct {
	records.Number
	state   records.NumberState
	bucket  uint16
	nextAt  time.Time // retry time of a pending number
	call    records.CallID
	outcome records.Outcome
	reason  int
	updated time.Time // At of the last update
	dialed  time.Time // when the last call started (NumberDialing)
	ownTZ   bool      // TZ was given with the number, not found from its phone
}

// Flags of an encoded number.
const (
	nfCallback = 1 << iota
	nfZoneTZ   // TZ is the single zone of the bucket: not stored
	nfOwnTZ    // TZ was given with the number (numRec.ownTZ)
)

// pos returns the due position of a pending number.
func (r *numRec) pos() pos {
	p := pos{bucket: r.bucket, class: classList, prio: encodePrio(r.Priority)}
	if r.Callback {
		p.class = classCallback
	}
	due := r.NotBefore
	if r.nextAt.After(due) {
		due = r.nextAt
	}
	p.due = timeKey(due)
	return p
}

// encodeNum appends the encoding of r. zone is the single zone of r's bucket
// ("" when the bucket has several).
func encodeNum(b []byte, r *numRec, zone string) []byte {
	e := enc{b}
	var flags byte
	if r.Callback {
		flags |= nfCallback
	}
	if r.TZ != "" && r.TZ == zone {
		flags |= nfZoneTZ
	}
	if r.ownTZ {
		flags |= nfOwnTZ
	}
	e.byte1(codecVersion)
	e.byte1(byte(r.state))
	e.byte1(flags)
	e.b = binary.BigEndian.AppendUint16(e.b, r.bucket)
	e.str(r.Phone)
	e.time(r.NotBefore)
	e.time(r.NotAfter)
	if flags&nfZoneTZ == 0 {
		e.str(r.TZ)
	}
	e.i(int64(r.Priority))
	e.u(uint64(len(r.Alternatives)))
	for _, a := range r.Alternatives {
		e.str(a)
	}
	e.u(uint64(len(r.Data)))
	if len(r.Data) > 0 {
		keys := make([]string, 0, len(r.Data))
		for k := range r.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e.str(k)
			e.str(r.Data[k])
		}
	}
	e.u(uint64(max(r.Attempts, 0)))
	e.time(r.nextAt)
	e.u(uint64(r.call))
	e.byte1(byte(r.outcome))
	e.i(int64(r.reason))
	e.time(r.updated)
	e.time(r.dialed)
	return e.b
}

// decodeNum decodes v into r; zoneOf gives the single zone of a bucket.
func decodeNum(v []byte, task records.TaskID, id records.NumberID, r *numRec, zoneOf func(uint16) string) error {
	if len(v) < 5 || v[0] != codecVersion {
		return errCorrupt
	}
	*r = numRec{}
	r.Task, r.ID = task, id
	r.state = records.NumberState(v[1])
	flags := v[2]
	r.bucket = binary.BigEndian.Uint16(v[3:])
	r.Callback = flags&nfCallback != 0
	r.ownTZ = flags&nfOwnTZ != 0
	d := dec{b: v[5:]}
	r.Phone = d.str()
	r.NotBefore = d.time()
	r.NotAfter = d.time()
	if flags&nfZoneTZ != 0 {
		r.TZ = zoneOf(r.bucket)
	} else {
		r.TZ = d.str()
	}
	r.Priority = int(d.i())
	if n := d.u(); n > 0 && n <= uint64(len(d.b)) {
		r.Alternatives = make([]string, n)
		for i := range r.Alternatives {
			r.Alternatives[i] = d.str()
		}
	}
	if n := d.u(); n > 0 && n <= uint64(len(d.b)) {
		r.Data = make(map[string]string, n)
		for range n {
			k := d.str()
			r.Data[k] = d.str()
		}
	}
	r.Attempts = int(d.u())
	r.nextAt = d.time()
	r.call = records.CallID(d.u())
	r.outcome = records.Outcome(d.byte1())
	r.reason = int(d.i())
	r.updated = d.time()
	r.dialed = d.time()
	return d.err
}

// Flags of an encoded call record.
const (
	rfPulled = 1 << iota
	rfMachine
)

// encodeRecord appends the encoding of r (its tenant is in the key).
func encodeRecord(b []byte, r *records.CallRecord, pulled bool) []byte {
	e := enc{b}
	var flags byte
	if pulled {
		flags |= rfPulled
	}
	if r.Machine {
		flags |= rfMachine
	}
	e.byte1(codecVersion)
	e.byte1(flags)
	e.u(uint64(r.Call))
	e.u(uint64(r.Task))
	e.u(uint64(r.Number))
	e.str(r.CallerID)
	e.str(r.Called)
	e.u(uint64(r.Agent))
	e.u(uint64(r.Queue))
	for _, t := range [...]time.Time{r.Start, r.Ring, r.Answer, r.End, r.AgentStart, r.AgentRing, r.AgentAnswer, r.AgentEnd} {
		e.time(t)
	}
	e.byte1(byte(r.Outcome))
	e.byte1(byte(r.Result))
	e.byte1(byte(r.EndResult))
	e.i(int64(r.HangupCause))
	e.i(int64(r.EarlyCause))
	e.str(r.Disposition)
	return e.b
}

func decodeRecord(v []byte, tenant string, r *records.CallRecord) (pulled bool, err error) {
	if len(v) < 2 || v[0] != codecVersion {
		return false, errCorrupt
	}
	flags := v[1]
	d := dec{b: v[2:]}
	*r = records.CallRecord{Tenant: tenant, Machine: flags&rfMachine != 0}
	r.Call = records.CallID(d.u())
	r.Task = records.TaskID(d.u())
	r.Number = records.NumberID(d.u())
	r.CallerID = d.str()
	r.Called = d.str()
	r.Agent = records.AgentID(d.u())
	r.Queue = records.QueueID(d.u())
	for _, t := range [...]*time.Time{&r.Start, &r.Ring, &r.Answer, &r.End, &r.AgentStart, &r.AgentRing, &r.AgentAnswer, &r.AgentEnd} {
		*t = d.time()
	}
	r.Outcome = records.Outcome(d.byte1())
	r.Result = records.CallResult(d.byte1())
	r.EndResult = records.EndResult(d.byte1())
	r.HangupCause = int(d.i())
	r.EarlyCause = int(d.i())
	r.Disposition = d.str()
	return flags&rfPulled != 0, d.err
}

// encodeEvent appends the encoding of ev (its tenant and sequence number are
// in the key). The time comes first so that pruning reads only the head.
func encodeEvent(b []byte, ev *records.CTIEvent) []byte {
	e := enc{b}
	e.byte1(codecVersion)
	e.time(ev.At)
	e.byte1(byte(ev.Name))
	e.u(uint64(ev.Task))
	e.u(uint64(ev.Call))
	e.u(uint64(ev.Agent))
	e.byte1(byte(ev.Role))
	e.str(ev.ThisDN)
	e.str(ev.OtherDN)
	e.i(int64(ev.Reason))
	e.i(int64(ev.Code))
	if ev.Record == nil {
		e.byte1(0)
	} else {
		e.byte1(1)
		e.str(ev.Record.Tenant)
		rec := encodeRecord(nil, ev.Record, false)
		e.u(uint64(len(rec)))
		e.b = append(e.b, rec...)
	}
	return e.b
}

func eventTime(v []byte) (time.Time, error) {
	if len(v) < 2 || v[0] != codecVersion {
		return time.Time{}, errCorrupt
	}
	d := dec{b: v[1:]}
	t := d.time()
	return t, d.err
}

func decodeEvent(v []byte, tenant string, ev *records.CTIEvent) error {
	if len(v) < 2 || v[0] != codecVersion {
		return errCorrupt
	}
	d := dec{b: v[1:]}
	*ev = records.CTIEvent{Tenant: tenant}
	ev.At = d.time()
	ev.Name = records.CTIName(d.byte1())
	ev.Task = records.TaskID(d.u())
	ev.Call = records.CallID(d.u())
	ev.Agent = records.AgentID(d.u())
	ev.Role = records.Role(d.byte1())
	ev.ThisDN = d.str()
	ev.OtherDN = d.str()
	ev.Reason = int(d.i())
	ev.Code = int(d.i())
	if d.byte1() == 1 {
		rt := d.str()
		n := d.u()
		if uint64(len(d.b)) < n {
			return errCorrupt
		}
		ev.Record = new(records.CallRecord)
		if _, err := decodeRecord(d.b[:n], rt, ev.Record); err != nil {
			return err
		}
		d.b = d.b[n:]
	}
	return d.err
}
