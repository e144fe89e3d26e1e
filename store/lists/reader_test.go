package lists

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/outpace-dev/outpace/apierr"
)

// readAll drains a Reader: numbers by line, errors, warnings.
type readResult struct {
	phones   map[int]string // line → phone
	errs     []LineError
	warns    []LineError
	order    []int // lines of numbers and errors, in the order returned
	stats    Stats
	progress []Stats
	err      error
}

func readAll(t *testing.T, src io.Reader, opt Options, every int) readResult {
	t.Helper()
	r, err := NewReader(src, opt)
	if err != nil {
		t.Fatal(err)
	}
	res := readResult{phones: map[int]string{}}
	if every > 0 {
		r.OnProgress(every, func(s Stats) { res.progress = append(res.progress, s) })
	}
	for r.Next() {
		res.order = append(res.order, r.Line())
		if e := r.LineErr(); e != nil {
			res.errs = append(res.errs, *e)
			if r.Number().Phone != "" || r.Campaign() != "" {
				t.Errorf("line %d: a number with an error", r.Line())
			}
			continue
		}
		res.phones[r.Line()] = r.Number().Phone
		if r.Record().Campaign != r.Campaign() {
			t.Errorf("Record and Campaign disagree")
		}
		res.warns = append(res.warns, r.Warnings()...)
	}
	if r.Next() {
		t.Error("Next after the end returned true")
	}
	res.stats, res.err = r.Stats(), r.Err()
	return res
}

