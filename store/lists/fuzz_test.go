package lists

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

var fuzzRegions = []string{"", "US", "GB", "CN", "BR", "UY", "DE", "AR", "JP", "IT", "RU", "CO", "xx"}

// checkE164 fails unless e is "+digits", is valid for the phonenumbers
// library as split by us, and normalises to itself from any region.
func checkE164(t *testing.T, e string) {
	t.Helper()
	if len(e) < 2 || e[0] != '+' || len(e) > 1+maxCCLen+maxNSN {
		t.Fatalf("result %q is not E.164", e)
	}
	for i := 1; i < len(e); i++ {
		if e[i] < '0' || e[i] > '9' {
			t.Fatalf("result %q is not E.164", e)
		}
	}
	cc, nsn := splitCallingCode([]byte(e[1:]))
	if cc == 0 {
		t.Fatalf("result %q has no calling code", e)
	}
	pn := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc))}
	v, err := strconv.ParseUint(string(nsn), 10, 64)
	if err != nil {
		t.Fatalf("result %q: %v", e, err)
	}
	pn.NationalNumber = proto.Uint64(v)
	if zeros := len(nsn) - len(strconv.FormatUint(v, 10)); zeros > 0 {
		pn.ItalianLeadingZero = proto.Bool(true)
		pn.NumberOfLeadingZeros = proto.Int32(int32(zeros))
	}
	if !phonenumbers.IsValidNumber(pn) {
		t.Fatalf("result %q is not valid for phonenumbers", e)
	}
	for _, r := range fuzzRegions[:len(fuzzRegions)-1] {
		if again, err := Normalize(e, r); err != nil || again != e {
			t.Fatalf("Normalize(%q, %q) = %q, %v; want it unchanged", e, r, again, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"+14155550123", "(415) 555-0123", "1 415 555 0123", "011 44 20 7946 0018", "0044 20 7946 0018",
		"+44 (0)20 7946 0018", "020 7946 0018", "18012345678", "＋８６ １８０ １２３４ ５６７８", "(11) 91234-5678",
		"0 11 91234 5678", "098344484", "+800 1234 5678", "", "+", "++1", "1-800-FLOWERS", "41\xff55", "00",
		"000", "0000000000", "+0", "+999", "4155550123 x12", "٠٩٨٣٤٤٤٨٤", "+54 9 11 1234 5678", "011 15 1234 5678",
		"0 3X 123", "+7 8 495 123 45 67", "8 495 123 45 67", "+39 06 1234 5678", "+1 268 464 1234",
	} {
		for i := range fuzzRegions {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, raw string, region uint8) {
		r := fuzzRegions[int(region)%len(fuzzRegions)]
		e, err := Normalize(raw, r)
		if err != nil {
			var pe *PhoneError
			if !errors.As(err, &pe) || pe.Reason == "" || e != "" {
				t.Fatalf("Normalize(%q, %q) = %q, %v", raw, r, e, err)
			}
			return
		}
		checkE164(t, e)
	})
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"prueba1;098344484;var1=val1:var2=val2;099124484:099111111;9999;1001",
		"c1;+1 (415) 555-0123", "c1;4155550123;;;;", "c1;4155550123;;;;;;;", "\uFEFFc1;4155550123\r\n",
		"c1;4155550123;at=10:30:url=http://x.y/z", "c1;4155550123;a=::b=2:c=:", "c1;4155550123;;12:4155552671:abc",
		"c1;", "c1;415555CALL", "c1;12345", "c1;4155550123;;;high", "c1;4155550123;;;99999999999",
		"c1;4155550123;=v", "c1;4155550123;novalue", "c1", "c1;4155550123;;;;;x", ";4155550123",
		"c1;4155550123;k=\xff", "# comment", "", "c2;4155550123", "c1;4155550123;;;-0;;", "c1;;;;;;",
		";;;;;;;;", "c1;+44 20 7946 0018;k=v;+44 20 7946 0018:0044 7911 123456;+5; agent ",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(6))
	}
	fields := map[string]bool{FieldLine: true, FieldCampaign: true, FieldNumber: true, FieldData: true,
		FieldAlternatives: true, FieldPriority: true, FieldTimeZone: true}
	f.Fuzz(func(t *testing.T, line string, sel uint8) {
		opt := Options{DefaultRegion: fuzzRegions[int(sel)%(len(fuzzRegions)-1)]}
		if sel&0x80 != 0 {
			opt.Campaign = "c1"
		}
		if sel&0x40 != 0 {
			opt.TZ = "America/Montevideo"
		}
		rec, err := ParseRecord(line, opt)
		if err != nil {
			if errors.Is(err, ErrBlank) || errors.Is(err, ErrOtherCampaign) {
				return
			}
			var le *LineError
			if !errors.As(err, &le) || !fields[le.Field] || le.Reason == "" || le.Line != 0 ||
				!utf8.ValidString(le.Text) || len(le.Text) > maxErrorText+3 {
				t.Fatalf("ParseRecord(%q): bad error %#v", line, err)
			}
			if rec.Number.Phone != "" {
				t.Fatalf("ParseRecord(%q): a number with an error", line)
			}
			return
		}
		n := rec.Number
		checkE164(t, n.Phone)
		if rec.Campaign == "" || (opt.Campaign != "" && rec.Campaign != opt.Campaign) {
			t.Fatalf("ParseRecord(%q): campaign %q", line, rec.Campaign)
		}
		seen := map[string]bool{n.Phone: true}
		for _, a := range n.Alternatives {
			checkE164(t, a)
			if seen[a] {
				t.Fatalf("ParseRecord(%q): alternative %q repeated", line, a)
			}
			seen[a] = true
		}
		for _, w := range rec.Warnings {
			if w.Field != FieldAlternatives || w.Reason == "" {
				t.Fatalf("ParseRecord(%q): bad warning %+v", line, w)
			}
		}
		if n.Priority < math.MinInt32 || n.Priority > math.MaxInt32 {
			t.Fatalf("ParseRecord(%q): priority %d", line, n.Priority)
		}
		for k, v := range n.Data {
			if v == "" || (k != "agentphone" && !validKey(k)) {
				t.Fatalf("ParseRecord(%q): data %q=%q", line, k, v)
			}
		}
		if n.TZ != "" && loadZone(n.TZ) == nil {
			t.Fatalf("ParseRecord(%q): zone %q", line, n.TZ)
		}
		if opt.TZ != "" && n.TZ != opt.TZ {
			t.Fatalf("ParseRecord(%q): zone %q; want the upload's", line, n.TZ)
		}
	})
}

