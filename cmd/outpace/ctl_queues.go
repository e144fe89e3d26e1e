package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/ctl"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// idArgs parses args[from:] as 32-bit ids.
func idArgs(args []string, what string) ([]uint32, error) {
	out := make([]uint32, len(args))
	for i, s := range args {
		v, err := uintArg(s, what, 32)
		if err != nil {
			return nil, err
		}
		out[i] = uint32(v)
	}
	return out, nil
}

func ctlQueuesCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "queues", Aliases: []string{"queue", "groups"}, Short: "Manage queues and extension groups, their members and sign-in", Args: cobra.NoArgs}
	var spec ctl.QueueSpec
	specFlags := func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&spec.Name, "name", "", "name, unique in the tenant")
		cmd.Flags().BoolVar(&spec.Group, "group", false, "an extension group rather than a queue")
		cmd.Flags().StringVar(&spec.Remark, "remark", "", "free text")
		cmd.Flags().StringVar(&spec.Strategy, "strategy", "", "ring strategy: longest-idle, fewest-calls, ring-all, round-robin, sequential, random, least-answered, priority")
	}
	create := &cobra.Command{Use: "create --name NAME", Short: "Create a queue or group", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error {
			return a.QueueCreate(ctx, spec, f.clientToken)
		})}
	specFlags(create)
	update := &cobra.Command{Use: "update QUEUE --name NAME", Short: "Change a queue's settings (members are kept)", Args: cobra.ExactArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			ids, err := idArgs(args, "queue id")
			if err != nil {
				return err
			}
			spec.ID = ids[0]
			return a.QueueUpdate(ctx, spec, f.clientToken)
		})}
	specFlags(update)
	var name string
	list := &cobra.Command{Use: "list [--name NAME]", Short: "List the tenant's queues and groups", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.QueueList(ctx, name) })}
	list.Flags().StringVar(&name, "name", "", "only the queue of this name")
	one := func(use, short string, fn func(ctx context.Context, a *ctl.App, q uint32) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				ids, err := idArgs(args, "queue id")
				if err != nil {
					return err
				}
				return fn(ctx, a, ids[0])
			})}
	}
	members := func(use, short string, add bool) *cobra.Command {
		return &cobra.Command{Use: use + " QUEUE AGENT...", Short: short, Args: cobra.MinimumNArgs(2),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				ids, err := idArgs(args, "id")
				if err != nil {
					return err
				}
				return a.QueueMembers(ctx, ids[0], ids[1:], add, f.clientToken)
			})}
	}
	pair := func(use, short string, fn func(ctx context.Context, a *ctl.App, q, ag uint32, rest []string) error, n int) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(n),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				ids, err := idArgs(args[:2], "id")
				if err != nil {
					return err
				}
				return fn(ctx, a, ids[0], ids[1], args[2:])
			})}
	}
	var statsAgent uint32
	stats := &cobra.Command{Use: "stats [QUEUE] [--agent ID]", Short: "Show members' states and figures (every queue by default)", Args: cobra.MaximumNArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			ids, err := idArgs(args, "queue id")
			if err != nil {
				return err
			}
			var q uint32
			if len(ids) == 1 {
				q = ids[0]
			}
			return a.QueueAgentStats(ctx, q, statsAgent)
		})}
	stats.Flags().Uint32Var(&statsAgent, "agent", 0, "only this agent")
	c.AddCommand(create, update, list,
		one("get QUEUE", "Show a queue with its members", func(ctx context.Context, a *ctl.App, q uint32) error { return a.QueueGet(ctx, q) }),
		one("delete QUEUE", "Delete a queue no task dials for", func(ctx context.Context, a *ctl.App, q uint32) error {
			return a.QueueDelete(ctx, q, f.clientToken)
		}),
		members("add-agents", "Make agents members of a queue", true),
		members("remove-agents", "Remove members from a queue", false),
		pair("sign-in QUEUE AGENT", "Sign a member in: it is offered the queue's calls while ready", func(ctx context.Context, a *ctl.App, q, ag uint32, _ []string) error {
			return a.QueueSign(ctx, q, ag, true, f.clientToken)
		}, 2),
		pair("sign-out QUEUE AGENT", "Sign a member out of a queue", func(ctx context.Context, a *ctl.App, q, ag uint32, _ []string) error {
			return a.QueueSign(ctx, q, ag, false, f.clientToken)
		}, 2),
		pair("show QUEUE AGENT busy|idle", "Show a member busy (offered no call) or idle in a queue", func(ctx context.Context, a *ctl.App, q, ag uint32, rest []string) error {
			return a.QueueAvailability(ctx, q, ag, rest[0], f.clientToken)
		}, 3),
		stats,
	)
	return c
}

func ctlAgentsCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "agents", Aliases: []string{"agent"}, Short: "Manage agents and carry their requests: login, ready, not ready, logout", Args: cobra.NoArgs}
	var ag pb.Agent
	agentFlags := func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&ag.Name, "name", "", "the agent's name or number")
		cmd.Flags().StringVar(&ag.Phone, "phone", "", "the phone the agent takes calls on (extension or SIP URI)")
		cmd.Flags().Int32Var(&ag.Priority, "priority", 0, "priority for the priority strategy (lower first)")
	}
	create := &cobra.Command{Use: "create --name NAME --phone PHONE", Short: "Create an agent", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.AgentCreate(ctx, &ag, f.clientToken) })}
	agentFlags(create)
	one := func(use, short string, fn func(ctx context.Context, a *ctl.App, id uint32) error) *cobra.Command {
		return &cobra.Command{Use: use + " AGENT", Short: short, Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				ids, err := idArgs(args, "agent id")
				if err != nil {
					return err
				}
				return fn(ctx, a, ids[0])
			})}
	}
	update := one("update", "Change an agent's name, phone and priority", func(ctx context.Context, a *ctl.App, id uint32) error {
		ag.Id = id
		return a.AgentUpdate(ctx, &ag, f.clientToken)
	})
	agentFlags(update)
	var reason int32
	request := func(what, short string) *cobra.Command {
		cmd := one(what, short, func(ctx context.Context, a *ctl.App, id uint32) error {
			return a.AgentRequest(ctx, id, what, reason, f.clientToken)
		})
		if what == "login" || what == "not-ready" {
			cmd.Flags().Int32Var(&reason, "reason", map[string]int32{"login": 0, "not-ready": 11}[what],
				"not-ready reason: 2 do not disturb, 4 after-call work, 11 rest break, 12–98 custom (login: 0 = ready)")
		}
		return cmd
	}
	c.AddCommand(create, update,
		&cobra.Command{Use: "list", Short: "List the tenant's agents", Args: cobra.NoArgs,
			RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.AgentList(ctx) })},
		one("get", "Show an agent", func(ctx context.Context, a *ctl.App, id uint32) error { return a.AgentGet(ctx, id) }),
		one("delete", "Delete a logged-out agent", func(ctx context.Context, a *ctl.App, id uint32) error {
			return a.AgentDelete(ctx, id, f.clientToken)
		}),
		one("status", "Show an agent's live state and device status code", func(ctx context.Context, a *ctl.App, id uint32) error {
			return a.AgentStatus(ctx, id)
		}),
		request("login", "Log an agent in, ready (or not ready with --reason)"),
		request("ready", "Make an agent ready for calls (ends after-call work)"),
		request("not-ready", "Make an agent not ready with a reason"),
		request("logout", "Log an agent out (after its call, if on one)"),
	)
	return c
}

func ctlCallsCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "calls", Aliases: []string{"call"}, Short: "Hang up calls and record dispositions", Args: cobra.NoArgs}
	callArg := func(args []string) (uint64, error) { return uintArg(args[0], "call id", 64) }
	var d pb.Disposition
	var reschedule string
	var rescheduleTask uint64
	dispo := &cobra.Command{Use: "dispose CALL --level1 L1 [--level2 L2] [--level3 L3]", Short: "Record an agent's disposition of a call, maybe with a callback",
		Args: cobra.ExactArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			id, err := callArg(args)
			if err != nil {
				return err
			}
			t, err := ctl.ParseTime("--reschedule", reschedule, time.Now())
			if err != nil {
				return err
			}
			d.RescheduleTime = ctl.Timestamp(t)
			d.RescheduleTaskId = rescheduleTask
			return a.DispositionSet(ctx, id, &d, f.clientToken)
		})}
	fl := dispo.Flags()
	fl.StringVar(&d.Level1, "level1", "", "level 1 (required)")
	fl.StringVar(&d.Level2, "level2", "", "level 2")
	fl.StringVar(&d.Level3, "level3", "", "level 3")
	fl.StringVar(&d.Tag, "tag", "", `tag written to the call record (default "l1|l2|l3")`)
	fl.StringVar(&d.Comment, "comment", "", "free comment")
	fl.StringToStringVar(&d.Data, "data", nil, "extra data k=v (repeatable)")
	fl.Uint32Var(&d.AgentId, "agent", 0, "the agent who recorded it")
	fl.StringVar(&reschedule, "reschedule", "", "call the number back at this time")
	fl.Uint64Var(&rescheduleTask, "reschedule-task", 0, "task to call back in (default the call's)")
	c.AddCommand(
		&cobra.Command{Use: "hangup CALL", Short: "End every leg of a call in progress", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := callArg(args)
				if err != nil {
					return err
				}
				return a.CallHangup(ctx, id, f.clientToken)
			})},
		dispo,
		&cobra.Command{Use: "disposition CALL", Short: "Show a call's disposition", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				id, err := callArg(args)
				if err != nil {
					return err
				}
				return a.DispositionGet(ctx, id)
			})},
	)
	return c
}
