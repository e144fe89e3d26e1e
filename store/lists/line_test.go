package lists

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/outpace-dev/outpace/apierr"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestParseLine(t *testing.T) {
	us := Options{DefaultRegion: "US", Now: now}
	tests := []struct {
		name     string
		line     string
		opt      Options
		phone    string
		alts     []string
		priority int
		data     map[string]string
		tz       string
		campaign string
		warns    int
	}{
		{
			name: "seed example", line: "prueba1;098344484;var1=val1:var2=val2;099124484:099111111;9999;1001",
			opt:   Options{DefaultRegion: "UY", Now: now},
			phone: "+59898344484", alts: []string{"+59899124484", "+59899111111"}, priority: 9999,
			data: map[string]string{"var1": "val1", "var2": "val2", "agentphone": "1001"},
			tz:   "America/Montevideo", campaign: "prueba1",
		},
		{
			name: "campaign and number only", line: "c1;+1 (415) 555-0123", opt: us,
			phone: "+14155550123", tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "empty optional fields", line: "c1;4155550123;;;;", opt: us,
			phone: "+14155550123", tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "trailing separators", line: "c1;4155550123;;;;;;;", opt: us,
			phone: "+14155550123", tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "spaces around fields", line: "  c1 ; 415 555 0123 ; a = 1 ;  ; -3 ; 1001 \r\n", opt: us,
			phone: "+14155550123", priority: -3, data: map[string]string{"a": "1", "agentphone": "1001"},
			tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "byte order mark", line: "\uFEFFc1;4155550123", opt: us,
			phone: "+14155550123", tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "colons inside values", line: "c1;4155550123;at=10:30:url=http://x.y/z?q=1:id=7", opt: us,
			phone: "+14155550123", data: map[string]string{"at": "10:30", "url": "http://x.y/z?q=1", "id": "7"},
			tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "values as written", line: "c1;4155550123;at=10::30 : note= a:b ", opt: us,
			phone: "+14155550123", data: map[string]string{"at": "10::30", "note": "a:b"},
			tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "empty values and doubled colons", line: "c1;4155550123;a=::b=2:c=:", opt: us,
			phone: "+14155550123", data: map[string]string{"b": "2"}, tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "agentphone overrides a data key", line: "c1;4155550123;agentphone=1;;;2002", opt: us,
			phone: "+14155550123", data: map[string]string{"agentphone": "2002"}, tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "bad alternative dropped, line kept", line: "c1;4155550123;;12:4155552671:abc", opt: us,
			phone: "+14155550123", alts: []string{"+14155552671"}, tz: "America/Los_Angeles", campaign: "c1", warns: 2,
		},
		{
			name: "repeated alternatives dropped", line: "c1;4155550123;;415 555 0123:4155552671:+1 415 555 2671", opt: us,
			phone: "+14155550123", alts: []string{"+14155552671"}, tz: "America/Los_Angeles", campaign: "c1",
		},
		{
			name: "upload time zone", line: "c1;4155550123", opt: Options{DefaultRegion: "US", TZ: "America/Chicago"},
			phone: "+14155550123", tz: "America/Chicago", campaign: "c1",
		},
		{
			name: "international without region", line: "c1;+44 20 7946 0018", opt: Options{},
			phone: "+442079460018", tz: "Europe/London", campaign: "c1",
		},
		{
			name: "campaign filter", line: "c2;4155550123", opt: Options{DefaultRegion: "US", Campaign: "c2"},
			phone: "+14155550123", tz: "America/Los_Angeles", campaign: "c2",
		},
		{
			name: "quotes are part of the value", line: `c1;4155550123;name="Ann"`, opt: us,
			phone: "+14155550123", data: map[string]string{"name": `"Ann"`}, tz: "America/Los_Angeles", campaign: "c1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := ParseRecord(tt.line, tt.opt)
			if err != nil {
				t.Fatalf("ParseRecord(%q): %v", tt.line, err)
			}
			n := rec.Number
			if n.Phone != tt.phone || n.Priority != tt.priority || n.TZ != tt.tz || rec.Campaign != tt.campaign {
				t.Errorf("got phone %q priority %d tz %q campaign %q; want %q %d %q %q",
					n.Phone, n.Priority, n.TZ, rec.Campaign, tt.phone, tt.priority, tt.tz, tt.campaign)
			}
			if !slices.Equal(n.Alternatives, tt.alts) {
				t.Errorf("alternatives %q; want %q", n.Alternatives, tt.alts)
			}
			if !maps.Equal(n.Data, tt.data) {
				t.Errorf("data %q; want %q", n.Data, tt.data)
			}
			if !n.NotBefore.Equal(tt.opt.Now) {
				t.Errorf("NotBefore %v; want %v", n.NotBefore, tt.opt.Now)
			}
			if len(rec.Warnings) != tt.warns {
				t.Errorf("warnings %v; want %d", rec.Warnings, tt.warns)
			}
			for _, w := range rec.Warnings {
				if w.Field != FieldAlternatives || w.Reason == "" {
					t.Errorf("warning %+v", w)
				}
			}
			// ParseLine gives the same number.
			n2, err := ParseLine(tt.line, tt.opt)
			if err != nil || n2.Phone != n.Phone {
				t.Errorf("ParseLine = %q, %v", n2.Phone, err)
			}
		})
	}
}

