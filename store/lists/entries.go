package lists

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// MaxEntries is the most telphone entries one TaskCreat / TaskAdd call may
// carry (seed 003).
const MaxEntries = 10000

// Names of the keys of a telphone entry with a meaning of their own; every
// other key is custom data.
const (
	KeyPhone    = "phone"    // the number (JSON string or whole number)
	KeyTime     = "time"     // not dialled before: Unix seconds (seed 003), Unix milliseconds, or "YYYY-MM-DD hh:mm:ss"
	KeyTimeZone = "timezone" // IANA zone of the number (ours)
	KeyPriority = "priority" // integer, higher first (ours)
)

// EntryError is a telphone entry that was rejected.
type EntryError struct {
	Index  int    // 0-based position in the telphone array
	Field  string // the key at fault; "" when the entry is not a JSON object at all
	Reason string
}

// Error returns "telphone[i].field: reason".
func (e *EntryError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("telphone[%d]: %s", e.Index, e.Reason)
	}
	return fmt.Sprintf("telphone[%d].%s: %s", e.Index, e.Field, e.Reason)
}

// ParseTelphone parses the telphone parameter of TaskCreat / TaskAdd: a JSON
// array of entries such as
//
//	[{"phone":18012345678,"time":1500000000,"userid":"","memberid":"","chengshudu":"","customuuid":""}]
//
// It fails (apierr.Invalid naming "telphone") only when text is not a JSON
// array or holds more than MaxEntries entries, and when opt does not
// Validate; bad entries are returned in bad, in order. See ParseEntries.
func ParseTelphone(text []byte, opt Options) (nums []records.Number, bad []EntryError, err error) {
	raw, err := splitArray(text)
	if err != nil {
		return nil, nil, err
	}
	return ParseEntries(raw, opt)
}

// splitArray splits a JSON array into its elements, stopping as soon as
// there are more than MaxEntries of them.
func splitArray(text []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, apierr.Invalid("telphone", "not a JSON array")
	}
	var raw []json.RawMessage
	for dec.More() {
		if len(raw) == MaxEntries {
			return nil, apierr.Invalid("telphone", "more than %d numbers in one call", MaxEntries)
		}
		var m json.RawMessage
		if err := dec.Decode(&m); err != nil {
			return nil, apierr.Invalid("telphone", "not a JSON array: %v", err)
		}
		raw = append(raw, m)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, apierr.Invalid("telphone", "not a JSON array")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, apierr.Invalid("telphone", "text after the JSON array")
	}
	return raw, nil
}

// ParseEntries parses telphone entries, each a JSON object:
//
//   - phone (required): a JSON string or whole number, normalised to E.164
//     with Options.DefaultRegion (Normalize).
//   - time: the time before which the number is not dialled: Unix seconds as
//     in seed 003 (number or string), Unix milliseconds (13 digits), or
//     "YYYY-MM-DD hh:mm:ss" (or RFC 3339) read in the entry's timezone, else
//     Options.TZ, else UTC. Absent, null, "" or 0 mean Options.Now.
//   - timezone: the IANA zone of the number; default Options.TZ, then the
//     zone of the number's prefix.
//   - priority: a 32-bit integer (number or string), default 0.
//   - any other key (userid, memberid, chengshudu, customuuid, …) goes to
//     Number.Data: strings as they are, numbers and booleans as their JSON
//     text, objects and arrays as compact JSON. null and "" are left out.
//
// An entry with a bad field is left out and reported in bad (its first bad
// field, in the order above). More than MaxEntries entries, or options that
// do not Validate, fail the whole call with an apierr.Invalid error.
func ParseEntries(raw []json.RawMessage, opt Options) (nums []records.Number, bad []EntryError, err error) {
	if len(raw) > MaxEntries {
		return nil, nil, apierr.Invalid("telphone", "%d numbers in one call, at most %d", len(raw), MaxEntries)
	}
	if err := opt.Validate(); err != nil {
		return nil, nil, err
	}
	nums = make([]records.Number, 0, len(raw))
	for i, r := range raw {
		n, field, reason := parseEntry(r, opt)
		if reason != "" {
			bad = append(bad, EntryError{Index: i, Field: field, Reason: reason})
			continue
		}
		nums = append(nums, n)
	}
	return nums, bad, nil
}

