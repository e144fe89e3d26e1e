package lists

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// Options say how to read one list.
type Options struct {
	// Campaign keeps only the lines of this campaign (exact match of the
	// first field); "" keeps the lines of every campaign.
	Campaign string
	// TZ is the IANA time zone of the upload ("America/Montevideo"), given to
	// every number that carries none of its own. When empty, a number gets
	// the zone of its prefix (see TimeZones) if the prefix has one zone, or
	// several that keep the same time all year (the first is taken);
	// otherwise TZ stays empty and the engine uses the tenant's prefix table.
	TZ string
	// DefaultRegion is the ISO 3166 region of national numbers ("US", "GB",
	// "CN", "BR"); "" accepts international numbers only.
	DefaultRegion string
	// Now is the NotBefore of numbers that carry no time of their own; zero
	// leaves NotBefore zero, which the engine reads as "now".
	Now time.Time
}

// Validate checks the options that apply to a whole list: an unknown time
// zone or region is an apierr.Invalid error naming "timezone" or "region".
func (o Options) Validate() error {
	if o.TZ != "" && loadZone(o.TZ) == nil {
		return apierr.Invalid("timezone", "unknown time zone %q", o.TZ)
	}
	if o.DefaultRegion != "" && regionPlan(o.DefaultRegion) == nil {
		return apierr.Invalid("region", "unknown region %q", o.DefaultRegion)
	}
	return nil
}

// Names of the fields of a list line, as LineError.Field reports them.
const (
	FieldLine         = "line" // the line as a whole: field count, encoding, length
	FieldCampaign     = "campaign"
	FieldNumber       = "number"
	FieldData         = "data"
	FieldAlternatives = "alternatives"
	FieldPriority     = "priority"
	FieldTimeZone     = "timezone"
)

// Number of fields of a list line, and how many of them are required.
const (
	lineFields    = 6
	minLineFields = 2
)

// maxErrorText is the most of a line that a LineError keeps.
const maxErrorText = 200

// ErrBlank is returned by ParseLine for an empty line or a comment ('#').
var ErrBlank = errors.New("lists: blank or comment line")

// ErrOtherCampaign is returned by ParseLine for a line whose campaign is not
// Options.Campaign.
var ErrOtherCampaign = errors.New("lists: line of another campaign")

// LineError is a list line that was rejected, or a part of a line that was
// dropped (a bad alternative number: see Record.Warnings).
type LineError struct {
	Line   int    // 1-based line number; 0 when the line was parsed on its own
	Field  string // one of the Field constants
	Reason string // why, e.g. "not an integer: \"high\""
	Text   string // the line, cut to 200 bytes
}

// Error returns "line N: field: reason" ("field: reason" without a line).
func (e *LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
	}
	return e.Field + ": " + e.Reason
}

func lineErr(line, field, reason string) *LineError {
	return &LineError{Field: field, Reason: reason, Text: cutText(line)}
}

// cutText returns s as valid UTF-8 (bad bytes replaced by U+FFFD), cut to
// maxErrorText bytes at a character boundary.
func cutText(s string) string {
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
	}
	for len(s) > 0 {
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1] // a character cut in two
	}
	return s
}

// Record is one parsed list line.
type Record struct {
	Campaign string         // the line's campaign
	Number   records.Number // ready for the task, ID and Task still zero
	Warnings []LineError    // parts dropped from the line (bad alternatives)
}

// ParseLine parses one line of the seed-001 list format
//
//	campaign;number;k=v:k=v;alt1:alt2;priority;agentphone
//
// See ParseRecord; ParseLine drops the campaign and the warnings.
func ParseLine(line string, opt Options) (records.Number, error) {
	r, err := ParseRecord(line, opt)
	return r.Number, err
}

