package lists

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput is the longest phone text considered at all (in bytes).
const maxPhoneInput = 100

// PhoneError says why a phone number was rejected.
type PhoneError struct {
	Input  string // the text as given, cut to 100 bytes
	Reason string // e.g. "too short for +44 (GB)", "contains letters"
}

// Error returns the input and the reason.
func (e *PhoneError) Error() string {
	return fmt.Sprintf("phone number %q: %s", e.Input, e.Reason)
}

func phoneErr(raw, reason string) *PhoneError {
	if len(raw) > maxPhoneInput {
		raw = raw[:maxPhoneInput]
	}
	return &PhoneError{Input: raw, Reason: reason}
}

// Normalize returns raw as an E.164 number ("+14155550123") or a *PhoneError
// saying why it is not a valid number.
//
// raw may contain spaces, dashes, dots, slashes, parentheses and brackets
// between its digits, and may start with '+' or with an international prefix:
// 00 everywhere, or the default region's own (011 in North America). Without
// one, it is a national number of defaultRegion (an ISO 3166 code such as "US",
// "GB", "CN", "BR"; case does not matter), its national prefix (0, 1, …)
// optional; with defaultRegion empty, only international numbers are
// accepted. Full-width and Arabic-Indic digits count as digits. Letters are
// refused: vanity numbers and extensions are not dialled.
//
// A number is valid when it matches the numbering plan of its country in the
// phonenumbers metadata (same verdict as phonenumbers.IsValidNumber). The
// result is stable: normalising an E.164 result again returns it unchanged.
// Normalize is safe for concurrent use.
func Normalize(raw, defaultRegion string) (string, error) {
	var buf [maxDigits + 8]byte
	out, reason := normalize(raw, defaultRegion, buf[:0])
	if reason != "" {
		return "", phoneErr(raw, reason)
	}
	return string(out), nil
}

// normalize appends the E.164 form of raw to out, or returns a reason.
func normalize(raw, region string, out []byte) ([]byte, string) {
	var dbuf [maxDigits]byte
	digits, plus, reason := cleanPhone(raw, dbuf[:0])
	if reason != "" {
		return nil, reason
	}
	var rp *plan
	if region != "" {
		if rp = regionPlan(region); rp == nil {
			return nil, fmt.Sprintf("unknown default region %q", region)
		}
		rp.compile()
	}

	intl := plus
	if !intl && rp != nil {
		digits, intl = rp.stripIDD(digits)
	}
	if !intl && len(digits) > 2 && digits[0] == '0' && digits[1] == '0' && digits[2] != '0' {
		digits, intl = digits[2:], true
	}

	var (
		cc  int
		nsn []byte
		mp  *plan // the plan whose national prefix applies
	)
	if intl {
		if len(digits) <= minNSN {
			return nil, "too short"
		}
		cc, nsn = splitCallingCode(digits)
		if cc == 0 {
			return nil, "unknown country code"
		}
		plans := codePlans(cc)
		// A number already in international form and valid as written
		// is kept as written.
		if len(nsn) >= minNSN && len(nsn) <= maxNSN && validFor(plans, nsn) {
			return appendE164(out, cc, nsn), ""
		}
		mp = plans[0]
		mp.compile()
	} else {
		if rp == nil {
			return nil, "no country code (start with + or 00) and no default region"
		}
		cc, nsn, mp = rp.cc, digits, rp
		// A national number that starts with the region's own calling code.
		if len(digits) > len(rp.ccStr) && string(digits[:len(rp.ccStr)]) == rp.ccStr {
			pot := rp.stripNationalPrefix(digits[len(rp.ccStr):])
			if (!rp.generalMatch(digits) && rp.generalMatch(pot)) || rp.testLength(digits) == lengthTooLong {
				nsn = pot
				mp = codePlans(cc)[0]
				mp.compile()
			}
		}
	}
	if len(nsn) < minNSN {
		return nil, "too short"
	}
	// Drop a national prefix when what remains has a possible length.
	if s := mp.stripNationalPrefix(nsn); len(s) != len(nsn) || string(s) != string(nsn) {
		switch mp.testLength(s) {
		case lengthTooShort, lengthLocalOnly, lengthInvalid:
		default:
			nsn = s
		}
	}
	switch {
	case len(nsn) < minNSN:
		return nil, "too short"
	case len(nsn) > maxNSN:
		return nil, "too long"
	}
	plans := codePlans(cc)
	if !validFor(plans, nsn) {
		return nil, invalidReason(plans[0], nsn)
	}
	return appendE164(out, cc, nsn), ""
}

// splitCallingCode splits digits (international prefix removed) into a known
// calling code and the rest; cc is 0 when no calling code is known.
func splitCallingCode(digits []byte) (cc int, nsn []byte) {
	if len(digits) == 0 || digits[0] == '0' {
		return 0, nil
	}
	for i := 1; i <= maxCCLen && i <= len(digits); i++ {
		cc = cc*10 + int(digits[i-1]-'0')
		if len(codePlans(cc)) > 0 {
			return cc, digits[i:]
		}
	}
	return 0, nil
}

func appendE164(out []byte, cc int, nsn []byte) []byte {
	out = append(out, '+')
	out = strconv.AppendInt(out, int64(cc), 10)
	return append(out, nsn...)
}

