package lists

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

func TestParseTelphoneSeed(t *testing.T) {
	// The telphone example of TaskCreat / TaskAdd (seed 003).
	text := `[{"phone":18012345678,"time":1500000000,"userid":"","memberid":"","chengshudu":"","customuuid":""}]`
	nums, bad, err := ParseTelphone([]byte(text), Options{DefaultRegion: "CN", Now: now})
	if err != nil || len(bad) != 0 || len(nums) != 1 {
		t.Fatalf("ParseTelphone: %v, %v, %v", nums, bad, err)
	}
	n := nums[0]
	if n.Phone != "+8618012345678" || !n.NotBefore.Equal(time.Unix(1500000000, 0)) || n.TZ != "Asia/Shanghai" ||
		n.Data != nil || n.Priority != 0 {
		t.Errorf("number %+v", n)
	}
}

func TestParseEntries(t *testing.T) {
	opt := Options{DefaultRegion: "CN", Now: now}
	shanghai := loadZone("Asia/Shanghai")
	tests := []struct {
		entry     string
		opt       Options
		phone     string
		notBefore time.Time
		tz        string
		priority  int
		data      map[string]string
	}{
		{`{"phone":"180 1234 5678"}`, opt, "+8618012345678", now, "Asia/Shanghai", 0, nil},
		{`{"phone":"+44 20 7946 0018","time":0}`, opt, "+442079460018", now, "Europe/London", 0, nil},
		{`{"phone":18012345678,"time":"1500000000"}`, opt, "+8618012345678", time.Unix(1500000000, 0), "Asia/Shanghai", 0, nil},
		{`{"phone":18012345678,"time":1500000000123}`, opt, "+8618012345678", time.UnixMilli(1500000000123), "Asia/Shanghai", 0, nil},
		{`{"phone":18012345678,"time":""}`, opt, "+8618012345678", now, "Asia/Shanghai", 0, nil},
		{`{"phone":18012345678,"time":null}`, opt, "+8618012345678", now, "Asia/Shanghai", 0, nil},
		{`{"phone":18012345678,"time":"2025-05-01 09:00:00"}`, opt, "+8618012345678",
			time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC), "Asia/Shanghai", 0, nil},
		{`{"phone":18012345678,"time":"2025-05-01 09:00:00"}`, Options{DefaultRegion: "CN", TZ: "Asia/Shanghai"}, "+8618012345678",
			time.Date(2025, 5, 1, 9, 0, 0, 0, shanghai), "Asia/Shanghai", 0, nil},
		{`{"phone":18012345678,"time":"2025-05-01 09:00:00","timezone":"Asia/Tokyo"}`, opt, "+8618012345678",
			time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), "Asia/Tokyo", 0, nil},
		{`{"phone":18012345678,"time":"2025-05-01T09:00:00+02:00"}`, opt, "+8618012345678",
			time.Date(2025, 5, 1, 7, 0, 0, 0, time.UTC), "Asia/Shanghai", 0, nil},
		{`{"phone":18012345678,"priority":"7"}`, opt, "+8618012345678", now, "Asia/Shanghai", 7, nil},
		{`{"phone":18012345678,"priority":-2,"timezone":null}`, opt, "+8618012345678", now, "Asia/Shanghai", -2, nil},
		{
			`{"phone":"18012345678","userid":"u1","memberid":"18533700187590656","chengshudu":"0","customuuid":"123Abc"}`,
			opt, "+8618012345678", now, "Asia/Shanghai", 0,
			map[string]string{"userid": "u1", "memberid": "18533700187590656", "chengshudu": "0", "customuuid": "123Abc"},
		},
		{
			`{"phone":"18012345678","userid":42,"vip":true,"tags":["a", "b"],"extra":{"k": 1},"none":null,"empty":""}`,
			opt, "+8618012345678", now, "Asia/Shanghai", 0,
			map[string]string{"userid": "42", "vip": "true", "tags": `["a","b"]`, "extra": `{"k":1}`},
		},
	}
	for _, tt := range tests {
		nums, bad, err := ParseEntries([]json.RawMessage{json.RawMessage(tt.entry)}, tt.opt)
		if err != nil || len(bad) != 0 || len(nums) != 1 {
			t.Errorf("%s: %v, %v, %v", tt.entry, nums, bad, err)
			continue
		}
		n := nums[0]
		if n.Phone != tt.phone || !n.NotBefore.Equal(tt.notBefore) || n.TZ != tt.tz || n.Priority != tt.priority {
			t.Errorf("%s: got %q %v %q %d; want %q %v %q %d", tt.entry,
				n.Phone, n.NotBefore, n.TZ, n.Priority, tt.phone, tt.notBefore, tt.tz, tt.priority)
		}
		if !maps.Equal(n.Data, tt.data) {
			t.Errorf("%s: data %q; want %q", tt.entry, n.Data, tt.data)
		}
	}
}

