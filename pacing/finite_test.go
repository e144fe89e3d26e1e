package pacing

import (
	"errors"
	"math"
	"testing"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// TestConfigNotFinite: NaN and infinities in a pacing configuration are
// refused, naming the knob, in every mode that reads it.
func TestConfigNotFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		cfg   records.PacingConfig
		field string
	}{
		{records.PacingConfig{Mode: records.ModeProgressive, AbandonTarget: nan}, "pacing.abandon_target"},
		{records.PacingConfig{Mode: records.ModePredictive, AbandonTarget: inf}, "pacing.abandon_target"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{MarginZ: nan}}, "pacing.predictive.margin_z"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{CapMargin: nan}}, "pacing.predictive.cap_margin"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{Reserve: inf}}, "pacing.predictive.reserve"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{Taper: inf}}, "pacing.predictive.taper"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{InitialRisk: inf}}, "pacing.predictive.initial_risk"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{Pool: nan}}, "pacing.predictive.pool"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{FixedRisk: inf}}, "pacing.predictive.fixed_risk"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{OutcomeMemory: 1 << 40}}, "pacing.predictive.outcome_memory"},
		{records.PacingConfig{Mode: records.ModePredictive, Predictive: records.PredictiveConfig{Tick: 1}}, "pacing.predictive.tick"},
		{records.PacingConfig{Mode: records.ModeVicidial, Vicidial: records.VicidialConfig{MaxLevel: nan}}, "pacing.vicidial.max_level"},
		{records.PacingConfig{Mode: records.ModeIssabel, Issabel: records.IssabelConfig{Threshold: nan}}, "pacing.issabel.threshold"},
		{records.PacingConfig{Mode: records.ModeClosedForm, ClosedForm: records.ClosedFormConfig{Aggressiveness: inf}}, "pacing.closedform.aggressiveness"},
		{records.PacingConfig{Mode: records.ModeTable, Table: []int{1, 2}, TableAbove: []int{2, 3}, TableMix: nan}, "pacing.table_mix"},
	} {
		_, err := New(c.cfg, nil)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidParams || ae.Field != c.field {
			t.Errorf("%+v: err = %v, want InvalidParams on %s", c.cfg, err, c.field)
		}
	}
	if _, err := NewPredictive(records.PredictiveConfig{}, nan); apierr.CodeOf(err) != apierr.InvalidParams {
		t.Errorf("NewPredictive with a NaN target: err = %v", err)
	}
}
