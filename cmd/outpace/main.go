// Command outpace is the predictive dialer: the server, the simulator and the
// tools around them, as subcommands of one binary. Run `outpace --help`.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/apierr"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "outpace:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "outpace",
		Short: "A predictive dialer engine that proves its pacing in its own simulator",
		Long: `outpace places outbound calls for campaigns so that each answered call meets
a free agent, keeps the abandon rate under the legal cap, and lets you tune and
prove its pacing in a discrete-event simulator before going live.

Start with a simulation of one of the benchmark scenarios:

  outpace sim --scenario bench/scenarios/S3.yaml
  outpace sim --scenario bench/scenarios/S3.yaml --set task.pacing.mode=ratio --set task.pacing.ratio=1:2`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		serveCmd(),
		simCmd(),
		tuneCmd(),
		compareCmd(),
		boundCmd(),
		reportCmd(),
		importCmd(),
		ctlCmd(),
		backendCmd(),
	)
	return root
}

// flagError turns an InvalidParams error naming a field into one naming the
// flag of the same name ("--modes: unknown pacing mode ..."); other errors,
// and those naming a scenario field ("agents.count", never a flag's name),
// pass unchanged.
func flagError(err error) error {
	var e *apierr.Error
	if errors.As(err, &e) && e.Code == apierr.InvalidParams && e.Field != "" && !strings.Contains(e.Field, ".") {
		return fmt.Errorf("--%s: %s", e.Field, e.Msg)
	}
	return err
}
