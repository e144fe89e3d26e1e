package ctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/outpace-dev/outpace/api/apitest"
	"github.com/outpace-dev/outpace/ctl"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
)

// client is one ctl invocation against a test server, with its own
// config file and no environment.
type client struct {
	*ctl.App
	out, err *bytes.Buffer
}

func newClient(t *testing.T, opts ctl.Options) *client {
	t.Helper()
	if opts.ConfigPath == "" {
		opts.ConfigPath = filepath.Join(t.TempDir(), "outpace", "ctl.json")
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	c := &client{out: &bytes.Buffer{}, err: &bytes.Buffer{}}
	var err error
	if c.App, err = ctl.New(opts, c.out, c.err); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// loggedIn is a client of tenant with a fresh token.
func loggedIn(t *testing.T, e *apitest.Env, tenant string, json bool) *client {
	return newClient(t, ctl.Options{Server: e.Addr, Token: e.Login(t, tenant), JSON: json})
}

// take returns what the client printed and forgets it.
func (c *client) take() string {
	s := c.out.String()
	c.out.Reset()
	return s
}

func mustContain(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("output lacks %q:\n%s", w, got)
		}
	}
}

func TestLoginSavesTokenForNextCommands(t *testing.T) {
	e := apitest.Start(t, nil)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cfg", "outpace", "ctl.json")

	c := newClient(t, ctl.Options{Server: e.Addr, ConfigPath: path})
	if err := c.Login(ctx, apitest.App("acme"), apitest.Key("acme")); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "tenant acme", path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v, want 0600", fi.Mode().Perm())
	}
	saved, err := ctl.LoadSaved(path)
	if err != nil || saved.Server != e.Addr || saved.Tenant != "acme" || saved.Token == "" {
		t.Fatalf("saved %+v, %v", saved, err)
	}

	// A later command finds server and token in the file.
	next := newClient(t, ctl.Options{ConfigPath: path})
	if err := next.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	mustContain(t, next.take(), "acme", "acme-app")

	// The environment overrides the file.
	other := e.Login(t, "globex")
	env := map[string]string{ctl.EnvServer: e.Addr, ctl.EnvToken: other}
	viaEnv := newClient(t, ctl.Options{ConfigPath: path, Getenv: func(k string) string { return env[k] }})
	if err := viaEnv.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	mustContain(t, viaEnv.take(), "globex")

	// Logout revokes the token and forgets it.
	if err := next.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("config file still there after logout: %v", err)
	}
	stale := newClient(t, ctl.Options{Server: e.Addr, Token: saved.Token, ConfigPath: path})
	err = stale.WhoAmI(ctx)
	var ce *ctl.Error
	if !errors.As(err, &ce) || ce.Code != codes.Unauthenticated || !strings.Contains(err.Error(), "ctl login") {
		t.Fatalf("revoked token: %v", err)
	}

	// Wrong credentials: the API's message and number, no Go error chain.
	err = newClient(t, ctl.Options{Server: e.Addr}).Login(ctx, apitest.App("acme"), "wrong-key-wrong-key")
	if !errors.As(err, &ce) || ce.Code != codes.Unauthenticated || strings.Contains(err.Error(), "rpc error") {
		t.Fatalf("bad login: %v", err)
	}
}

