package store

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/outpace-dev/outpace/records"
)

// Key tables: the first byte of every key. doc.go describes each layout.
const (
	kMeta      = 'M' // M name → value (schema version, call high-water mark)
	kSeq       = 'S' // S name → Badger sequence lease
	kTenant    = 'T' // T tenant → Tenant (JSON)
	kApp       = 'A' // A app → credential (JSON, secret hashed)
	kTask      = 't' // t task(8) → Task (JSON)
	kQueue     = 'q' // q queue(4) → Queue (JSON)
	kAgent     = 'a' // a agent(4) → AgentSpec (JSON)
	kBucket    = 'b' // b task(8) bucket(2) → zone set
	kDue       = 'd' // d task(8) bucket(2) class(1) prio(4) due(8) id(8) → number
	kInit      = 'i' // i task(8) firstID(8) → initial due positions of consecutive IDs
	kNum       = 'n' // n task(8) id(8) → number (once it left its initial position)
	kPhone     = 'p' // p task(8) phone → id(8)
	kFlight    = 'f' // f task(8) id(8) → call(8) at(8)
	kBlack     = 'L' // L tenant 0 task(8) phone → blacklist entry
	kRecord    = 'r' // r tenant 0 call(8) → call record
	kRecIndex  = 'x' // x tenant 0 kind(1) attr time(8) call(8) → ∅
	kDisp      = 'D' // D tenant 0 call(8) → Disposition (JSON)
	kEvent     = 'e' // e tenant 0 seq(8) → event
	kEventSeq  = 'E' // E tenant → last seq(8)
	kHook      = 'w' // w id(8) → Webhook (JSON)
	kHookDue   = 'W' // W at(8) id(8) → ∅
	schemaVers = 1
)

// Record index kinds (the byte after the tenant in an x key).
const (
	ixTime     = 't' // every record
	ixTask     = 'k' // + task(8)
	ixNumber   = 'n' // + number(8)
	ixAgent    = 'a' // + agent(4)
	ixCalled   = 'c' // + called 0
	ixUnpulled = 'u' // records no query has returned yet
)

// Classes of the due index: callbacks sort before list numbers.
const (
	classCallback = 0
	classList     = 1
)

// posLen is the length of a due position: bucket(2) class(1) prio(4) due(8).
const posLen = 15

// dueKeyLen is the length of a d key.
const dueKeyLen = 1 + 8 + posLen + 8

// pos is where a pending number sits in its task's due index.
type pos struct {
	bucket uint16
	class  byte
	prio   uint32 // encoded: higher priority sorts first
	due    uint64 // unix nanoseconds, 0 = due at once
}

func encodePrio(p int) uint32 {
	p = max(min(p, math.MaxInt32), math.MinInt32)
	return ^(uint32(int32(p)) ^ 0x80000000)
}

func timeKey(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	n := t.UnixNano()
	if n < 0 {
		return 0
	}
	return uint64(n)
}

func (p pos) append(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, p.bucket)
	b = append(b, p.class)
	b = binary.BigEndian.AppendUint32(b, p.prio)
	return binary.BigEndian.AppendUint64(b, p.due)
}

func parsePos(b []byte) pos {
	return pos{
		bucket: binary.BigEndian.Uint16(b),
		class:  b[2],
		prio:   binary.BigEndian.Uint32(b[3:]),
		due:    binary.BigEndian.Uint64(b[7:]),
	}
}

func appendTask(b []byte, table byte, task records.TaskID) []byte {
	return binary.BigEndian.AppendUint64(append(b, table), uint64(task))
}

func taskKey(task records.TaskID) []byte { return appendTask(nil, kTask, task) }

func queueKey(q records.QueueID) []byte {
	return binary.BigEndian.AppendUint32([]byte{kQueue}, uint32(q))
}

func agentKey(a records.AgentID) []byte {
	return binary.BigEndian.AppendUint32([]byte{kAgent}, uint32(a))
}

