package lists

import (
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		raw, region, want string
	}{
		// international forms
		{"+14155550123", "", "+14155550123"},
		{"+1 (415) 555-0123", "", "+14155550123"},
		{"+1.415.555.0123", "GB", "+14155550123"},
		{"  +44 20 7946 0018  ", "", "+442079460018"},
		{"+44 (0)20 7946 0018", "", "+442079460018"},
		{"0044 20 7946 0018", "US", "+442079460018"},
		{"0044 20 7946 0018", "", "+442079460018"},
		{"011 44 20 7946 0018", "US", "+442079460018"},
		{"+55 11 91234-5678", "CN", "+5511912345678"},
		{"+86 180 1234 5678", "", "+8618012345678"},
		{"+800 1234 5678", "", "+80012345678"},
		{"＋８６ １８０ １２３４ ５６７８", "", "+8618012345678"},
		{"[+1] 415/555/0123", "", "+14155550123"},
		// national forms with the default region
		{"(415) 555-0123", "US", "+14155550123"},
		{"415 555 0123", "us", "+14155550123"},
		{"1 415 555 0123", "US", "+14155550123"},
		{"1-415-555-0123", "US", "+14155550123"},
		{"020 7946 0018", "GB", "+442079460018"},
		{"20 7946 0018", "GB", "+442079460018"},
		{"07911 123456", "GB", "+447911123456"},
		{"44 7911 123456", "GB", "+447911123456"},
		{"18012345678", "CN", "+8618012345678"},
		{"180-1234-5678", "CN", "+8618012345678"},
		{"010 1234 5678", "CN", "+861012345678"},
		{"(11) 91234-5678", "BR", "+5511912345678"},
		{"0 11 91234 5678", "BR", "+5511912345678"},
		{"098344484", "UY", "+59898344484"}, // seed 001
		{"099124484", "UY", "+59899124484"},
		{"030 123456", "DE", "+4930123456"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.raw, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
}

func TestNormalizeInvalid(t *testing.T) {
	tests := []struct {
		raw, region, reason string
	}{
		{"", "US", "empty"},
		{"   ", "US", "empty"},
		{"--", "US", "no digits"},
		{"+", "", "no digits"},
		{"415555abcd", "US", "contains letters"},
		{"1-800-FLOWERS", "US", "contains letters"},
		{"4155550123 ext 12", "US", "contains letters"},
		{"415*555*0123", "US", "unexpected character"},
		{"415555012é", "US", "contains letters"},
		{"41\xff5550123", "US", "not valid UTF-8"},
		{"44+2079460018", "", "'+' is allowed only once, at the start"},
		{"++442079460018", "", "'+' is allowed only once, at the start"},
		{"12", "US", "too short"},
		{"555 0123", "US", "local number without area code"},
		{"12345", "US", "too short"},
		{"+1 415 555 01234", "", "too long"},
		{"4155550123456789012345678", "US", "too long"},
		{strings.Repeat("1", 200), "US", "too long"},
		{"+44", "", "too short"},
		{"+999 1234 5678", "", "unknown country code"},
		{"+0 1234 5678", "", "unknown country code"},
		{"4155550123", "", "no country code"},
		{"4155550123", "XX", "unknown default region"},
		{"+1 099 555 0123", "", "not a valid number for +1"},
		{"+44 60 7946 0018", "", "not a valid number for +44 (GB)"},
		{"1001", "UY", "not a valid number for +598 (UY)"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.raw, tt.region)
		var pe *PhoneError
		if !errors.As(err, &pe) {
			t.Errorf("Normalize(%q, %q) = %q, %v; want a *PhoneError", tt.raw, tt.region, got, err)
			continue
		}
		if !strings.Contains(pe.Reason, tt.reason) {
			t.Errorf("Normalize(%q, %q) reason %q; want it to contain %q", tt.raw, tt.region, pe.Reason, tt.reason)
		}
		if got != "" {
			t.Errorf("Normalize(%q, %q) returned %q with an error", tt.raw, tt.region, got)
		}
	}
}

// TestNormalizeMatchesLibrary compares Normalize with phonenumbers.Parse +
// IsValidNumber + Format(E164) in every region, on numbers built from the
// region's example numbers, mutated, and on random digits, in national and
// international forms, with and without the default region. The one intended
// difference is skipped: a leading 00 is an international prefix everywhere.
func TestNormalizeMatchesLibrary(t *testing.T) {
	regions := slices.Sorted(maps.Keys(phonenumbers.GetSupportedRegions()))
	rng := rand.New(rand.NewPCG(1, 2))
	perRegion := 200
	if testing.Short() {
		perRegion = 20
	}
	differ := 0
	for _, r := range regions {
		cc := strconv.Itoa(phonenumbers.GetCountryCodeForRegion(r))
		np := phonenumbers.GetNddPrefixForRegion(r, true)
		var examples []string
		for ty := phonenumbers.FIXED_LINE; ty <= phonenumbers.VOICEMAIL; ty++ {
			if n := phonenumbers.GetExampleNumberForType(r, ty); n != nil {
				examples = append(examples, phonenumbers.GetNationalSignificantNumber(n))
			}
		}
		for range perRegion {
			var nsn []byte
			if len(examples) > 0 && rng.IntN(3) > 0 {
				nsn = []byte(examples[rng.IntN(len(examples))])
				for k := rng.IntN(4); k > 0; k-- {
					nsn[rng.IntN(len(nsn))] = byte('0' + rng.IntN(10))
				}
				switch rng.IntN(8) {
				case 0:
					nsn = nsn[:len(nsn)-1]
				case 1:
					nsn = append(nsn, byte('0'+rng.IntN(10)))
				}
			} else {
				for k := 3 + rng.IntN(12); k > 0; k-- {
					nsn = append(nsn, byte('0'+rng.IntN(10)))
				}
			}
			raw := [...]string{
				"+" + cc + " " + string(nsn),
				np + string(nsn),
				string(nsn),
				cc + string(nsn),
				"+" + cc + np + string(nsn),
			}[rng.IntN(5)]
			region := r
			if rng.IntN(4) == 0 {
				region = ""
			}

			lib := ""
			if n, err := phonenumbers.Parse(raw, region); err == nil && phonenumbers.IsValidNumber(n) {
				lib = phonenumbers.Format(n, phonenumbers.E164)
			}
			got, _ := Normalize(raw, region)
			if got != lib && !(lib == "" && strings.HasPrefix(raw, "00")) {
				differ++
				if differ <= 20 {
					t.Errorf("%s %q: Normalize %q, phonenumbers %q", region, raw, got, lib)
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d numbers differ", differ)
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, raw := range []string{"+14155550123", "020 7946 0018", "18012345678", "(11) 91234-5678", "098344484"} {
		for _, region := range []string{"US", "GB", "CN", "BR", "UY"} {
			e, err := Normalize(raw, region)
			if err != nil {
				continue
			}
			for _, again := range []string{"", "US", "GB", "CN", "BR", "UY"} {
				if e2, err := Normalize(e, again); err != nil || e2 != e {
					t.Errorf("Normalize(%q, %q) = %q, %v; want %q", e, again, e2, err, e)
				}
			}
		}
	}
}

func TestTimeZones(t *testing.T) {
	tests := []struct {
		e164 string
		want []string
		zone string
	}{
		{"+14155550123", []string{"America/Los_Angeles"}, "America/Los_Angeles"},
		{"+12125550123", []string{"America/New_York"}, "America/New_York"},
		{"+442079460018", []string{"Europe/London"}, "Europe/London"},
		{"+8618012345678", []string{"Asia/Shanghai"}, "Asia/Shanghai"},
		{"+5511912345678", []string{"America/Sao_Paulo"}, "America/Sao_Paulo"},
		{"+59898344484", []string{"America/Montevideo"}, "America/Montevideo"},
		// several zones that keep the same time: the first one
		{"+447911123456", []string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London"}, "Europe/Guernsey"},
		{"", nil, ""},
		{"14155550123", nil, ""},
		{"+1415x", nil, ""},
		{"+80012345678", nil, ""},
	}
	for _, tt := range tests {
		got := TimeZones(tt.e164)
		if !slices.Equal(got, tt.want) {
			t.Errorf("TimeZones(%q) = %q; want %q", tt.e164, got, tt.want)
		}
		if z := zoneOf(tt.e164); z != tt.zone {
			t.Errorf("zoneOf(%q) = %q; want %q", tt.e164, z, tt.zone)
		}
	}
	// Several zones with different offsets: no single zone.
	for _, e := range []string{"+1", "+7", "+55"} {
		if zs := TimeZones(e); len(zs) < 2 || zoneOf(e) != "" {
			t.Errorf("TimeZones(%q) = %q, zoneOf = %q; want several zones and none chosen", e, zs, zoneOf(e))
		}
	}
	// The result is a copy.
	zs := TimeZones("+447911123456")
	zs[0] = "changed"
	if TimeZones("+447911123456")[0] != "Europe/Guernsey" {
		t.Error("TimeZones returned the library's own slice")
	}
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"UTC", "America/Montevideo", "Asia/Shanghai"} {
		if loadZone(name) == nil {
			t.Errorf("loadZone(%q) = nil", name)
		}
	}
	for _, name := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "america/new_york"} {
		if loadZone(name) != nil {
			t.Errorf("loadZone(%q) is a zone", name)
		}
	}
}

func TestDFA(t *testing.T) {
	tests := []struct {
		pattern        string
		full, notFull  []string
		prefix, notPre []string
	}{
		{`[2-9]\d{2}`, []string{"200", "999"}, []string{"100", "20", "2000", "", "2a0"}, []string{"2000", "345x"}, []string{"1", "12"}},
		{`1|0(?:1\d)?`, []string{"1", "0", "012"}, []string{"01", "0123", "2"}, []string{"0", "19"}, []string{"2"}},
		{`(1(?:[12]\d|79)\d\d)|0`, []string{"11234", "0"}, []string{"1123"}, []string{"0123", "179000"}, []string{"18"}},
		{``, nil, []string{"", "1"}, nil, []string{"", "1"}},
	}
	for _, tt := range tests {
		m := newMatcher(tt.pattern)
		if m.d == nil {
			t.Errorf("%q: no automaton", tt.pattern)
			continue
		}
		for _, s := range tt.full {
			if !m.full([]byte(s)) {
				t.Errorf("%q full(%q) = false", tt.pattern, s)
			}
		}
		for _, s := range tt.notFull {
			if m.full([]byte(s)) {
				t.Errorf("%q full(%q) = true", tt.pattern, s)
			}
		}
		for _, s := range tt.prefix {
			if !m.prefix([]byte(s)) {
				t.Errorf("%q prefix(%q) = false", tt.pattern, s)
			}
		}
		for _, s := range tt.notPre {
			if m.prefix([]byte(s)) {
				t.Errorf("%q prefix(%q) = true", tt.pattern, s)
			}
		}
	}
	// Anchors fall back to the regexp package, with the same answers.
	m := newMatcher(`([457]\d{6})$|1`)
	if m.d != nil {
		t.Fatal("automaton built for a pattern with $")
	}
	if !m.prefix([]byte("4123456")) || !m.prefix([]byte("1999")) || m.prefix([]byte("41234567")) {
		t.Error("regexp fallback answers wrongly")
	}
}

func TestAllPlansCompile(t *testing.T) {
	n := 0
	for cc := range 1000 {
		for _, p := range codePlans(cc) {
			p.compile()
			n++
		}
	}
	if n < 240 {
		t.Errorf("%d plans; want the whole metadata", n)
	}
}

func TestNormalizeConcurrent(t *testing.T) {
	in := benchPhones(400)
	done := make(chan bool)
	for g := range 4 {
		go func() {
			ok := true
			for i := range in {
				p := in[(i+g*100)%len(in)]
				e, err := Normalize(p.raw, p.region)
				if err != nil || zoneOf(e) == "" && len(TimeZones(e)) == 1 {
					ok = false
				}
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent Normalize failed")
		}
	}
}
