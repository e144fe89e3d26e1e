package store

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // calling windows must not depend on the host's zone files

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store/lists"
)

var zoneCache sync.Map // name → *time.Location

// loadZone returns the location of an IANA zone name, cached.
func loadZone(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	zoneCache.Store(name, l)
	return l, nil
}

// A bucket is one zone set of a task: the numbers whose called party lives
// in these zones. The window is open for a bucket when it is open in every
// one of its zones, so a number whose prefix spans several zones is called
// only at hours that are legal in all of them.
type bucket struct {
	id    uint16
	name  string // zone names, sorted, comma-separated
	zone  string // the single zone, "" when several
	locs  []*time.Location
	lo    []byte // every live due key of the bucket is ≥ lo (nil: unknown)
	empty bool   // lo is past every key: the bucket was empty at the last scan
	// after[g] is ≥ every live due key of the groups after group g (class
	// and priority), learnt when a scan last jumped past g; nil means there
	// was none. A group whose first numbers are not due yet is jumped over
	// on every scan, and this keeps the jump from reading the tombstones at
	// the head of the next group again and again.
	after map[uint64][]byte
}

func (b *bucket) open(now time.Time, w *records.Window) bool {
	return w.OpenIn(now, b.locs)
}

// lower notes a due key inserted into the bucket.
func (b *bucket) lower(k []byte) {
	if b.empty || (b.lo != nil && string(k) < string(b.lo)) {
		b.lo = append(b.lo[:0], k...)
		b.empty = false
	}
	g := groupOf(k)
	for h, v := range b.after {
		if g > h && (v == nil || string(k) < string(v)) {
			b.after[h] = append(v[:0:0], k...)
		}
	}
}

func newBucket(id uint16, name string) (*bucket, error) {
	b := &bucket{id: id, name: name}
	for z := range strings.SplitSeq(name, ",") {
		l, err := loadZone(z)
		if err != nil {
			return nil, err
		}
		b.locs = append(b.locs, l)
	}
	if len(b.locs) == 1 {
		b.zone = name
	}
	return b, nil
}

// zoneNames caches the zone set of phone prefixes. The phonenumbers time-zone
// map resolves at most the first maxZonePrefix digits.
var zoneNames struct {
	sync.Mutex
	m map[string]string
}

const (
	maxZonePrefix = 9
	maxZoneCache  = 1 << 16
)

// zoneSet returns the bucket name of a number: its own zone, or the zones of
// its prefix, or fallback.
func zoneSet(tz, phone, fallback string) string {
	if tz != "" {
		return tz
	}
	p := phone[:min(len(phone), maxZonePrefix+1)]
	zoneNames.Lock()
	name, ok := zoneNames.m[p]
	zoneNames.Unlock()
	if ok {
		return orDefault(name, fallback)
	}
	zones := lists.TimeZones(phone)
	slices.Sort(zones)
	zones = slices.Compact(zones)
	name = strings.Join(zones, ",")
	zoneNames.Lock()
	if zoneNames.m == nil {
		zoneNames.m = make(map[string]string)
	}
	if len(zoneNames.m) < maxZoneCache {
		zoneNames.m[p] = name
	}
	zoneNames.Unlock()
	return orDefault(name, fallback)
}

// unionZones returns the zone set holding the zones of both sets (sorted,
// comma-separated names, as zoneSet gives them).
func unionZones(a, b string) string {
	switch {
	case a == "" || a == b:
		return b
	case b == "":
		return a
	}
	zones := append(strings.Split(a, ","), strings.Split(b, ",")...)
	slices.Sort(zones)
	return strings.Join(slices.Compact(zones), ",")
}

// altZones returns the zone set an alternative phone of a number in bucket
// b is called in: b's zones and, unless the number names its own zone (tz),
// those of the alternative's prefix, so that the window must be open for
// the number and the phone alike.
func altZones(b *bucket, tz, alt, fallback string) string {
	return unionZones(b.name, zoneSet(tz, alt, fallback))
}

// altBuckets creates the buckets the alternatives of a number in bucket b
// will be called in, while the caller holds importMu, so that a commit that
// moves the number to an alternative finds its bucket: each alternative in
// turn adds its zones (altZones) to those of the phones before it.
func (s *Badger) altBuckets(ts *taskState, b *bucket, tz string, alts []string, fallback string) error {
	for _, a := range alts {
		if name := altZones(b, tz, a, fallback); name != b.name {
			var err error
			if b, err = s.bucketFor(ts, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// ownZone returns the zone given with the number, "" when it was found from
// its phone.
func (r *numRec) ownZone() string {
	if r.ownTZ {
		return r.TZ
	}
	return ""
}

// bucketNamed returns the bucket of zone set name, nil when the task has
// none; it reads the bucket list only, so it needs no importMu.
func (ts *taskState) bucketNamed(name string) *bucket {
	for _, b := range ts.bucketList() {
		if b.name == name {
			return b
		}
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