func TestParseEntriesBad(t *testing.T) {
	tests := []struct {
		entry, field, reason string
	}{
		{`{"time":1500000000}`, "phone", "missing"},
		{`{"phone":null}`, "phone", "missing"},
		{`{"phone":""}`, "phone", "empty"},
		{`{"phone":"abc"}`, "phone", "contains letters"},
		{`{"phone":"123"}`, "phone", "too short"},
		{`{"phone":"180123456789012345"}`, "phone", "too long"},
		{`{"phone":1.8012345678e10}`, "phone", "not a whole number"},
		{`{"phone":-18012345678}`, "phone", "not a whole number"},
		{`{"phone":true}`, "phone", "want a string or a number"},
		{`{"phone":["18012345678"]}`, "phone", "want a string or a number"},
		{`{"phone":18012345678,"time":"yesterday"}`, "time", "not a time"},
		{`{"phone":18012345678,"time":-5}`, "time", "not a time"},
		{`{"phone":18012345678,"time":1500000000.5}`, "time", "not a time"},
		{`{"phone":18012345678,"time":"2025-13-01 00:00:00"}`, "time", "not a time"},
		{`{"phone":18012345678,"time":99999999999999999999}`, "time", "out of range"},
		{`{"phone":18012345678,"time":true}`, "time", "want Unix seconds"},
		{`{"phone":18012345678,"timezone":"Mars/Olympus"}`, "timezone", "unknown time zone"},
		{`{"phone":18012345678,"timezone":8}`, "timezone", "want a string"},
		{`{"phone":18012345678,"priority":"high"}`, "priority", "not an integer"},
		{`{"phone":18012345678,"priority":1.5}`, "priority", "not an integer"},
		{`{"phone":18012345678,"priority":{}}`, "priority", "want an integer"},
		{`18012345678`, "", "not a JSON object"},
		{`"18012345678"`, "", "not a JSON object"},
		{`[]`, "", "not a JSON object"},
		{`null`, "", "not a JSON object"},
		{`{"phone":`, "", "not valid JSON"},
		{`{"phone":0123}`, "", "not valid JSON"},
		{``, "", "not valid JSON"},
	}
	raw := []json.RawMessage{json.RawMessage(`{"phone":"18012345678"}`)}
	for _, tt := range tests {
		raw = append(raw, json.RawMessage(tt.entry))
	}
	raw = append(raw, json.RawMessage(`{"phone":"13912345678"}`))

	nums, bad, err := ParseEntries(raw, Options{DefaultRegion: "CN"})
	if err != nil {
		t.Fatal(err)
	}
	if len(nums) != 2 || nums[0].Phone != "+8618012345678" || nums[1].Phone != "+8613912345678" {
		t.Errorf("numbers %v; want the first and last entries", nums)
	}
	if len(bad) != len(tests) {
		t.Fatalf("%d bad entries; want %d: %v", len(bad), len(tests), bad)
	}
	for i, tt := range tests {
		b := bad[i]
		if b.Index != i+1 || b.Field != tt.field || !strings.Contains(b.Reason, tt.reason) {
			t.Errorf("%s: got %+v; want index %d, %s: …%s…", tt.entry, b, i+1, tt.field, tt.reason)
		}
	}
	if got := (&EntryError{Index: 3, Field: "time", Reason: "x"}).Error(); got != "telphone[3].time: x" {
		t.Errorf("Error() = %q", got)
	}
}

func TestParseTelphoneLimits(t *testing.T) {
	entries := func(n int) []byte {
		var b strings.Builder
		b.WriteByte('[')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"phone":"+1 415 555 %04d","time":1500000000}`, i%10000)
		}
		b.WriteByte(']')
		return []byte(b.String())
	}
	nums, bad, err := ParseTelphone(entries(MaxEntries), Options{})
	if err != nil || len(bad) != 0 || len(nums) != MaxEntries {
		t.Errorf("%d entries: %d numbers, %d bad, %v", MaxEntries, len(nums), len(bad), err)
	}
	for _, n := range []int{MaxEntries + 1, 3 * MaxEntries} {
		_, _, err := ParseTelphone(entries(n), Options{})
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidParams || ae.Field != "telphone" {
			t.Errorf("%d entries: %v; want InvalidParams on telphone", n, err)
		}
	}
	raw := make([]json.RawMessage, MaxEntries+1)
	if _, _, err := ParseEntries(raw, Options{}); apierr.CodeOf(err) != apierr.InvalidParams {
		t.Errorf("ParseEntries of %d: %v", len(raw), err)
	}

	for _, text := range []string{``, `{"phone":1}`, `[{"phone":1}`, `[{"phone":1}] x`, `[1,]`, `"[]"`} {
		_, _, err := ParseTelphone([]byte(text), Options{})
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Field != "telphone" {
			t.Errorf("ParseTelphone(%q) = %v; want an error on telphone", text, err)
		}
	}
	if nums, bad, err := ParseTelphone([]byte(` [ ] `), Options{}); err != nil || len(nums)+len(bad) != 0 {
		t.Errorf("empty array: %v %v %v", nums, bad, err)
	}
	if _, _, err := ParseTelphone([]byte(`[]`), Options{TZ: "Nowhere/Special"}); apierr.CodeOf(err) != apierr.InvalidParams {
		t.Errorf("bad options: %v", err)
	}
}