func TestParseLineBad(t *testing.T) {
	us := Options{DefaultRegion: "US"}
	tests := []struct {
		name, line string
		opt        Options
		field      string
		reason     string
	}{
		{"empty number", "c1;", us, FieldNumber, "empty"},
		{"blank number", "c1; ;a=1", us, FieldNumber, "empty"},
		{"letters", "c1;415555CALL", us, FieldNumber, "contains letters"},
		{"too short", "c1;12345", us, FieldNumber, "too short"},
		{"too long", "c1;+1 415 555 01234", us, FieldNumber, "too long"},
		{"unknown country code", "c1;+999 1234 5678", us, FieldNumber, "unknown country code"},
		{"national without region", "c1;4155550123", Options{}, FieldNumber, "no country code"},
		{"invalid number", "c1;+1 099 555 0123", us, FieldNumber, "not a valid number"},
		{"bad priority", "c1;4155550123;;;high", us, FieldPriority, "not an integer"},
		{"fractional priority", "c1;4155550123;;;1.5", us, FieldPriority, "not an integer"},
		{"priority out of range", "c1;4155550123;;;99999999999", us, FieldPriority, "out of range"},
		{"huge priority", "c1;4155550123;;;999999999999999999999999", us, FieldPriority, "out of range"},
		{"empty key", "c1;4155550123;=v", us, FieldData, "empty key"},
		{"not key=value", "c1;4155550123;novalue:a=1", us, FieldData, "not key=value"},
		{"bad key", "c1;4155550123;a b=1", us, FieldData, "bad key"},
		{"one field", "c1", us, FieldLine, "too few fields"},
		{"one field with spaces", "  just-text  ", us, FieldLine, "too few fields"},
		{"seven fields", "c1;4155550123;;;;;x", us, FieldLine, "too many fields"},
		{"many fields", "c1;4155550123;a=1;;1;1001;x;y;z", us, FieldLine, "too many fields: 9"},
		{"empty campaign", ";4155550123", us, FieldCampaign, "empty"},
		{"not UTF-8", "c1;4155550123;k=\xff\xfe", us, FieldLine, "not valid UTF-8"},
		{"bad time zone", "c1;4155550123", Options{DefaultRegion: "US", TZ: "Mars/Olympus"}, FieldTimeZone, "unknown time zone"},
		{"server time zone", "c1;4155550123", Options{DefaultRegion: "US", TZ: "Local"}, FieldTimeZone, "unknown time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLine(tt.line, tt.opt)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("ParseLine(%q) error %v; want a *LineError", tt.line, err)
			}
			if le.Field != tt.field || !strings.Contains(le.Reason, tt.reason) {
				t.Errorf("ParseLine(%q) = %s: %s; want %s: …%s…", tt.line, le.Field, le.Reason, tt.field, tt.reason)
			}
			if le.Line != 0 || le.Text == "" {
				t.Errorf("Line %d, Text %q", le.Line, le.Text)
			}
		})
	}
}

