package lists

import (
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Limits of the numbering plans (ITU-T E.164 and the phonenumbers metadata).
const (
	minNSN    = 2  // shortest national significant number
	maxNSN    = 17 // longest national significant number
	maxCCLen  = 3  // longest country calling code
	maxDigits = 24 // digits accepted in one input, international prefix included
)

// plan is the numbering plan of one region, or of one non-geographic calling
// code (+800, +882 …), ready to match digit strings. Plans are built from the
// phonenumbers metadata and compiled on first use.
type plan struct {
	md     *phonenumbers.PhoneMetadata
	region string // ISO 3166 code, "001" for a non-geographic code
	cc     int
	ccStr  string

	once      sync.Once
	general   desc
	types     []desc   // every number type that makes a number valid
	leading   *matcher // leading digits that select this region within its code; nil when none
	np        *matcher // national prefix for parsing (existence test); nil when none
	npRE      *regexp.Regexp
	npRule    string
	idd       *matcher // international prefix dialled from this region; nil when none
	iddRE     *regexp.Regexp
	lengths   []int32 // possible lengths of a national significant number
	localOnly []int32 // lengths dialable only locally (no area code)
}

// desc is one number description: its possible lengths and pattern.
type desc struct {
	lengths []int32 // empty: the lengths of the general description
	m       *matcher
}

func newDesc(d *phonenumbers.PhoneNumberDesc) desc {
	if d == nil {
		return desc{m: newMatcher("")}
	}
	return desc{lengths: d.GetPossibleLength(), m: newMatcher(d.GetNationalNumberPattern())}
}

// match reports whether nsn has a possible length and matches the pattern.
func (d *desc) match(nsn []byte) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.m.full(nsn)
}

var (
	plansOnce sync.Once
	byRegion  map[string]*plan
	byCode    [1000][]*plan // calling code → plans, the main region first
)

// loadPlans indexes the metadata. It is cheap: patterns are compiled per
// plan, on first use.
func loadPlans() {
	byRegion = map[string]*plan{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return // an empty index rejects every number
	}
	nongeo := map[int]*plan{}
	for _, md := range coll.GetMetadata() {
		p := &plan{md: md, region: md.GetId(), cc: int(md.GetCountryCode())}
		p.ccStr = strconv.Itoa(p.cc)
		if p.region == "001" {
			nongeo[p.cc] = p
		} else {
			byRegion[p.region] = p
		}
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc <= 0 || cc >= len(byCode) {
			continue
		}
		for _, r := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			p := byRegion[r]
			if r == "001" {
				p = nongeo[cc]
			}
			if p != nil && p.cc == cc {
				byCode[cc] = append(byCode[cc], p)
			}
		}
	}
}

// regionPlan returns the plan of an ISO 3166 region code ("US", "gb"), or nil.
func regionPlan(region string) *plan {
	plansOnce.Do(loadPlans)
	if p, ok := byRegion[region]; ok {
		return p
	}
	up := []byte(region)
	changed := false
	for i, c := range up {
		if c >= 'a' && c <= 'z' {
			up[i] = c - 'a' + 'A'
			changed = true
		}
	}
	if changed {
		return byRegion[string(up)]
	}
	return nil
}

// codePlans returns the plans of a calling code, the main region first.
func codePlans(cc int) []*plan {
	plansOnce.Do(loadPlans)
	if cc <= 0 || cc >= len(byCode) {
		return nil
	}
	return byCode[cc]
}

func (p *plan) compile() {
	p.once.Do(func() {
		md := p.md
		g := md.GetGeneralDesc()
		p.general = newDesc(g)
		p.lengths = g.GetPossibleLength()
		p.localOnly = g.GetPossibleLengthLocalOnly()
		// The types, in the order the phonenumbers library tests them.
		for _, d := range []*phonenumbers.PhoneNumberDesc{
			md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
			md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
			md.GetFixedLine(),
		} {
			p.types = append(p.types, newDesc(d))
		}
		if !md.GetSameMobileAndFixedLinePattern() {
			p.types = append(p.types, newDesc(md.GetMobile()))
		}
		if ld := md.GetLeadingDigits(); ld != "" {
			p.leading = newMatcher(ld)
		}
		if np := md.GetNationalPrefixForParsing(); np != "" {
			if re, err := regexp.Compile("^(?:" + np + ")"); err == nil {
				p.np, p.npRE = newMatcher(np), re
				p.npRule = md.GetNationalPrefixTransformRule()
			}
		}
		if idd := md.GetInternationalPrefix(); idd != "" {
			if re, err := regexp.Compile("^(?:" + idd + ")"); err == nil {
				p.idd, p.iddRE = newMatcher(idd), re
			}
		}
	})
}