func TestTenantsAdminOnly(t *testing.T) {
	e := apitest.Start(t, nil)
	ctx := context.Background()
	admin := loggedIn(t, e, "admin", false)
	if err := admin.TenantCreate(ctx, &pb.Tenant{Id: "initech", Name: "Initech", Tz: "America/Chicago"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := admin.CredentialSet(ctx, "initech", "initech-app", "", ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, admin.take(), "initech", "America/Chicago", "initech-app")
	if err := admin.TenantList(ctx); err != nil {
		t.Fatal(err)
	}
	mustContain(t, admin.take(), "acme", "globex", "initech")

	err := loggedIn(t, e, "acme", false).TenantList(ctx)
	if ctl.Code(err) != codes.PermissionDenied {
		t.Fatalf("acme listing tenants: %v", err)
	}
}

func TestTasksTablesAndJSON(t *testing.T) {
	e := apitest.Start(t, nil)
	ctx := context.Background()
	c := loggedIn(t, e, "acme", false)
	spec := ctl.TaskSpec{Name: "spring", Queue: e.Queues["acme"], Mode: "predictive", AbandonTarget: 0.02}
	if err := c.TaskCreate(ctx, spec, []string{"+14155550100", "not a phone", "+14155550101"}, ""); err != nil {
		t.Fatal(err)
	}
	out := c.take()
	mustContain(t, out, "spring", "predictive", "2.00%", "2 stored, 1 invalid", "not a phone")

	if err := c.TaskAdd(ctx, 1, []string{"+14155550102", "+14155550100"}, ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "1 stored, 0 invalid, 1 duplicates")
	if err := c.TaskRemove(ctx, 1, []string{"+14155550102"}, ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "1 of 1 numbers removed from task 1")
	if err := c.TaskList(ctx, []string{"new"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "spring", "new")

	// --json prints protojson a script can read back.
	j := loggedIn(t, e, "acme", true)
	if err := j.TaskGet(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var got pb.GetTaskResponse
	if err := protojson.Unmarshal(j.out.Bytes(), &got); err != nil {
		t.Fatalf("--json output is no GetTaskResponse: %v\n%s", err, j.out)
	}
	if got.GetTask().GetName() != "spring" || got.GetTask().GetPacing().GetMode() != pb.PacingMode_PACING_MODE_PREDICTIVE {
		t.Fatalf("task read back %v", got.GetTask())
	}
	j.take()
	if err := j.TaskList(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(j.out.Bytes(), &m); err != nil {
		t.Fatalf("--json is no JSON: %v", err)
	}

	// Another tenant's task does not exist for acme.
	err := loggedIn(t, e, "globex", false).TaskGet(ctx, 1)
	var ce *ctl.Error
	if !errors.As(err, &ce) || ce.Code != codes.NotFound || ce.Number != "1024" {
		t.Fatalf("globex reading acme's task: %v", err)
	}
	mustContain(t, err.Error(), "[NOT_FOUND 1024 TaskNotExist]")
}

func TestFieldViolationsArePrinted(t *testing.T) {
	e := apitest.Start(t, nil)
	c := loggedIn(t, e, "acme", false)
	spec := ctl.TaskSpec{Name: "x", Queue: e.Queues["acme"], AbandonTarget: 1.5, LinesPerAgent: 99}
	err := c.TaskCreate(context.Background(), spec, nil, "")
	var ce *ctl.Error
	if !errors.As(err, &ce) || ce.Code != codes.InvalidArgument || ce.Number != "301018" || len(ce.Fields) != 2 {
		t.Fatalf("bad task: %#v", err)
	}
	msg := err.Error()
	for _, f := range ce.Fields {
		mustContain(t, msg, "\n  "+f.Field+": ")
	}
	mustContain(t, msg, "task.pacing.abandon_target", "INVALID_ARGUMENT 301018 InvalidParams")
	if strings.Contains(msg, "rpc error") || strings.Contains(msg, "goroutine") {
		t.Fatalf("error shows internals: %s", msg)
	}
	if _, err := ctl.ParseTaskStatus("sleep"); err == nil || !strings.Contains(err.Error(), "open (1)") {
		t.Fatalf("bad status word: %v", err)
	}
	if _, err := spec.Task(); err != nil {
		t.Fatal(err)
	}
	bad := ctl.TaskSpec{Mode: "fastest"}
	if _, err := bad.Task(); err == nil || !strings.Contains(err.Error(), "--mode") || !strings.Contains(err.Error(), "predictive") {
		t.Fatalf("bad mode: %v", err)
	}
}

func TestImportStreamsAFileWithBadLines(t *testing.T) {
	e := apitest.Start(t, nil)
	ctx := context.Background()
	c := loggedIn(t, e, "acme", false)
	if err := c.TaskCreate(ctx, ctl.TaskSpec{Name: "list", Queue: e.Queues["acme"]}, nil, ""); err != nil {
		t.Fatal(err)
	}
	c.take()
	var b strings.Builder
	const n = 5000
	for i := range n {
		switch i {
		case 10:
			b.WriteString("spring;12;;;;\n") // too short to be a phone
		case 20:
			b.WriteString("spring;+14155550000;;;high;\n") // bad priority
		default:
			fmt.Fprintf(&b, "spring;+1415%07d;name=c%d;;;\n", 5550000+i, i)
		}
	}
	path := filepath.Join(t.TempDir(), "leads.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// Small chunks, so that lines straddle messages.
	if err := c.Import(ctx, ctl.ImportOptions{Task: 1, Chunk: 4096}, path, nil); err != nil {
		t.Fatal(err)
	}
	out := c.take()
	mustContain(t, out, fmt.Sprintf("%d stored, 2 invalid, 0 duplicates", n-2), "LINE", "\n11 ", "\n21 ")
	if !strings.Contains(c.err.String(), "importing") {
		t.Fatalf("no progress bar on stderr: %q", c.err.String())
	}

	// Again, as telphone JSON from standard input: all duplicates, no error.
	tel := `[{"phone": "+14155550001", "userid": "u1"}, {"phone": "+14155550002"}]`
	if err := c.Import(ctx, ctl.ImportOptions{Task: 1, NoProgress: true}, "-", strings.NewReader(tel)); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "0 stored, 0 invalid, 2 duplicates")

	// Nothing usable: an error after the table.
	err := c.Import(ctx, ctl.ImportOptions{Task: 1, NoProgress: true}, "-", strings.NewReader("x;1;;;;\n"))
	if err == nil || !strings.Contains(err.Error(), "no number imported") {
		t.Fatalf("useless list: %v", err)
	}
	// Another tenant's task: the API's refusal.
	err = loggedIn(t, e, "globex", false).Import(ctx, ctl.ImportOptions{Task: 1, NoProgress: true}, path, nil)
	if ctl.Code(err) != codes.NotFound {
		t.Fatalf("import into another tenant's task: %v", err)
	}
}

func TestBlacklistAndRecords(t *testing.T) {
	e := apitest.Start(t, nil)
	ctx := context.Background()
	c := loggedIn(t, e, "acme", false)
	if err := c.TaskCreate(ctx, ctl.TaskSpec{Name: "spring", Queue: e.Queues["acme"]}, []string{"+14155550100"}, ""); err != nil {
		t.Fatal(err)
	}
	c.take()
	if err := c.BlacklistAdd(ctx, 0, []string{"+14155550123"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.BlacklistAdd(ctx, 1, []string{"+14155550124", "+14155550125"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.BlacklistCheck(ctx, 1, "+14155550123"); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "+14155550123 added to the tenant's blacklist", "2 phones added to task 1's blacklist",
		"+14155550123: BLACKLISTED for task 1")
	if err := c.BlacklistList(ctx, 1, "", 1, true); err != nil {
		t.Fatal(err)
	}
	if got := c.take(); got != "+14155550124\n+14155550125\n" {
		t.Fatalf("list of every page: %q", got)
	}
	if err := c.BlacklistRemove(ctx, 0, []string{"+14155550123"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.BlacklistCheck(ctx, 0, "+14155550123"); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "not blacklisted")
	err := c.BlacklistAdd(ctx, 0, []string{"12"}, "")
	var ce *ctl.Error
	if !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0].Field != "phone" {
		t.Fatalf("bad phone: %v", err)
	}

	// Records as the runner commits them; searched with a cursor.
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	var w records.Writes
	for i := range 5 {
		at := start.Add(time.Duration(i) * time.Minute)
		w.Records = append(w.Records, records.CallRecord{Call: records.CallID(100 + i), Tenant: "acme", Task: 1, Number: 1,
			Called: "+14155550100", Start: at, Answer: at.Add(5 * time.Second), AgentAnswer: at.Add(6 * time.Second),
			End: at.Add(40 * time.Second), Agent: 7, Outcome: records.OutcomeLive, Result: records.ResultBoth})
	}
	if _, err := e.Store.Commit(w, nil, nil); err != nil {
		t.Fatal(err)
	}
	// A refused search prints its error and no table.
	if err := c.RecordSearch(ctx, &pb.SearchRecordsRequest{TaskId: 1, PageSize: 5000}, false); err == nil {
		t.Fatal("page size 5000 accepted")
	}
	if out := c.take(); out != "" {
		t.Fatalf("a refused search printed %q", out)
	}
	req := &pb.SearchRecordsRequest{TaskId: 1, PageSize: 2, SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, Peek: true}
	if err := c.RecordSearch(ctx, req, false); err != nil {
		t.Fatal(err)
	}
	out := c.take()
	mustContain(t, out, "CALL", "100", "101", "connected", "34s")
	mustContain(t, c.err.String(), "2 records; next page: --after ")
	c.err.Reset()

	j := loggedIn(t, e, "acme", true)
	req = &pb.SearchRecordsRequest{TaskId: 1, PageSize: 2}
	if err := j.RecordSearch(ctx, req, true); err != nil {
		t.Fatal(err)
	}
	var calls []uint64
	for _, line := range strings.Split(strings.TrimSpace(j.take()), "\n") {
		var page pb.SearchRecordsResponse
		if err := protojson.Unmarshal([]byte(line), &page); err != nil {
			t.Fatalf("page %q: %v", line, err)
		}
		for _, r := range page.GetRecords() {
			calls = append(calls, r.GetCallId())
		}
	}
	if fmt.Sprint(calls) != "[100 101 102 103 104]" {
		t.Fatalf("every page: %v", calls)
	}
	// Pulled now: a second not-pulled search finds nothing.
	if err := j.RecordSearch(ctx, &pb.SearchRecordsRequest{TaskId: 1}, true); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(j.take()); got != "{}" {
		t.Fatalf("not pulled after a pull: %s", got)
	}
	if err := c.RecordGet(ctx, 102); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "talk 34", "live")
}

func TestUnreachableServer(t *testing.T) {
	c := newClient(t, ctl.Options{Server: "127.0.0.1:1", Token: "x", Timeout: 2 * time.Second})
	err := c.TaskList(context.Background(), nil)
	if ctl.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "cannot reach the server at 127.0.0.1:1") {
		t.Fatalf("unreachable: %v", err)
	}
}

func tsOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