func TestReader(t *testing.T) {
	input := "\uFEFF# campaign;number;data;alternatives;priority;agentphone\r\n" + // 1
		"c1;+1 415 555 0101;a=1;;5;1001\r\n" + // 2
		"\r\n" + // 3
		"c1;415 555 0102;;12:4155550199\r\n" + // 4: one bad alternative
		"c1;415555ABCD\r\n" + // 5: letters
		"c2;4155550103\r\n" + // 6: other campaign
		"c1;4155550104;;;high\r\n" + // 7: priority
		"   \r\n" + // 8
		"c1;4155550105;=x\r" + // 9: bad data, CR only
		"c1;4155550106\r" + // 10
		"c1;4155550107;;;;;;x\n" + // 11: too many fields
		"c1\n" + // 12: too few fields
		"c1;4155550108" // 13: no final newline
	want := map[int]string{2: "+14155550101", 4: "+14155550102", 10: "+14155550106", 13: "+14155550108"}
	wantErrs := map[int]string{5: FieldNumber, 7: FieldPriority, 9: FieldData, 11: FieldLine, 12: FieldLine}

	readers := map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(input) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(input)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(input)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(strings.NewReader(input)) },
	}
	for name, src := range readers {
		t.Run(name, func(t *testing.T) {
			res := readAll(t, src(), Options{Campaign: "c1", DefaultRegion: "US"}, 0)
			if res.err != nil {
				t.Fatal(res.err)
			}
			if fmt.Sprint(res.phones) != fmt.Sprint(want) {
				t.Errorf("numbers %v; want %v", res.phones, want)
			}
			if len(res.errs) != len(wantErrs) {
				t.Errorf("errors %v; want lines %v", res.errs, wantErrs)
			}
			for _, e := range res.errs {
				if wantErrs[e.Line] != e.Field || e.Reason == "" || e.Text == "" {
					t.Errorf("error %+v; want field %q", e, wantErrs[e.Line])
				}
			}
			if len(res.warns) != 1 || res.warns[0].Line != 4 || res.warns[0].Field != FieldAlternatives {
				t.Errorf("warnings %+v; want one on line 4", res.warns)
			}
			for i := 1; i < len(res.order); i++ {
				if res.order[i] <= res.order[i-1] {
					t.Errorf("lines out of order: %v", res.order)
				}
			}
			s := res.stats
			if s.Lines != 13 || s.Numbers != 4 || s.Errors != 5 || s.Warnings != 1 || s.Blank != 3 || s.Other != 1 ||
				s.Bytes != int64(len(input)) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestReaderTenThousand(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 10000; i++ {
		if i == 5000 {
			b.WriteString("camp;+1 415 555 01x9;k=v\n")
			continue
		}
		fmt.Fprintf(&b, "camp;+1 415 555 %04d;row=%d;;%d\n", i-1, i, i%10)
	}
	input := b.String()
	res := readAll(t, strings.NewReader(input), Options{DefaultRegion: "US"}, 1000)
	if len(res.phones) != 9999 {
		t.Errorf("%d numbers; want 9999", len(res.phones))
	}
	if len(res.errs) != 1 || res.errs[0].Line != 5000 || res.errs[0].Field != FieldNumber ||
		!strings.Contains(res.errs[0].Reason, "letters") {
		t.Errorf("errors %+v; want one on line 5000 (number)", res.errs)
	}
	if res.phones[1] != "+14155550000" || res.phones[10000] != "+14155559999" {
		t.Errorf("first %q, last %q", res.phones[1], res.phones[10000])
	}
	// Progress every 1000 lines and once at the end, the end at full size.
	if len(res.progress) != 11 {
		t.Fatalf("%d progress calls; want 11", len(res.progress))
	}
	for i, p := range res.progress[:10] {
		if p.Lines != (i+1)*1000 || p.Bytes <= 0 || p.Bytes > int64(len(input)) {
			t.Errorf("progress %d: %+v", i, p)
		}
	}
	last := res.progress[10]
	if last.Lines != 10000 || last.Bytes != int64(len(input)) || last.Numbers != 9999 || last.Errors != 1 {
		t.Errorf("final progress %+v", last)
	}
}

func TestReaderLongLine(t *testing.T) {
	input := "c1;4155550101\n" +
		"c1;4155550102;x=" + strings.Repeat("y", MaxLineLen+10) + "\r\n" +
		"c1;4155550103\n" +
		"c1;4155550104;z=" + strings.Repeat("w", 3*MaxLineLen) + "\r" + // ends with a lone CR
		"c1;4155550105\n" +
		strings.Repeat("v", MaxLineLen+1) // at the end, no newline
	for name, src := range map[string]io.Reader{
		"whole":    strings.NewReader(input),
		"one byte": iotest.OneByteReader(strings.NewReader(input)),
	} {
		t.Run(name, func(t *testing.T) {
			res := readAll(t, src, Options{DefaultRegion: "US"}, 0)
			if res.err != nil {
				t.Fatal(res.err)
			}
			want := map[int]string{1: "+14155550101", 3: "+14155550103", 5: "+14155550105"}
			if fmt.Sprint(res.phones) != fmt.Sprint(want) {
				t.Errorf("numbers %v; want %v", res.phones, want)
			}
			if len(res.errs) != 3 || res.errs[0].Line != 2 || res.errs[1].Line != 4 || res.errs[2].Line != 6 {
				t.Fatalf("errors %+v", res.errs)
			}
			for _, e := range res.errs {
				if e.Field != FieldLine || !strings.Contains(e.Reason, "longer") || len(e.Text) > maxErrorText {
					t.Errorf("error %+v", e)
				}
			}
			if res.stats.Bytes != int64(len(input)) || res.stats.Lines != 6 {
				t.Errorf("stats %+v", res.stats)
			}
		})
	}
}

func TestReaderIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	src := io.MultiReader(strings.NewReader("c1;4155550101\nc1;4155550102\n"), iotest.ErrReader(boom))
	res := readAll(t, src, Options{DefaultRegion: "US"}, 0)
	if !errors.Is(res.err, boom) {
		t.Errorf("Err() = %v; want %v", res.err, boom)
	}
	if len(res.phones) != 2 {
		t.Errorf("numbers %v; want the two before the failure", res.phones)
	}
}

func TestReaderEmpty(t *testing.T) {
	calls := 0
	r, err := NewReader(strings.NewReader(""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.OnProgress(0, func(Stats) { calls++ })
	for r.Next() {
		t.Error("a record from empty input")
	}
	if r.Err() != nil || calls != 1 || r.Stats() != (Stats{}) {
		t.Errorf("Err %v, %d progress calls, stats %+v", r.Err(), calls, r.Stats())
	}
}

func TestNewReaderBadOptions(t *testing.T) {
	_, err := NewReader(strings.NewReader("c1;4155550101\n"), Options{TZ: "Mars/Olympus"})
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Field != "timezone" {
		t.Errorf("NewReader with a bad zone: %v", err)
	}
	_, err = NewReader(strings.NewReader(""), Options{DefaultRegion: "ZZZ"})
	if !errors.As(err, &ae) || ae.Field != "region" {
		t.Errorf("NewReader with a bad region: %v", err)
	}
}
