package pacing

import "github.com/outpace-dev/outpace/records"

// The dial outcome and the pacing configuration are records (package
// records), shared with the engine and the store. These aliases keep code
// written against pacing.X compiling while it moves to records.X; new code
// should name records directly.
type (
	Outcome          = records.Outcome
	Config           = records.PacingConfig
	Mode             = records.PacingMode
	PredictiveConfig = records.PredictiveConfig
	VicidialConfig   = records.VicidialConfig
	IssabelConfig    = records.IssabelConfig
	ClosedFormConfig = records.ClosedFormConfig
)

// Constants of those types, re-exported for the same reason.
const (
	OutcomeNone     = records.OutcomeNone
	OutcomeLive     = records.OutcomeLive
	OutcomeMachine  = records.OutcomeMachine
	OutcomeNoAnswer = records.OutcomeNoAnswer
	OutcomeBusy     = records.OutcomeBusy
	OutcomeInvalid  = records.OutcomeInvalid

	ModePreview     = records.ModePreview
	ModeProgressive = records.ModeProgressive
	ModeRatio       = records.ModeRatio
	ModePredictive  = records.ModePredictive
	ModeAgentless   = records.ModeAgentless
	ModeVicidial    = records.ModeVicidial
	ModeIssabel     = records.ModeIssabel
	ModeClosedForm  = records.ModeClosedForm
	ModeTable       = records.ModeTable

	VicidialHardLimit = records.VicidialHardLimit
	VicidialTapered   = records.VicidialTapered
	VicidialAverage   = records.VicidialAverage

	closedFormMinContact = records.ClosedFormMinContact
)
