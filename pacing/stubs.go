package pacing

import "github.com/outpace-dev/outpace/apierr"

// PredictiveConfig holds the predictive pacer's knobs.
type PredictiveConfig struct{}

// NewPredictive returns the predictive pacer.
func NewPredictive(PredictiveConfig, float64) (Pacer, error) {
	return nil, apierr.Invalid("pacing.mode", "predictive is not available yet")
}
