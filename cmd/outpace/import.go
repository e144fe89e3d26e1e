package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/lists"
)

func importCmd() *cobra.Command {
	var (
		data, tenant, campaign, tz, region string
		task                               uint64
		show                               int
	)
	c := &cobra.Command{
		Use:   "import --task ID FILE",
		Short: "Import a number list (seed-001 lines) into a task of the store",
		Long: `import streams a list of any size into a task, with a progress bar. Each line is

  campaign;number;k=v:k=v;alt1:alt2;priority;agentphone

(only campaign and number are required). Numbers are normalised to E.164
(national numbers with --region), their time zone comes from the line's upload
zone (--tz) or else from the number's prefix. A bad line is reported with its
line number and field and skipped; the good lines are kept. A phone the task
already has is reported as a duplicate and not stored twice.

The store must exist already, with the task (outpace serve creates the demo
one): import creates nothing, and a missing --data directory is an error. The
store must not be in use by a running server (Badger locks its directory).
FILE "-" reads standard input.

import exits with status 1 when the list gave the task nothing: no number
stored and none it already had (every line bad, blank or of another
campaign). A list whose numbers the task already has all is no error, so an
import can be run again after a crash.`,
		Example: `  outpace import --task 1 leads.txt
  outpace import --data /var/lib/outpace --tenant acme --task 7 --campaign spring --tz America/Sao_Paulo --region BR leads.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if show < 0 {
				return fmt.Errorf("--show must not be negative, got %d", show)
			}
			var in io.Reader = cmd.InOrStdin()
			var size int64 = -1
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				if fi, err := f.Stat(); err == nil {
					size = fi.Size()
				}
				in = f
			}
			st, err := store.Open(store.Config{Dir: data, Existing: true})
			if errors.Is(err, store.ErrNoStore) {
				return fmt.Errorf("--data %s: no store there to import into (outpace serve creates one with its demo campaign)", data)
			} else if err != nil {
				return err
			}
			defer st.Close()
			if _, err := st.GetTask(tenant, records.TaskID(task)); err != nil {
				return fmt.Errorf("--task %d of tenant %q: %w", task, tenant, err)
			}
			r, err := lists.NewReader(bufio.NewReaderSize(in, 1<<20), lists.Options{Campaign: campaign, TZ: tz, DefaultRegion: region, Now: time.Now()})
			if err != nil {
				return err
			}
			bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
				progressbar.OptionSetDescription("importing"), progressbar.OptionShowBytes(true),
				progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
			r.OnProgress(4096, func(s lists.Stats) { _ = bar.Set64(s.Bytes) })
			res, err := st.ImportStream(records.TaskID(task), store.LinesSource(r), nil)
			_ = bar.Finish()
			if err != nil {
				return err
			}
			s := r.Stats()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%d lines read: %d numbers stored, %d invalid, %d duplicates, %d of other campaigns\n",
				s.Lines, res.Stored, len(res.Invalid), len(res.Duplicates), s.Other)
			for i, rj := range res.Invalid {
				if i == show {
					fmt.Fprintf(out, "… and %d more invalid entries\n", len(res.Invalid)-show)
					break
				}
				fmt.Fprintf(out, "  entry %d: %v\n", rj.Index+1, rj.Err)
			}
			if res.Stored == 0 && len(res.Duplicates) == 0 {
				return fmt.Errorf("no number imported into task %d: %d lines read, %d invalid, %d of other campaigns, %d blank or comments",
					task, s.Lines, len(res.Invalid), s.Other, s.Blank)
			}
			return nil
		},
	}
	c.Flags().StringVar(&data, "data", "data", "Badger data directory")
	c.Flags().StringVar(&tenant, "tenant", demoTenant, "tenant that owns the task")
	c.Flags().Uint64Var(&task, "task", 0, "task to import into (required)")
	c.Flags().StringVar(&campaign, "campaign", "", "import only the lines of this campaign (default: every line)")
	c.Flags().StringVar(&tz, "tz", "", "time zone of the upload (IANA name, e.g. Europe/London); default: from each number's prefix")
	c.Flags().StringVar(&region, "region", "US", "region of national numbers (ISO 3166 code)")
	c.Flags().IntVar(&show, "show", 20, "how many invalid entries to list")
	_ = c.MarkFlagRequired("task")
	return c
}
