package pacing

import "github.com/outpace-dev/outpace/apierr"

// PredictiveConfig holds the predictive pacer's knobs.
type PredictiveConfig struct{}

// VicidialConfig holds the VICIdial baseline's knobs.
type VicidialConfig struct{}

// IssabelConfig holds the Issabel baseline's knobs.
type IssabelConfig struct{}

// ClosedFormConfig holds the closed-form baseline's knobs.
type ClosedFormConfig struct{}

// NewPredictive returns the predictive pacer.
func NewPredictive(PredictiveConfig, float64) (Pacer, error) {
	return nil, apierr.Invalid("pacing.mode", "predictive is not available yet")
}

// NewVicidial returns the VICIdial baseline.
func NewVicidial(VicidialConfig) (Pacer, error) {
	return nil, apierr.Invalid("pacing.mode", "vicidial is not available yet")
}

// NewIssabel returns the Issabel baseline.
func NewIssabel(IssabelConfig) (Pacer, error) {
	return nil, apierr.Invalid("pacing.mode", "issabel is not available yet")
}

// NewClosedForm returns the closed-form baseline.
func NewClosedForm(ClosedFormConfig) (Pacer, error) {
	return nil, apierr.Invalid("pacing.mode", "closedform is not available yet")
}