// invalidReason explains why nsn is not a valid number of p's calling code.
func invalidReason(p *plan, nsn []byte) string {
	where := "+" + p.ccStr
	if p.region != "001" {
		where += " (" + p.region + ")"
	}
	switch p.testLength(nsn) {
	case lengthTooShort:
		return "too short for " + where
	case lengthTooLong:
		return "too long for " + where
	case lengthLocalOnly:
		return "local number without area code for " + where
	case lengthInvalid:
		return "wrong number of digits for " + where
	}
	return "not a valid number for " + where
}

// cleanPhone keeps the digits of raw (as ASCII) and says whether it started
// with '+'.
func cleanPhone(raw string, buf []byte) (digits []byte, plus bool, reason string) {
	if len(raw) > maxPhoneInput {
		return nil, false, "too long"
	}
	sawDigit, sawAny := false, false
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= '0' && c <= '9':
				if len(buf) == cap(buf) {
					return nil, false, "too long"
				}
				buf = append(buf, c)
				sawDigit, sawAny = true, true
			case c == '+':
				if sawAny {
					return nil, false, "'+' is allowed only once, at the start"
				}
				plus, sawAny = true, true
			case c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/' ||
				c == '(' || c == ')' || c == '[' || c == ']':
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
				return nil, false, "contains letters"
			default:
				return nil, false, fmt.Sprintf("unexpected character %q", rune(c))
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(raw[i:])
		i += size
		d := rune(-1)
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, false, "not valid UTF-8"
		case r >= '０' && r <= '９':
			d = r - '０'
		case r >= '٠' && r <= '٩':
			d = r - '٠'
		case r >= '۰' && r <= '۹':
			d = r - '۰'
		case r == '＋':
			if sawAny {
				return nil, false, "'+' is allowed only once, at the start"
			}
			plus, sawAny = true, true
		case r == '\u00a0' || r == '\u2007' || r == '\u202f' || r == '\u3000' ||
			r >= '\u2010' && r <= '\u2015' || r == '\u2212' ||
			r == '－' || r == '（' || r == '）':
		case unicode.IsLetter(r):
			return nil, false, "contains letters"
		default:
			return nil, false, fmt.Sprintf("unexpected character %q", r)
		}
		if d >= 0 {
			if len(buf) == cap(buf) {
				return nil, false, "too long"
			}
			buf = append(buf, byte('0'+d))
			sawDigit, sawAny = true, true
		}
	}
	if !sawDigit {
		if strings.TrimSpace(raw) == "" {
			return nil, false, "empty"
		}
		return nil, false, "no digits"
	}
	return buf, plus, ""
}

// TimeZones returns the IANA time zones of an E.164 number's prefix, from
// the phonenumbers time-zone map ("+14155550123" → America/Los_Angeles). It
// returns nil when the prefix has no known zone or e164 is not "+digits".
func TimeZones(e164 string) []string {
	zones := prefixZones(e164)
	if len(zones) == 0 {
		return nil
	}
	return append([]string(nil), zones...)
}

// prefixZones returns the phonenumbers zone list (not to be modified), or nil.
func prefixZones(e164 string) []string {
	if len(e164) < 2 || e164[0] != '+' {
		return nil
	}
	for i := 1; i < len(e164); i++ {
		if e164[i] < '0' || e164[i] > '9' {
			return nil
		}
	}
	zones, err := phonenumbers.GetTimezonesForPrefix(e164)
	if err != nil || len(zones) == 0 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE {
		return nil
	}
	return zones
}

// zoneOf returns the one time zone of a number: the only zone of its prefix,
// or the first one when all of them keep the same UTC offset the whole year
// (+44 7…: London, Guernsey, Isle of Man). Otherwise "".
func zoneOf(e164 string) string {
	zones := prefixZones(e164)
	switch len(zones) {
	case 0:
		return ""
	case 1:
		return zones[0]
	}
	key := &zones[0] // the lists of the map never change: their address is their identity
	if z, ok := zoneMemo.Load(key); ok {
		return z.(string)
	}
	z := zones[0]
	first := loadZone(zones[0])
	for _, name := range zones[1:] {
		if first == nil || !sameOffsets(first, loadZone(name)) {
			z = ""
			break
		}
	}
	zoneMemo.Store(key, z)
	return z
}

var zoneMemo sync.Map // *string → string

// sameOffsets reports whether a and b have the same UTC offset at every
// change of either over the next two years.
func sameOffsets(a, b *time.Location) bool {
	if b == nil {
		return false
	}
	t := time.Now().UTC().Truncate(24 * time.Hour)
	for range 2 * 365 {
		_, oa := t.In(a).Zone()
		_, ob := t.In(b).Zone()
		if oa != ob {
			return false
		}
		t = t.Add(24 * time.Hour)
	}
	return true
}

var zones sync.Map // name → *time.Location, valid names only

// loadZone returns the location of an IANA zone name, or nil when the name is
// not a zone. "Local" is not a zone here: it would be the server's.
func loadZone(name string) *time.Location {
	if name == "" || name == "Local" {
		return nil
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zones.Store(name, l)
	return l
}