// generalMatch reports whether nsn matches the general pattern of the plan,
// lengths aside (a "viable" national number).
func (p *plan) generalMatch(nsn []byte) bool { return p.general.m.full(nsn) }

// typeMatch reports whether nsn is a valid number of some type in the plan.
func (p *plan) typeMatch(nsn []byte) bool {
	if !p.general.match(nsn) {
		return false
	}
	for i := range p.types {
		if p.types[i].match(nsn) {
			return true
		}
	}
	return false
}

// Results of a length test.
type lengthResult uint8

const (
	lengthPossible lengthResult = iota
	lengthLocalOnly
	lengthTooShort
	lengthTooLong
	lengthInvalid
)

// testLength checks the length of nsn against the plan's general description.
func (p *plan) testLength(nsn []byte) lengthResult {
	n := int32(len(nsn))
	if len(p.lengths) == 0 { // no metadata: the E.164 limits only
		switch {
		case n < minNSN:
			return lengthTooShort
		case n > maxNSN:
			return lengthTooLong
		}
		return lengthPossible
	}
	if p.lengths[0] == -1 {
		return lengthInvalid
	}
	if slices.Contains(p.localOnly, n) {
		return lengthLocalOnly
	}
	switch {
	case n == p.lengths[0]:
		return lengthPossible
	case n < p.lengths[0]:
		return lengthTooShort
	case n > p.lengths[len(p.lengths)-1]:
		return lengthTooLong
	case slices.Contains(p.lengths[1:], n):
		return lengthPossible
	}
	return lengthInvalid
}

// stripNationalPrefix removes a national prefix (and carrier code) from the
// start of num, applying the plan's transform rule, unless that would turn a
// viable number into one that is not. It may return num itself, a suffix of
// it, or a new slice.
func (p *plan) stripNationalPrefix(num []byte) []byte {
	if len(num) == 0 || p.np == nil || !p.np.prefix(num) {
		return num
	}
	loc := p.npRE.FindSubmatchIndex(num)
	if loc == nil {
		return num
	}
	viable := p.generalMatch(num)
	last := len(loc)/2 - 1 // the last capturing group
	if p.npRule == "" || loc[2*last] < 0 {
		if viable && !p.generalMatch(num[loc[1]:]) {
			return num
		}
		return num[loc[1]:]
	}
	out := p.npRE.Expand(nil, []byte(p.npRule), num, loc)
	out = append(out, num[loc[1]:]...)
	if viable && !p.generalMatch(out) {
		return num
	}
	return out
}

// stripIDD removes the plan's international prefix from the start of num.
// It is not removed when the next digit is 0: no calling code starts with 0.
func (p *plan) stripIDD(num []byte) ([]byte, bool) {
	if p.idd == nil || !p.idd.prefix(num) {
		return num, false
	}
	loc := p.iddRE.FindIndex(num)
	if loc == nil {
		return num, false
	}
	rest := num[loc[1]:]
	if len(rest) > 0 && rest[0] == '0' {
		return num, false
	}
	return rest, true
}

// validFor reports whether nsn is a valid number under calling code cc: the
// region is chosen by leading digits or, failing those, by the first region
// where the number is valid.
func validFor(plans []*plan, nsn []byte) bool {
	if len(plans) == 0 {
		return false
	}
	if len(plans) == 1 {
		plans[0].compile()
		return plans[0].typeMatch(nsn)
	}
	for _, p := range plans {
		p.compile()
		if p.leading != nil {
			if p.leading.prefix(nsn) {
				return p.typeMatch(nsn)
			}
		} else if p.typeMatch(nsn) {
			return true
		}
	}
	return false
}
