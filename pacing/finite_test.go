package pacing

import (
	"errors"
	"math"
	"testing"

	"github.com/outpace-dev/outpace/apierr"
)

// TestConfigNotFinite: NaN and infinities in a pacing configuration are
// refused, naming the knob, in every mode that reads it.
func TestConfigNotFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		cfg   Config
		field string
	}{
		{Config{Mode: ModeProgressive, AbandonTarget: nan}, "pacing.abandon_target"},
		{Config{Mode: ModePredictive, AbandonTarget: inf}, "pacing.abandon_target"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{MarginZ: nan}}, "pacing.predictive.margin_z"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{CapMargin: nan}}, "pacing.predictive.cap_margin"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{Reserve: inf}}, "pacing.predictive.reserve"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{Taper: inf}}, "pacing.predictive.taper"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{InitialRisk: inf}}, "pacing.predictive.initial_risk"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{Pool: nan}}, "pacing.predictive.pool"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{FixedRisk: inf}}, "pacing.predictive.fixed_risk"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{OutcomeMemory: 1 << 40}}, "pacing.predictive.outcome_memory"},
		{Config{Mode: ModePredictive, Predictive: PredictiveConfig{Tick: 1}}, "pacing.predictive.tick"},
		{Config{Mode: ModeVicidial, Vicidial: VicidialConfig{MaxLevel: nan}}, "pacing.vicidial.max_level"},
		{Config{Mode: ModeIssabel, Issabel: IssabelConfig{Threshold: nan}}, "pacing.issabel.threshold"},
		{Config{Mode: ModeClosedForm, ClosedForm: ClosedFormConfig{Aggressiveness: inf}}, "pacing.closedform.aggressiveness"},
		{Config{Mode: ModeTable, Table: []int{1, 2}, TableAbove: []int{2, 3}, TableMix: nan}, "pacing.table_mix"},
	} {
		_, err := New(c.cfg, nil)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidParams || ae.Field != c.field {
			t.Errorf("%+v: err = %v, want InvalidParams on %s", c.cfg, err, c.field)
		}
	}
	if _, err := NewPredictive(PredictiveConfig{}, nan); apierr.CodeOf(err) != apierr.InvalidParams {
		t.Errorf("NewPredictive with a NaN target: err = %v", err)
	}
}