func bucketKey(task records.TaskID, b uint16) []byte {
	return binary.BigEndian.AppendUint16(appendTask(nil, kBucket, task), b)
}

func dueKey(b []byte, task records.TaskID, p pos, id records.NumberID) []byte {
	b = p.append(appendTask(b, kDue, task))
	return binary.BigEndian.AppendUint64(b, uint64(id))
}

// dueBucketPrefix is the prefix of the due keys of one bucket.
func dueBucketPrefix(task records.TaskID, b uint16) []byte {
	return binary.BigEndian.AppendUint16(appendTask(make([]byte, 0, dueKeyLen), kDue, task), b)
}

// groupAfter returns the smallest key after every key of k's (class,
// priority) group, or nil when k is in the last possible group.
func groupAfter(k []byte) []byte {
	const off = 1 + 8 + 2 // class and priority follow the bucket
	g := binary.BigEndian.Uint64(append([]byte{0, 0, 0}, k[off:off+5]...))
	if g == 1<<40-1 {
		return nil
	}
	g++
	out := append([]byte(nil), k[:off]...)
	var be [8]byte
	binary.BigEndian.PutUint64(be[:], g)
	return append(out, be[3:]...)
}

// groupOf returns the (class, priority) group of a due key as a number.
func groupOf(k []byte) uint64 {
	const off = 1 + 8 + 2
	return uint64(k[off])<<32 | uint64(binary.BigEndian.Uint32(k[off+1:]))
}

func dueOf(k []byte) uint64 { return binary.BigEndian.Uint64(k[1+8+7:]) }

func idOfDue(k []byte) records.NumberID {
	return records.NumberID(binary.BigEndian.Uint64(k[1+8+posLen:]))
}

func numKey(task records.TaskID, id records.NumberID) []byte {
	return binary.BigEndian.AppendUint64(appendTask(make([]byte, 0, 17), kNum, task), uint64(id))
}

func initKey(task records.TaskID, first records.NumberID) []byte {
	return binary.BigEndian.AppendUint64(appendTask(make([]byte, 0, 17), kInit, task), uint64(first))
}

func phoneKey(b []byte, task records.TaskID, phone string) []byte {
	return append(appendTask(b, kPhone, task), phone...)
}

func flightKey(task records.TaskID, id records.NumberID) []byte {
	return binary.BigEndian.AppendUint64(appendTask(make([]byte, 0, 17), kFlight, task), uint64(id))
}

func appendTenant(b []byte, table byte, tenant string) []byte {
	return append(append(append(b, table), tenant...), 0)
}

func blackKey(tenant string, task records.TaskID, phone string) []byte {
	b := binary.BigEndian.AppendUint64(appendTenant(nil, kBlack, tenant), uint64(task))
	return append(b, phone...)
}

func recordKey(tenant string, call records.CallID) []byte {
	return binary.BigEndian.AppendUint64(appendTenant(nil, kRecord, tenant), uint64(call))
}

func dispKey(tenant string, call records.CallID) []byte {
	return binary.BigEndian.AppendUint64(appendTenant(nil, kDisp, tenant), uint64(call))
}

func eventKey(tenant string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendTenant(nil, kEvent, tenant), seq)
}

func eventSeqKey(tenant string) []byte { return append([]byte{kEventSeq}, tenant...) }

func hookKey(id uint64) []byte { return binary.BigEndian.AppendUint64([]byte{kHook}, id) }

func hookDueKey(at time.Time, id uint64) []byte {
	b := binary.BigEndian.AppendUint64([]byte{kHookDue}, timeKey(at))
	return binary.BigEndian.AppendUint64(b, id)
}

// recIndexPrefix returns x tenant 0 kind attr: the prefix of one index.
func recIndexPrefix(tenant string, kind byte, attr []byte) []byte {
	b := append(appendTenant(nil, kRecIndex, tenant), kind)
	return append(b, attr...)
}

// prefixEnd returns the first key after every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