// ParseRecord parses one line of the seed-001 list format
//
//	campaign;number;k=v:k=v;alt1:alt2;priority;agentphone
//
// campaign and number are required; the other fields may be empty or left
// out at the end of the line. The fields are:
//
//   - campaign: with Options.Campaign set, a line of another campaign gives
//     ErrOtherCampaign.
//   - number: normalised to E.164 with Options.DefaultRegion (Normalize); a
//     bad number rejects the line.
//   - custom data, key=value pairs separated by ':' into Number.Data. Keys
//     are letters, digits, '_', '-' and '.'; a piece that is not key=value
//     continues the previous value, so values may hold ':' ("at=10:30",
//     "url=http://x/y"). An empty value is the same as no pair. A piece
//     that starts the field without a key rejects the line.
//   - alternatives, separated by ':', each normalised like number. A bad
//     one is dropped with a warning (Record.Warnings), the line is kept;
//     repeats and copies of the main number are dropped silently. Once
//     MaxAlternatives have been kept or reported, the rest are dropped
//     with one warning.
//   - priority: a 32-bit integer, empty is 0; anything else rejects the
//     line.
//   - agentphone: the agent's phone or extension, kept as written in
//     Data["agentphone"] (it overrides a custom key of that name).
//
// Fields are separated by ';' with no quoting: a value cannot hold ';', and
// quotes are kept as part of the value. Spaces around fields are ignored, as
// are a UTF-8 byte order mark and a trailing CR. More than six fields reject
// the line unless the extra ones are empty (trailing separators).
//
// The number gets TZ from Options.TZ, else from its prefix (see
// Options.TZ), and NotBefore from Options.Now.
//
// A bad line gives a *LineError with Line 0; a blank or comment line gives
// ErrBlank.
func ParseRecord(line string, opt Options) (Record, error) {
	line = strings.TrimPrefix(line, "\uFEFF")
	s := strings.TrimSpace(line)
	if s == "" || s[0] == '#' {
		return Record{}, ErrBlank
	}
	if !utf8.ValidString(s) {
		return Record{}, lineErr(line, FieldLine, "not valid UTF-8 (save the list as UTF-8)")
	}

	var f [lineFields]string
	n, extra := 0, false
	for rest := s; ; {
		field, tail, more := strings.Cut(rest, ";")
		field = strings.TrimSpace(field)
		if n < lineFields {
			f[n] = field
		} else if field != "" {
			extra = true
		}
		n++
		if !more {
			break
		}
		rest = tail
	}

	campaign := f[0]
	if opt.Campaign != "" && campaign != opt.Campaign {
		return Record{}, ErrOtherCampaign
	}
	if n < minLineFields {
		return Record{}, lineErr(line, FieldLine,
			"too few fields: want campaign;number[;data[;alternatives[;priority[;agentphone]]]]")
	}
	if extra {
		return Record{}, lineErr(line, FieldLine, fmt.Sprintf("too many fields: %d, at most %d", n, lineFields))
	}
	if campaign == "" {
		return Record{}, lineErr(line, FieldCampaign, "empty")
	}

	phone, err := Normalize(f[1], opt.DefaultRegion)
	if err != nil {
		return Record{}, lineErr(line, FieldNumber, err.(*PhoneError).Reason)
	}
	data, reason := parseData(f[2])
	if reason != "" {
		return Record{}, lineErr(line, FieldData, reason)
	}
	priority, reason := parsePriority(f[4])
	if reason != "" {
		return Record{}, lineErr(line, FieldPriority, reason)
	}
	tz, reason := numberZone("", opt.TZ, phone)
	if reason != "" {
		return Record{}, lineErr(line, FieldTimeZone, reason)
	}
	if f[5] != "" {
		if data == nil {
			data = make(map[string]string, 1)
		}
		data["agentphone"] = f[5]
	}

	rec := Record{
		Campaign: campaign,
		Number: records.Number{
			Phone:     phone,
			NotBefore: opt.Now,
			TZ:        tz,
			Priority:  priority,
			Data:      data,
		},
	}
	rec.Number.Alternatives, rec.Warnings = parseAlternatives(line, f[3], phone, opt.DefaultRegion)
	return rec, nil
}

