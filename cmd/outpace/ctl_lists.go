package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/ctl"
	"github.com/outpace-dev/outpace/ctl/top"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

func ctlBlacklistCmd(f *ctlFlags) *cobra.Command {
	var task uint64
	c := &cobra.Command{Use: "blacklist", Short: "Manage do-not-call lists: the tenant's (default) or a task's (--task)", Args: cobra.NoArgs,
		Example: `  outpace ctl blacklist add +14155550123
  outpace ctl blacklist check --task 1 +14155550123
  outpace ctl blacklist list --all`}
	c.PersistentFlags().Uint64Var(&task, "task", 0, "the task whose list to use (default: the tenant's list, which holds for every task)")
	var after string
	var pageSize int32
	var all bool
	list := &cobra.Command{Use: "list", Short: "List a blacklist in phone order, a page at a time", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error {
			return a.BlacklistList(ctx, task, after, pageSize, all)
		})}
	list.Flags().StringVar(&after, "after", "", "phones after this one (the previous page's last)")
	list.Flags().Int32Var(&pageSize, "page-size", 0, "phones a page, 1–1000 (default 100)")
	list.Flags().BoolVar(&all, "all", false, "every page")
	c.AddCommand(
		&cobra.Command{Use: "add PHONE...", Short: "Add phones (more than one: all or none)", Args: cobra.MinimumNArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				return a.BlacklistAdd(ctx, task, args, f.clientToken)
			})},
		&cobra.Command{Use: "remove PHONE...", Aliases: []string{"delete"}, Short: "Remove phones", Args: cobra.MinimumNArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				return a.BlacklistRemove(ctx, task, args, f.clientToken)
			})},
		&cobra.Command{Use: "check PHONE", Short: "Say whether a phone may not be called", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				return a.BlacklistCheck(ctx, task, args[0])
			})},
		list,
	)
	return c
}

func ctlSchedulesCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "schedules", Aliases: []string{"schedule"}, Short: "Schedule callbacks, respool numbers, remove contacts", Args: cobra.NoArgs}
	var from, to string
	rng := func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&from, "from", "", "due at or after this time")
		cmd.Flags().StringVar(&to, "to", "", "due before this time")
	}
	times := func() (time.Time, time.Time, error) {
		now := time.Now()
		a, err := ctl.ParseTime("--from", from, now)
		if err != nil {
			return a, a, err
		}
		b, err := ctl.ParseTime("--to", to, now)
		return a, b, err
	}
	var cb pb.ScheduleCallbackRequest
	var at string
	add := &cobra.Command{Use: "add TASK PHONE [--at TIME]", Short: "Schedule a callback of a phone in a task (added when the task lacks it)", Args: cobra.ExactArgs(2),
		Example: `  outpace ctl schedules add 1 +14155550123 --at "2026-12-08 10:30"`,
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			id, err := taskArg(args)
			if err != nil {
				return err
			}
			t, err := ctl.ParseTime("--at", at, time.Now())
			if err != nil {
				return err
			}
			cb.TaskId, cb.Phone, cb.ClientToken = id, args[1], f.clientToken
			cb.Time = ctl.Timestamp(t)
			return a.ScheduleAdd(ctx, &cb)
		})}
	add.Flags().StringVar(&at, "at", "", "when to call (default now)")
	add.Flags().StringSliceVar(&cb.Alternatives, "alt", nil, "replace the number's alternative phones")
	add.Flags().StringToStringVar(&cb.Data, "data", nil, "merged into the number's data, k=v")
	add.Flags().Int32Var(&cb.Priority, "priority", 0, "priority of a number the callback creates")
	add.Flags().StringVar(&cb.Tz, "tz", "", "time zone of a number the callback creates")
	list := &cobra.Command{Use: "list TASK", Short: "List a task's pending callbacks", Args: cobra.ExactArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			id, err := taskArg(args)
			if err != nil {
				return err
			}
			a1, b1, err := times()
			if err != nil {
				return err
			}
			return a.ScheduleList(ctx, id, a1, b1)
		})}
	rng(list)
	var phone string
	remove := &cobra.Command{Use: "remove TASK [--phone PHONE] [--from T] [--to T]", Short: "Remove a task's pending callbacks in a range", Args: cobra.ExactArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			id, err := taskArg(args)
			if err != nil {
				return err
			}
			a1, b1, err := times()
			if err != nil {
				return err
			}
			return a.ScheduleRemove(ctx, id, phone, a1, b1, f.clientToken)
		})}
	rng(remove)
	remove.Flags().StringVar(&phone, "phone", "", "only this phone's callbacks")
	var rs pb.RespoolRequest
	respool := &cobra.Command{Use: "respool TASK PHONE", Short: "Put a number back in its task's list now, its attempts counted afresh", Args: cobra.ExactArgs(2),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			id, err := taskArg(args)
			if err != nil {
				return err
			}
			rs.TaskId, rs.Phone, rs.ClientToken = id, args[1], f.clientToken
			return a.Respool(ctx, &rs)
		})}
	respool.Flags().StringSliceVar(&rs.Alternatives, "alt", nil, "replace the alternative phones")
	respool.Flags().Int32Var(&rs.Priority, "priority", 0, "new priority")
	respool.Flags().StringToStringVar(&rs.Data, "data", nil, "merged into the number's data, k=v")
	c.AddCommand(add, list, remove, respool,
		&cobra.Command{Use: "remove-contact TASK PHONE", Short: "Remove a phone from a task's list", Args: cobra.ExactArgs(2),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := taskArg(args)
				if err != nil {
					return err
				}
				return a.RemoveContact(ctx, id, args[1], f.clientToken)
			})},
	)
	return c
}

func ctlRecordsCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "records", Aliases: []string{"record", "cdr"}, Short: "Search call records", Args: cobra.NoArgs}
	var req pb.SearchRecordsRequest
	var from, to, sync string
	var results []int
	var all bool
	search := &cobra.Command{Use: "search [filters]", Short: "Search call records, a page at a time (--all follows the cursor)",
		Long: `search returns call records in start time order. Unless --peek is given, the
records returned are marked pulled, and by default (--sync not-pulled) a search
returns only records no search returned before: run it again for the next
ones, as a billing export does. --sync all returns every record.

A page holds --page-size records (default 10, at most 1000); the cursor of the
next page is printed on standard error ("--after X"), or --all follows it to
the end.`,
		Example: `  outpace ctl records search --task 1 --sync all --page-size 20
  outpace ctl records search --from -1h --result 1 --all --peek
  outpace ctl records search --called +14155550123 --sync all --json`,
		Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error {
			now := time.Now()
			t1, err := ctl.ParseTime("--from", from, now)
			if err != nil {
				return err
			}
			t2, err := ctl.ParseTime("--to", to, now)
			if err != nil {
				return err
			}
			req.From = ctl.Timestamp(t1)
			req.To = ctl.Timestamp(t2)
			if req.SyncFlag, err = ctl.ParseSyncFlag(sync); err != nil {
				return err
			}
			for _, r := range results {
				req.Results = append(req.Results, int32(r))
			}
			return a.RecordSearch(ctx, &req, all)
		})}
	fl := search.Flags()
	fl.StringVar(&from, "from", "", "start time at or after (RFC 3339, \"2006-01-02 15:04\" or -2h)")
	fl.StringVar(&to, "to", "", "start time before")
	fl.Uint64Var(&req.TaskId, "task", 0, "records of this task")
	fl.Uint64Var(&req.NumberId, "number", 0, "records of this number id")
	fl.StringVar(&req.Called, "called", "", "records of this called phone")
	fl.Uint32Var(&req.AgentId, "agent", 0, "records of calls this agent took")
	fl.IntSliceVar(&results, "result", nil, "callresults: 0 no live answer, 1 abandoned, 2 connected (repeatable)")
	fl.StringVar(&sync, "sync", "", "not-pulled (default), pulled or all")
	fl.StringVar(&req.SearchAfter, "after", "", "the cursor a previous page printed")
	fl.Int32Var(&req.PageSize, "page-size", 0, "records a page, 1–1000 (default 10)")
	fl.BoolVar(&req.Peek, "peek", false, "leave the records' pulled flag as it is")
	fl.BoolVar(&all, "all", false, "follow the cursor to the last page")
	c.AddCommand(search,
		&cobra.Command{Use: "get CALL", Short: "Show the record of one call", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := uintArg(args[0], "call id", 64)
				if err != nil {
					return err
				}
				return a.RecordGet(ctx, id)
			})},
	)
	return c
}

func ctlCampaignCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "campaign", Short: "Show the live figures of queues and the tasks dialing for them", Args: cobra.NoArgs}
	var queue uint32
	status := &cobra.Command{Use: "status [--queue ID]", Short: "Show queues' full figures (one queue with its agents)", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.CampaignStatus(ctx, queue) })}
	status.Flags().Uint32Var(&queue, "queue", 0, "one queue, with its agents")
	c.AddCommand(
		&cobra.Command{Use: "summary", Short: "One line per queue", Args: cobra.NoArgs,
			RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.CampaignSummary(ctx) })},
		status,
	)
	return c
}

func ctlEventsCmd(f *ctlFlags) *cobra.Command {
	var o ctl.EventsOptions
	c := &cobra.Command{Use: "events [--task ID] [--agent ID] [--kind K] [--from SEQ]",
		Short: "Follow the live event stream, one line (or JSON object) per event",
		Long: `events prints the tenant's live events as they happen: call, party and agent
events, errors, the pacer's decisions (its level, the calls it placed and the
estimates behind them) and task status changes; decisions and status changes
come only with --kind pacing and --kind task. It follows the stream until interrupted; when the
connection breaks it subscribes again from the event after the last one
printed, so nothing is lost. --from SEQ starts at an earlier sequence number
(0 = from now on); each line starts with the event's number.`,
		Example: `  outpace ctl events --task 1
  outpace ctl events --kind pacing --json | jq .pacing.level
  outpace ctl events --from 1200 --limit 100`,
		Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.Events(ctx, o) }),
	}
	tasks := c.Flags().UintSlice("task", nil, "only events of these tasks (agent events name no task: --agent selects them)")
	c.Flags().StringSliceVar(&o.Kinds, "kind", nil, "only events of these kinds: "+strings.Join(ctl.EventKinds(), ", "))
	c.Flags().Uint64Var(&o.From, "from", 0, "first sequence number (0 = from now on)")
	c.Flags().IntVar(&o.Limit, "limit", 0, "stop after this many events (0 = follow)")
	agents := c.Flags().UintSlice("agent", nil, "only events of these agents")
	c.PreRun = func(*cobra.Command, []string) {
		for _, v := range *tasks {
			o.Tasks = append(o.Tasks, uint64(v))
		}
		for _, v := range *agents {
			o.Agents = append(o.Agents, uint32(v))
		}
	}
	return c
}

func ctlTopCmd(f *ctlFlags) *cobra.Command {
	var o top.Options
	c := &cobra.Command{Use: "top [--task ID]",
		Short: "A live wallboard of the tasks: agents, calls, occupancy, abandon rate, dial level",
		Long: `top shows, per task, its agents by state (ready, busy, wrap-up, not ready), the
calls ringing and waiting for an agent, the agents' occupancy, the abandon
rate since the task opened and over its rolling window against the target,
and the pacer's dial level. It reads one snapshot at start, then follows the
event stream (the pacer's decisions and the call and agent events); it does
not poll. q or Ctrl-C quits.`,
		Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return top.Run(ctx, a, o) }),
	}
	tasks := c.Flags().UintSlice("task", nil, "only these tasks (default: every task not ended)")
	c.PreRun = func(*cobra.Command, []string) {
		for _, v := range *tasks {
			o.Tasks = append(o.Tasks, uint64(v))
		}
	}
	return c
}