// FuzzReader checks the line splitter and the counts: every byte is
// consumed, every line is counted once, line numbers only grow.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"", "\n", "\r", "\r\n", "\n\r", "c1;4155550123", "\uFEFFc1;4155550123\r\nc1;x\rc2;4155550124\n# c\n\n",
		"c1;4155550123;;12:4155552671\r\r\n\n", "\xEF\xBB", "c1;4155550123\r",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var src io.Reader = bytes.NewReader(data)
		if chunk%4 == 3 {
			src = iotest.OneByteReader(src)
		}
		r, err := NewReader(src, Options{DefaultRegion: "US", Campaign: map[bool]string{true: "c1"}[chunk&4 != 0]})
		if err != nil {
			t.Fatal(err)
		}
		prev := 0
		for r.Next() {
			if r.Line() <= prev {
				t.Fatalf("line %d after %d", r.Line(), prev)
			}
			prev = r.Line()
			if e := r.LineErr(); e != nil {
				if e.Line != r.Line() || e.Reason == "" {
					t.Fatalf("error %+v on line %d", e, r.Line())
				}
				continue
			}
			checkE164(t, r.Number().Phone)
		}
		s := r.Stats()
		if r.Err() != nil || s.Bytes != int64(len(data)) || s.Lines != s.Numbers+s.Errors+s.Blank+s.Other {
			t.Fatalf("Err %v, stats %+v for %d bytes", r.Err(), s, len(data))
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' && data[len(data)-1] != '\r' {
			lines++
		}
		if s.Lines != lines {
			t.Fatalf("%d lines counted; want %d", s.Lines, lines)
		}
	})
}
