package sim

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/pacing"
)

func TestDbgCalib(t *testing.T) {
	if os.Getenv("OUTPACE_DBG") != "1" {
		t.Skip()
	}
	for _, name := range strings.Split(os.Getenv("OUTPACE_SCENARIOS"), ",") {
		pacing.DbgRisk, pacing.DbgN = 0, 0
		sc := loadFile(t, "../bench/scenarios/"+name+".yaml", "task.pacing.mode=predictive", "task.pacing.predictive.react=16s")
		r := run(t, sc)
		pred := pacing.DbgRisk / pacing.DbgN
		fmt.Printf("%-10s occ %.4f ab %.4f pred %.4f ratio %.2f\n", name, r.Occupancy, r.AbandonRate, pred, r.AbandonRate/pred)
	}
}
