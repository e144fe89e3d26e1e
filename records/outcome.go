package records

// Outcome is how a dial attempt ended before any agent was involved.
type Outcome uint8

// Dial outcomes.
const (
	OutcomeNone     Outcome = iota
	OutcomeLive             // a person answered
	OutcomeMachine          // an answering machine was detected
	OutcomeNoAnswer         // rang until the no-answer timeout
	OutcomeBusy             // busy signal
	OutcomeInvalid          // unobtainable / SIT / failed
)

var outcomeNames = [...]string{"none", "live", "machine", "no_answer", "busy", "invalid"}

// String returns the outcome's name as scenarios and reports write it:
// none, live, machine, no_answer, busy or invalid ("unknown" for any other
// value).
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// ParseOutcome returns the outcome a name of String stands for; ok is false
// for any other name.
func ParseOutcome(name string) (o Outcome, ok bool) {
	for i, n := range outcomeNames {
		if n == name {
			return Outcome(i), true
		}
	}
	return OutcomeNone, false
}
