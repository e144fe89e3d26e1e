package main

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/ctl"
)

// taskArg parses the task id of args[0].
func taskArg(args []string) (uint64, error) { return uintArg(args[0], "task id", 64) }

func ctlTasksCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "tasks", Aliases: []string{"task"}, Short: "Create, list, open, pause and end tasks; add and remove numbers", Args: cobra.NoArgs}

	var spec ctl.TaskSpec
	create := &cobra.Command{Use: "create --name NAME --queue ID [--mode MODE] [PHONE...]",
		Short: "Create a task (not yet open) with up to 10 000 numbers",
		Example: `  outpace ctl tasks create --name spring --queue 1 --mode predictive +14155550100 +14155550101
  outpace ctl tasks create --name power --queue 1 --mode ratio --ratio 1:2`,
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			return a.TaskCreate(ctx, spec, args, f.clientToken)
		})}
	fl := create.Flags()
	fl.StringVar(&spec.Name, "name", "", "display name")
	fl.Uint32Var(&spec.Queue, "queue", 0, "queue (or group, with --group) whose agents take the calls")
	fl.BoolVar(&spec.Group, "group", false, "--queue is an extension group")
	fl.StringVar(&spec.Mode, "mode", "", "pacing mode: preview, progressive, ratio, predictive, agentless (default: the server's, progressive)")
	fl.StringVar(&spec.Ratio, "ratio", "", `with --mode ratio: "A:C", C calls in flight per A idle agents`)
	fl.Float64Var(&spec.AbandonTarget, "abandon-target", 0, "abandon target as a share of live answers (default 0.03)")
	fl.StringSliceVar(&spec.CallerIDs, "caller-id", nil, "caller-id pool, used round robin (repeatable)")
	fl.DurationVar(&spec.NoAnswer, "no-answer-timeout", 0, "how long a number rings (default 25s)")
	fl.DurationVar(&spec.Connect, "connect-deadline", 0, "how long a live answer waits for an agent (default 2s)")
	fl.DurationVar(&spec.ACW, "acw", 0, "after-call work expiry (default none)")
	fl.Float64Var(&spec.LinesPerAgent, "lines-per-agent", 0, "calls in flight plus waiting per logged-in agent (default 3)")

	var statuses []string
	list := &cobra.Command{Use: "list [--status S]", Short: "List the tenant's tasks", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.TaskList(ctx, statuses) })}
	list.Flags().StringSliceVar(&statuses, "status", nil, "only tasks of these statuses: new, running, paused, ended")

	status := func(use, short, to string) *cobra.Command {
		return &cobra.Command{Use: use + " TASK", Short: short, Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := taskArg(args)
				if err != nil {
					return err
				}
				return a.TaskStatus(ctx, id, to, f.clientToken)
			})}
	}

	var byID bool
	var at string
	explain := &cobra.Command{Use: "explain TASK PHONE", Short: "Say why a number is or is not dialable now, rule by rule", Args: cobra.ExactArgs(2),
		Example: `  outpace ctl tasks explain 1 +14155550123
  outpace ctl tasks explain 1 42 --id --at "2026-12-08 07:30"`,
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			id, err := taskArg(args)
			if err != nil {
				return err
			}
			t, err := ctl.ParseTime("--at", at, time.Now())
			if err != nil {
				return err
			}
			return a.TaskExplain(ctx, id, args[1], byID, t)
		})}
	explain.Flags().BoolVar(&byID, "id", false, "the second argument is a number id, not a phone")
	explain.Flags().StringVar(&at, "at", "", "judge at this time instead of now")

	c.AddCommand(create, list,
		&cobra.Command{Use: "get TASK", Short: "Show a task", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := taskArg(args)
				if err != nil {
					return err
				}
				return a.TaskGet(ctx, id)
			})},
		&cobra.Command{Use: "add TASK PHONE...", Short: "Add up to 10 000 numbers to a task (ctl import for more)", Args: cobra.MinimumNArgs(2),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := taskArg(args)
				if err != nil {
					return err
				}
				return a.TaskAdd(ctx, id, args[1:], f.clientToken)
			})},
		&cobra.Command{Use: "remove TASK PHONE...", Short: "Remove numbers from a task by phone", Args: cobra.MinimumNArgs(2),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := taskArg(args)
				if err != nil {
					return err
				}
				return a.TaskRemove(ctx, id, args[1:], f.clientToken)
			})},
		&cobra.Command{Use: "status TASK open|pause|end", Short: "Open (1), pause (2) or end (3) a task", Args: cobra.ExactArgs(2),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := taskArg(args)
				if err != nil {
					return err
				}
				return a.TaskStatus(ctx, id, args[1], f.clientToken)
			})},
		status("open", "Open a task: it dials while its calling window is open", "open"),
		status("pause", "Pause a task: no new call; calls in flight end normally", "pause"),
		status("resume", "Open a paused task again", "open"),
		status("end", "End a task for good", "end"),
		&cobra.Command{Use: "stats TASK", Short: "Show a task's live figures", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := taskArg(args)
				if err != nil {
					return err
				}
				return a.TaskStats(ctx, id)
			})},
		explain,
	)
	return c
}

func ctlImportCmd(f *ctlFlags) *cobra.Command {
	var o ctl.ImportOptions
	c := &cobra.Command{
		Use:   "import --task ID FILE",
		Short: "Stream a number list of any length into a task, with a progress bar",
		Long: `import streams a list file to the server, which stores it in chunks as it
arrives. Two formats are read:

  lines     campaign;number;k=v:k=v;alt1:alt2;priority;agentphone
            (one number a line; the campaign field is ignored)
  telphone  a JSON array of {"phone", "time", "userid", "memberid",
            "chengshudu", "customuuid"} entries

By default a file starting with '[' is telphone JSON, any other is lines.
The answer counts what was stored, the invalid entries and the duplicates,
and lists the first 1000 refused with their line number and reason. import
fails when the list gave the task nothing. FILE "-" reads standard input.`,
		Example: `  outpace ctl import --task 1 leads.txt
  outpace ctl import --task 1 --format telphone --tz America/Chicago leads.json`,
		Args: cobra.ExactArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			o.ClientToken = f.clientToken
			return a.Import(ctx, o, args[0], os.Stdin)
		}),
	}
	c.Flags().Uint64Var(&o.Task, "task", 0, "task to import into (required)")
	c.Flags().StringVar(&o.Format, "format", "", "list format: lines or telphone (default: from the file's first byte)")
	c.Flags().StringVar(&o.TZ, "tz", "", "time zone of the upload, for entries that name none (IANA name)")
	c.Flags().IntVar(&o.Chunk, "chunk", ctl.ImportChunk, "bytes per message (at most 4 MiB)")
	c.Flags().BoolVar(&o.NoProgress, "no-progress", false, "hide the progress bar")
	_ = c.MarkFlagRequired("task")
	return c
}
