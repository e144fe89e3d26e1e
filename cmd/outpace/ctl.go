package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/ctl"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// ctlFlags are the flags every ctl command shares.
type ctlFlags struct {
	opts        ctl.Options
	clientToken string
}

// run binds a ctl command: it connects, runs f until it returns or the
// process is interrupted, and closes.
func (f *ctlFlags) run(fn func(ctx context.Context, a *ctl.App, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := ctl.New(f.opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		defer a.Close()
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return fn(ctx, a, args)
	}
}

// uintArg parses a positional id of bits bits.
func uintArg(s, what string, bits int) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", what, s)
	}
	return v, nil
}

func ctlCmd() *cobra.Command {
	f := &ctlFlags{}
	c := &cobra.Command{
		Use:   "ctl COMMAND",
		Short: "Control a running server over its gRPC API: tasks, agents, lists, records, events",
		Long: `ctl is the client of the gRPC API that outpace serve offers: one command per
call, answers as tables, or as protojson with --json for scripts.

Log in once with an app id and access key; the token (valid 12 h) is kept in
the user's config directory (outpace/ctl.json, mode 0600) for the next
commands. --server and --token, or OUTPACE_SERVER and OUTPACE_TOKEN, override
it. An error prints the API's message, its stable number and every offending
field.`,
		Example: `  outpace ctl login --app demo-app --key "$OUTPACE_ACCESS_KEY"
  outpace ctl tasks list
  outpace ctl tasks status 1 pause
  outpace ctl blacklist add +14155550123
  outpace ctl records search --task 1 --sync all --page-size 20
  outpace ctl events --kind agent --json
  outpace ctl top`,
		Args: cobra.NoArgs,
	}
	pf := c.PersistentFlags()
	pf.StringVar(&f.opts.Server, "server", "", "API address host:port (default $"+ctl.EnvServer+", the login's server, else "+ctl.DefaultServer+")")
	pf.StringVar(&f.opts.Token, "token", "", "bearer token (default $"+ctl.EnvToken+", else the saved login's)")
	pf.BoolVar(&f.opts.TLS, "tls", false, "dial with TLS (verified against the system's roots)")
	pf.BoolVar(&f.opts.JSON, "json", false, "print answers as protojson (streams as JSON lines)")
	pf.DurationVar(&f.opts.Timeout, "timeout", 30*time.Second, "deadline of each call")
	pf.StringVar(&f.clientToken, "client-token", "", "idempotency token of a change: a repeat within 7 days changes nothing")
	c.AddCommand(
		ctlLoginCmd(f), ctlLogoutCmd(f), ctlWhoAmICmd(f),
		ctlTenantsCmd(f),
		ctlTasksCmd(f), ctlImportCmd(f),
		ctlQueuesCmd(f), ctlAgentsCmd(f), ctlCallsCmd(f),
		ctlBlacklistCmd(f), ctlSchedulesCmd(f),
		ctlRecordsCmd(f), ctlCampaignCmd(f),
		ctlEventsCmd(f), ctlTopCmd(f),
	)
	return c
}

func ctlLoginCmd(f *ctlFlags) *cobra.Command {
	var app, key string
	var keyStdin bool
	c := &cobra.Command{
		Use:   "login --app ID [--key KEY | --key-stdin]",
		Short: "Log in with an app id and access key and keep the token",
		Long: `login exchanges an app id and its access key for a token valid 12 hours and
saves it with the server's address in the user's config directory
(outpace/ctl.json, mode 0600). The key comes from --key, OUTPACE_ACCESS_KEY
or, with --key-stdin, the first line of standard input.`,
		Example: `  outpace ctl login --app demo-app --key-stdin < demo.key
  OUTPACE_ACCESS_KEY=... outpace ctl login --app demo-app --server 10.0.0.5:7070`,
		Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error {
			k := key
			if keyStdin {
				var err error
				if k, err = ctl.ReadKey(os.Stdin); err != nil {
					return err
				}
			}
			if k == "" {
				k = os.Getenv("OUTPACE_ACCESS_KEY")
			}
			return a.Login(ctx, app, k)
		}),
	}
	c.Flags().StringVar(&app, "app", "", "app id")
	c.Flags().StringVar(&key, "key", "", "access key (default $OUTPACE_ACCESS_KEY)")
	c.Flags().BoolVar(&keyStdin, "key-stdin", false, "read the access key from standard input")
	return c
}

func ctlLogoutCmd(f *ctlFlags) *cobra.Command {
	return &cobra.Command{Use: "logout", Short: "Revoke the token and forget it", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.Logout(ctx) })}
}

func ctlWhoAmICmd(f *ctlFlags) *cobra.Command {
	return &cobra.Command{Use: "whoami", Short: "Show the tenant and expiry of the token in use", Args: cobra.NoArgs,
		RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.WhoAmI(ctx) })}
}

func ctlTenantsCmd(f *ctlFlags) *cobra.Command {
	c := &cobra.Command{Use: "tenants", Short: "Manage tenants and app credentials (administrative tenant only)", Args: cobra.NoArgs}
	var t pb.Tenant
	tenantFlags := func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&t.Name, "name", "", "display name")
		cmd.Flags().StringVar(&t.Tz, "tz", "", "IANA time zone of numbers whose prefix names none")
	}
	create := &cobra.Command{Use: "create ID [--name NAME] [--tz ZONE]", Short: "Create a tenant", Args: cobra.ExactArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			t.Id = args[0]
			return a.TenantCreate(ctx, &t, f.clientToken)
		})}
	tenantFlags(create)
	update := &cobra.Command{Use: "update ID [--name NAME] [--tz ZONE]", Short: "Change a tenant's name and time zone", Args: cobra.ExactArgs(1),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			t.Id = args[0]
			return a.TenantUpdate(ctx, &t, f.clientToken)
		})}
	tenantFlags(update)
	var key string
	setCred := &cobra.Command{Use: "set-credential TENANT APP [--key KEY]", Short: "Create or replace an app credential; prints its access key once",
		Args: cobra.ExactArgs(2),
		RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
			return a.CredentialSet(ctx, args[0], args[1], key, f.clientToken)
		})}
	setCred.Flags().StringVar(&key, "key", "", "access key, at least 16 bytes (default: the server draws one)")
	c.AddCommand(
		&cobra.Command{Use: "list", Short: "List every tenant", Args: cobra.NoArgs,
			RunE: f.run(func(ctx context.Context, a *ctl.App, _ []string) error { return a.TenantList(ctx) })},
		&cobra.Command{Use: "get ID", Short: "Show a tenant", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error { return a.TenantGet(ctx, args[0]) })},
		create, update, setCred,
		&cobra.Command{Use: "delete-credential APP", Short: "Delete an app credential; its tokens stop working", Args: cobra.ExactArgs(1),
			RunE: f.run(func(ctx context.Context, a *ctl.App, args []string) error {
				return a.CredentialDelete(ctx, args[0], f.clientToken)
			})},
	)
	return c
}
