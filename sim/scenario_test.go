package sim

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/apierr"
)

// TestScenarioFieldErrors: a field of the wrong type or an unknown one, in
// the file or from --set, is reported by its path in the scenario, whatever
// line the overrides moved it to.
func TestScenarioFieldErrors(t *testing.T) {
	data, err := os.ReadFile("../bench/scenarios/S1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		yml   string
		set   string
		field string
		msg   string
	}{
		{"", "task.pacing.predictive.young_window=-1", "task.pacing.predictive.young_window", "a duration such as"},
		{"", "duration=5", "duration", "a duration such as"},
		{"", "agents.count=x", "agents.count", "into int"},
		{"", "task.pacing.predictive.bogus=1", "task.pacing.predictive.bogus", "not found"},
		{"name: x\nagents: {count: 3, answer_delay: soon}\n", "", "agents.answer_delay", ""},
	} {
		in, sets := data, []string{c.set}
		if c.yml != "" {
			in, sets = []byte(c.yml), nil
		}
		_, err := ParseScenario(in, sets, nil)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidParams || ae.Field != c.field || !strings.Contains(ae.Msg, c.msg) {
			t.Errorf("%q%q: got %v, want InvalidParams on %s", c.set, c.yml, err, c.field)
		}
	}
}
