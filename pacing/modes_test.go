package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"strings"
	"testing"
)

// Every mode New knows has a descriptor, and every grid point of a tuned
// mode is a configuration New accepts, its knob rising along each line.
func TestModeSpecs(t *testing.T) {
	for _, s := range Modes() {
		_, err := New(records.PacingConfig{Mode: s.Mode, Ratio: "1:2", Table: []int{1, 2}}, nil)
		if s.Paced() != (err == nil) {
			t.Errorf("%s: paced %v, New: %v", s.Mode, s.Paced(), err)
		}
		if !s.Tuned() {
			continue
		}
		lines := s.Grid(records.PacingConfig{}, 0.03)
		if len(lines) == 0 || s.Sweep == "" {
			t.Fatalf("%s: a tuned mode without a grid or its help line", s.Mode)
		}
		for _, l := range lines {
			prev := -1e9
			for _, p := range l.Points {
				if p.Config.Mode != s.Mode || !strings.HasSuffix(p.Label, l.Suffix) {
					t.Errorf("%s: point %q on line %q: mode %q", s.Mode, p.Label, l.Suffix, p.Config.Mode)
				}
				if _, err := New(p.Config, nil); err != nil {
					t.Errorf("%s %s: %v", s.Mode, p.Label, err)
				}
				if s.Knob == nil {
					continue
				}
				x, ok := s.Knob.Value(p.Config)
				v, err := s.Knob.Parse(strings.TrimSuffix(strings.TrimPrefix(p.Label, s.Knob.Name+"="), l.Suffix))
				if !ok || err != nil || v.X != x || s.Knob.Label(v)+l.Suffix != p.Label {
					t.Errorf("%s %s: value %v (%v), parsed %+v (%v)", s.Mode, p.Label, x, ok, v, err)
				}
				if r := s.Knob.Rank(v); r <= prev {
					t.Errorf("%s %s: not more aggressive than the point before", s.Mode, p.Label)
				} else {
					prev = r
				}
			}
		}
	}
	if got := ModeNames((*ModeSpec).Tuned, "or"); got != "progressive, ratio, predictive, vicidial, issabel or closedform" {
		t.Errorf("tuned modes: %s", got)
	}
}

func TestKnobParse(t *testing.T) {
	ratio, _ := Spec(records.ModeRatio)
	for in, want := range map[string]string{"18.75": "4:75", " 2:4 ": "2:4", "1.1": "10:11"} {
		if v, err := ratio.Knob.Parse(in); err != nil || v.Text != want {
			t.Errorf("ratio %q: %+v, %v; want %s", in, v, err, want)
		}
	}
	for _, in := range []string{"1.234", "1:40", "x", "NaN"} {
		if _, err := ratio.Knob.Parse(in); err == nil || !strings.Contains(err.Error(), "ratio") {
			t.Errorf("ratio %q: error %v, want one naming the knob", in, err)
		}
	}
	pred, _ := Spec(records.ModePredictive)
	if _, err := pred.Knob.Parse("1.5"); err == nil {
		t.Error("abandon_target 1.5 accepted")
	}
	if v, ok := ratio.Knob.Nearest(0.7501); !ok || v.Text != "4:3" || v.X != 0.75 {
		t.Errorf("nearest 0.7501: %+v", v)
	}
	for m, want := range map[records.PacingMode]string{records.ModePredictive: "0.03", records.ModeVicidial: "3", records.ModeIssabel: "0.97", records.ModeClosedForm: "1.2"} {
		s, _ := Spec(m)
		if v, ok := s.Knob.Default(); !ok || v.Text != want {
			t.Errorf("%s: default %+v (%v), want %s", m, v, ok, want)
		}
	}
	if _, ok := ratio.Knob.Default(); ok {
		t.Error("a ratio has a default")
	}
	if got := Setting(records.PacingConfig{Mode: records.ModeVicidial}); got != "max_level=3 intensity=0" {
		t.Errorf("vicidial setting %q", got)
	}
	if got := Setting(records.PacingConfig{AbandonTarget: 0.02}); got != "abandon_target=0.02" {
		t.Errorf("empty mode's setting %q", got)
	}
}
