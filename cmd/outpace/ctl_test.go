package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/outpace-dev/outpace/api/apitest"
	"github.com/outpace-dev/outpace/ctl"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// runCtl runs `outpace ctl args...` and returns its standard output.
func runCtl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := rootCmd()
	var out, errw bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errw)
	root.SetArgs(append([]string{"ctl"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestCtlCommandsBindTheirFlags(t *testing.T) {
	e := apitest.Start(t, nil)
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("HOME", cfg)
	t.Setenv("OUTPACE_SERVER", "")
	t.Setenv("OUTPACE_TOKEN", "")

	out, err := runCtl(t, "login", "--server", e.Addr, "--app", apitest.App("acme"), "--key", apitest.Key("acme"))
	if err != nil || !strings.Contains(out, "tenant acme") {
		t.Fatalf("login: %v\n%s", err, out)
	}
	path := filepath.Join(cfg, "outpace", "ctl.json")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved token %s: %v %v", path, fi, err)
	}
	// No --server: the login's.
	if out, err := runCtl(t, "tasks", "create", "--name", "spring", "--queue", fmt.Sprint(e.Queues["acme"]), "--mode", "ratio", "--ratio", "1:2", "+14155550100"); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	out, err = runCtl(t, "tasks", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list pb.ListTasksResponse
	if err := protojson.Unmarshal([]byte(out), &list); err != nil || len(list.GetTasks()) != 1 || list.GetTasks()[0].GetPacing().GetRatio() != "1:2" {
		t.Fatalf("tasks list --json: %v\n%s", err, out)
	}
	_, err = runCtl(t, "tasks", "create", "--name", "x", "--queue", fmt.Sprint(e.Queues["acme"]), "--lines-per-agent", "99")
	if err == nil || !strings.Contains(err.Error(), "task.max_lines_per_agent") || !strings.Contains(err.Error(), "301018") {
		t.Fatalf("bad task: %v", err)
	}
	if _, err := runCtl(t, "tasks", "get", "one"); err == nil || !strings.Contains(err.Error(), `task id: "one" is not a number`) {
		t.Fatalf("bad id: %v", err)
	}
	if out, err := runCtl(t, "blacklist", "add", "--task", "1", "+14155550123"); err != nil || !strings.Contains(out, "task 1's blacklist") {
		t.Fatalf("blacklist add: %v %s", err, out)
	}
}

func TestCtlEventsHelpListsEveryKind(t *testing.T) {
	out, err := runCtl(t, "events", "--help")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ctl.EventFilter{Kinds: []string{"bogus"}}.Request()
	if err == nil {
		t.Fatal("kind bogus accepted")
	}
	kinds := pb.EventKind(0).Descriptor().Values()
	for i := range kinds.Len() {
		v := kinds.Get(i)
		if v.Number() == 0 {
			continue
		}
		name := ctl.EnumName(pb.EventKind(v.Number()))
		if _, err := (ctl.EventFilter{Kinds: []string{name}}).Request(); err != nil {
			t.Errorf("kind %s: %v", name, err)
		}
		if !strings.Contains(out, name) || !strings.Contains(err.Error(), name) {
			t.Errorf("kind %s missing from the help or the error:\n%s\n%v", name, out, err)
		}
	}
	list := strings.Join(ctl.EventKinds(), ", ")
	if !strings.Contains(out, "kinds: "+list) || !strings.Contains(err.Error(), "(one of "+list+")") {
		t.Errorf("help and error list different kinds:\n%s\n%v", out, err)
	}
}