// parseData parses the custom data field key=value:key=value. A value runs
// from its '=' to the start of the next pair, so it is a piece of s as
// written, colons included.
func parseData(s string) (map[string]string, string) {
	if s == "" {
		return nil, ""
	}
	var (
		m        map[string]string
		last     string
		valStart int
	)
	for pos := 0; pos <= len(s); {
		end := strings.IndexByte(s[pos:], ':')
		if end < 0 {
			end = len(s)
		} else {
			end += pos
		}
		piece := s[pos:end]
		k, _, isPair := strings.Cut(piece, "=")
		k = strings.TrimSpace(k)
		switch {
		case isPair && validKey(k):
			if m == nil {
				m = make(map[string]string, 4)
			}
			valStart = pos + strings.IndexByte(piece, '=') + 1
			m[k] = strings.TrimSpace(s[valStart:end])
			last = k
		case strings.TrimSpace(piece) == "":
			// a doubled or trailing ':'
		case last != "":
			m[last] = strings.TrimSpace(s[valStart:end])
		case isPair && k == "":
			return nil, fmt.Sprintf("empty key in %q", cutText(piece))
		case isPair:
			return nil, fmt.Sprintf("bad key %q: use letters, digits, '_', '-' and '.'", cutText(k))
		default:
			return nil, fmt.Sprintf("%q is not key=value", cutText(piece))
		}
		pos = end + 1
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil, ""
	}
	return m, ""
}

// validKey reports whether k is a custom data key: letters, digits, '_',
// '-' and '.'.
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// parsePriority parses the priority field: an integer, empty is 0.
func parsePriority(s string) (int, string) {
	if s == "" {
		return 0, ""
	}
	p, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Sprintf("out of range: %q", cutText(s))
		}
		return 0, fmt.Sprintf("not an integer: %q", cutText(s))
	}
	if p < math.MinInt32 || p > math.MaxInt32 {
		return 0, fmt.Sprintf("out of range: %q", cutText(s))
	}
	return int(p), ""
}

// MaxAlternatives is the most alternative numbers kept from one line; the
// rest are dropped with a warning.
const MaxAlternatives = 16

// parseAlternatives normalises the alternatives field. Bad numbers become
// warnings; repeats and copies of phone are dropped.
func parseAlternatives(line, s, phone, region string) ([]string, []LineError) {
	if s == "" {
		return nil, nil
	}
	var (
		alts  []string
		warns []LineError
	)
	for rest := s; ; {
		raw, tail, more := strings.Cut(rest, ":")
		if raw = strings.TrimSpace(raw); raw != "" {
			if len(alts)+len(warns) == MaxAlternatives {
				warns = append(warns, LineError{
					Field:  FieldAlternatives,
					Reason: fmt.Sprintf("more than %d alternatives: %q and the rest dropped", MaxAlternatives, cutText(rest)),
					Text:   cutText(line),
				})
				break
			}
			alt, err := Normalize(raw, region)
			switch {
			case err != nil:
				warns = append(warns, LineError{
					Field:  FieldAlternatives,
					Reason: fmt.Sprintf("%q dropped: %s", cutText(raw), err.(*PhoneError).Reason),
					Text:   cutText(line),
				})
			case alt != phone && !containsString(alts, alt):
				alts = append(alts, alt)
			}
		}
		if !more {
			break
		}
		rest = tail
	}
	return alts, warns
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// numberZone picks the time zone of a number: its own, else the list's, else
// the one of its prefix. A bad own or list zone gives a reason.
func numberZone(own, list, phone string) (string, string) {
	for _, z := range [...]string{own, list} {
		if z == "" {
			continue
		}
		if loadZone(z) == nil {
			return "", fmt.Sprintf("unknown time zone %q", cutText(z))
		}
		return z, ""
	}
	return zoneOf(phone), ""
}