func TestParseLineSkipped(t *testing.T) {
	for _, line := range []string{"", "   ", "\r\n", "\uFEFF", "# campaign;number", "  # note"} {
		if _, err := ParseLine(line, Options{}); !errors.Is(err, ErrBlank) {
			t.Errorf("ParseLine(%q) = %v; want ErrBlank", line, err)
		}
	}
	opt := Options{Campaign: "c1", DefaultRegion: "US"}
	for _, line := range []string{"c2;4155550123", "c10;4155550123", "C1;4155550123", "c2;bad;;;;;;;;", "c2"} {
		if _, err := ParseLine(line, opt); !errors.Is(err, ErrOtherCampaign) {
			t.Errorf("ParseLine(%q) = %v; want ErrOtherCampaign", line, err)
		}
	}
}

func TestLineErrorText(t *testing.T) {
	long := "c1;" + strings.Repeat("é", 300)
	_, err := ParseLine(long, Options{})
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatal(err)
	}
	if len(le.Text) > maxErrorText || !strings.HasPrefix(long, le.Text) {
		t.Errorf("Text of %d bytes, %q…", len(le.Text), le.Text[:10])
	}
	if got := (&LineError{Line: 7, Field: FieldPriority, Reason: "x"}).Error(); got != "line 7: priority: x" {
		t.Errorf("Error() = %q", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := []Options{{}, {TZ: "UTC", DefaultRegion: "gb"}, {TZ: "America/Sao_Paulo", DefaultRegion: "BR"}}
	for _, o := range good {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	bad := []struct {
		o     Options
		field string
	}{
		{Options{TZ: "Mars/Olympus"}, "timezone"},
		{Options{TZ: "Local"}, "timezone"},
		{Options{DefaultRegion: "XX"}, "region"},
	}
	for _, b := range bad {
		err := b.o.Validate()
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidParams || ae.Field != b.field {
			t.Errorf("%+v: %v; want an InvalidParams error on %q", b.o, err, b.field)
		}
	}
}

func TestCutText(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("日", 100), strings.Repeat("é", 150), strings.Repeat("\xff", 300),
		strings.Repeat("a", 199) + "日本", "short", "bad\xffbyte", strings.Repeat("日é", 80),
	} {
		got := cutText(s)
		if !utf8.ValidString(got) || len(got) > maxErrorText || utf8.ValidString(s) && len(got) < min(len(s), maxErrorText)-3 {
			t.Errorf("cutText(%q…) = %q (%d bytes)", s[:5], got, len(got))
		}
	}
}

func TestParseLineLimits(t *testing.T) {
	// Alternatives past MaxAlternatives are dropped with one warning.
	var alts []string
	for i := range MaxAlternatives + 5 {
		alts = append(alts, fmt.Sprintf("415555%04d", 1000+i))
	}
	alts[3] = "bad"
	rec, err := ParseRecord("c1;4155550123;;"+strings.Join(alts, ":"), Options{DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Number.Alternatives) != MaxAlternatives-1 || len(rec.Warnings) != 2 ||
		!strings.Contains(rec.Warnings[1].Reason, "more than") {
		t.Errorf("%d alternatives, warnings %v", len(rec.Number.Alternatives), rec.Warnings)
	}

	// A value with many colons is a piece of the line, not built piece by
	// piece.
	line := "c1;4155550123;k=" + strings.Repeat("x:", MaxLineLen/2)
	rec, err = ParseRecord(line, Options{DefaultRegion: "US"})
	if err != nil || len(rec.Number.Data["k"]) != MaxLineLen-1 {
		t.Fatalf("%v, value of %d bytes", err, len(rec.Number.Data["k"]))
	}
	if a := testing.AllocsPerRun(5, func() { _, _ = ParseRecord(line, Options{DefaultRegion: "US"}) }); a > 20 {
		t.Errorf("%.0f allocations for one line", a)
	}
}
