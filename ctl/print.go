package ctl

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// jsonOut prints m as indented protojson; jsonLine as one line (for
// streams: JSON lines).
var (
	jsonOut  = protojson.MarshalOptions{Multiline: true, Indent: "  "}
	jsonLine = protojson.MarshalOptions{}
)

// show prints m as JSON with --json, else calls table with a tab writer
// that is flushed after it.
func (a *App) show(m proto.Message, table func(w io.Writer)) error {
	if a.Opts.JSON {
		b, err := jsonOut.Marshal(m)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.Out, string(b))
		return err
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// showLine prints m as one JSON line.
func (a *App) showLine(m proto.Message) error {
	b, err := jsonLine.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.Out, string(b))
	return err
}

// row prints cells separated by tabs.
func row(w io.Writer, cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(w, "\t")
		}
		fmt.Fprint(w, c)
	}
	fmt.Fprintln(w)
}

// EnumName is an enum value's name without its type prefix, in lower case
// with dashes: TASK_STATUS_RUNNING is "running", 0 values are "-".
func EnumName(e protoreflect.Enum) string {
	d := e.Descriptor()
	v := d.Values().ByNumber(e.Number())
	if v == nil {
		return fmt.Sprint(int32(e.Number()))
	}
	if e.Number() == 0 {
		return "-"
	}
	name := string(v.Name())
	if z := d.Values().ByNumber(0); z != nil {
		prefix := strings.TrimSuffix(string(z.Name()), "UNSPECIFIED")
		name = strings.TrimPrefix(name, prefix)
	}
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// ParseEnum finds the value of enum type d named s: its short name
// ("running", "not-ready"), full name or number; what a flag takes. An
// unknown s is an error that lists EnumNames(d).
func ParseEnum(d protoreflect.EnumDescriptor, flag, s string) (protoreflect.EnumNumber, error) {
	want := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	prefix := enumPrefix(d)
	for i := range d.Values().Len() {
		v := d.Values().Get(i)
		full := string(v.Name())
		if want == full || want == strings.TrimPrefix(full, prefix) || want == fmt.Sprint(int32(v.Number())) {
			return v.Number(), nil
		}
	}
	return 0, fmt.Errorf("%s: unknown value %q (one of %s)", flag, s, strings.Join(EnumNames(d), ", "))
}

// EnumNames returns the short names ParseEnum takes for the values of d
// other than the zero one, sorted: what a flag's help lists.
func EnumNames(d protoreflect.EnumDescriptor) []string {
	prefix := enumPrefix(d)
	var names []string
	for i := range d.Values().Len() {
		if v := d.Values().Get(i); v.Number() != 0 {
			names = append(names, strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix)), "_", "-"))
		}
	}
	sort.Strings(names)
	return names
}

// enumPrefix is the prefix every value name of d shares, taken from its
// zero value (EVENT_KIND_UNSPECIFIED gives "EVENT_KIND_").
func enumPrefix(d protoreflect.EnumDescriptor) string {
	if z := d.Values().ByNumber(0); z != nil {
		return strings.TrimSuffix(string(z.Name()), "UNSPECIFIED")
	}
	return ""
}

// when prints a timestamp in local time, "-" when unset.
func when(t *timestamppb.Timestamp) string {
	if t == nil {
		return "-"
	}
	return t.AsTime().Local().Format("2006-01-02 15:04:05")
}

// dur prints a duration rounded to the second ("-" when unset).
func dur(d *durationpb.Duration) string {
	if d == nil {
		return "-"
	}
	return d.AsDuration().Round(time.Millisecond).String()
}

// pct prints a share as a percentage.
func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

// join prints a list, "-" when empty.
func join[T any](xs []T) string {
	if len(xs) == 0 {
		return "-"
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// kv prints a map sorted by key, "-" when empty.
func kv(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return strings.Join(keys, ",")
}

// orDash prints "-" for an empty string.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ParseTime reads a time flag: RFC 3339 ("2026-12-07T09:00:00Z"), a local
// "2006-01-02 15:04[:05]" or "2006-01-02", or a duration from now
// ("-2h", "30m"). Empty is the zero time.
func ParseTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("%s: %q is no time (RFC 3339, \"2006-01-02 15:04\" or a duration from now like -2h)", flag, s)
}