func parseEntry(raw json.RawMessage, opt Options) (n records.Number, field, reason string) {
	var obj map[string]json.RawMessage
	if !json.Valid(raw) {
		return n, "", "not valid JSON"
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return n, "", "not a JSON object"
	}

	v, ok := obj[KeyPhone]
	if !ok {
		return n, KeyPhone, "missing"
	}
	s, kind := scalar(v)
	switch {
	case kind == jsonNull:
		return n, KeyPhone, "missing"
	case kind == jsonNumber && !allDigits(s):
		return n, KeyPhone, fmt.Sprintf("not a whole number: %s", cutText(s))
	case kind != jsonString && kind != jsonNumber:
		return n, KeyPhone, "want a string or a number"
	}
	phone, err := Normalize(s, opt.DefaultRegion)
	if err != nil {
		return n, KeyPhone, err.(*PhoneError).Reason
	}

	own := ""
	if v, ok := obj[KeyTimeZone]; ok {
		s, kind := scalar(v)
		switch kind {
		case jsonNull:
		case jsonString:
			own = strings.TrimSpace(s)
		default:
			return n, KeyTimeZone, "want a string"
		}
	}
	tz, reason := numberZone(own, opt.TZ, phone)
	if reason != "" {
		return n, KeyTimeZone, reason
	}

	notBefore := opt.Now
	if v, ok := obj[KeyTime]; ok {
		loc := time.UTC
		if own != "" || opt.TZ != "" {
			loc = loadZone(tz)
		}
		t, reason := parseTime(v, loc)
		if reason != "" {
			return n, KeyTime, reason
		}
		if !t.IsZero() {
			notBefore = t
		}
	}

	priority := 0
	if v, ok := obj[KeyPriority]; ok {
		s, kind := scalar(v)
		switch kind {
		case jsonNull:
		case jsonString, jsonNumber:
			if priority, reason = parsePriority(strings.TrimSpace(s)); reason != "" {
				return n, KeyPriority, reason
			}
		default:
			return n, KeyPriority, "want an integer"
		}
	}

	var data map[string]string
	for k, v := range obj {
		switch k {
		case KeyPhone, KeyTime, KeyTimeZone, KeyPriority:
			continue
		}
		s, kind := scalar(v)
		if kind == jsonNull || s == "" {
			continue
		}
		if data == nil {
			data = make(map[string]string, len(obj))
		}
		data[k] = s
	}

	return records.Number{
		Phone:     phone,
		NotBefore: notBefore,
		TZ:        tz,
		Priority:  priority,
		Data:      data,
	}, "", ""
}

// Kinds of JSON values.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonString
	jsonNumber
	jsonBool
	jsonObject // or array
)

// scalar returns the text of a JSON value: a string's content, a number's or
// a boolean's literal, compact JSON for an object or array.
func scalar(v json.RawMessage) (string, jsonKind) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", jsonNull
	}
	switch v[0] {
	case 'n':
		return "", jsonNull
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", jsonNull
		}
		return s, jsonString
	case 't', 'f':
		return string(v), jsonBool
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, v) != nil {
			return string(v), jsonObject
		}
		return b.String(), jsonObject
	}
	return string(v), jsonNumber
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Bounds of Unix times accepted in "time": from 1970 to the end of 9999.
const (
	maxUnixSeconds = 253402300799
	minUnixMillis  = 1_000_000_000_000 // 13 digits: milliseconds (from 2001-09-09)
)

// Layouts of "time" given as a date.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

// parseTime parses the time key of an entry; zero means none.
func parseTime(v json.RawMessage, loc *time.Location) (time.Time, string) {
	s, kind := scalar(v)
	switch kind {
	case jsonNull:
		return time.Time{}, ""
	case jsonString, jsonNumber:
	default:
		return time.Time{}, "want Unix seconds or \"YYYY-MM-DD hh:mm:ss\""
	}
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return time.Time{}, ""
	}
	if allDigits(s) {
		u, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			return time.Time{}, fmt.Sprintf("out of range: %s", cutText(s))
		case u >= minUnixMillis:
			if u/1000 > maxUnixSeconds {
				return time.Time{}, fmt.Sprintf("out of range: %s", cutText(s))
			}
			return time.UnixMilli(u).UTC(), ""
		}
		return time.Unix(u, 0).UTC(), ""
	}
	if kind == jsonString {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, ""
		}
		for _, layout := range timeLayouts {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t, ""
			}
		}
	}
	return time.Time{}, fmt.Sprintf("not a time: %q (want Unix seconds or \"YYYY-MM-DD hh:mm:ss\")", cutText(s))
}
