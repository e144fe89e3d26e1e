package top_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/api/apitest"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"google.golang.org/grpc/metadata"
)

// tmuxSession runs a command in a detached tmux session on a private
// server, sized w×h, and ends that server with the test.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T, w, h int, cmd string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install -y tmux)")
	}
	// A socket of its own, in a directory removed with the test.
	s := &tmuxSession{t: t, socket: filepath.Join(t.TempDir(), "tmux")}
	s.run("new-session", "-d", "-s", "top", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// alive says whether the session still runs.
func (s *tmuxSession) alive() bool {
	return exec.Command("tmux", "-S", s.socket, "has-session", "-t", "top").Run() == nil
}

// waitFor captures the pane until it shows every one of want.
func (s *tmuxSession) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var screen string
	for time.Now().Before(deadline) {
		if !s.alive() {
			s.t.Fatalf("the board ended; last screen:\n%s", screen)
		}
		screen = s.run("capture-pane", "-p", "-t", "top")
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(screen, w)
		}
		if ok {
			return screen
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("the board never showed %q:\n%s", want, screen)
	return ""
}

// eventsSeen reads the board's count of events.
func eventsSeen(t *testing.T, screen string) int {
	i := strings.Index(screen, " events ·")
	if i < 0 {
		t.Fatalf("no count of events:\n%s", screen)
	}
	f := strings.Fields(screen[:i])
	var n int
	fmt.Sscan(f[len(f)-1], &n)
	return n
}

// buildOutpace builds the outpace binary into a temporary directory.
func buildOutpace(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "outpace")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/outpace-dev/outpace/cmd/outpace").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestTopInTmux runs `outpace ctl top` in a real terminal against a real
// server, reads the board off the screen, sees a pause arrive from the
// stream and quits it with q.
func TestTopInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives a terminal")
	}
	e := apitest.Start(t, apitest.WithEngine(t, "acme", 3))
	token := e.Login(t, "acme")
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
	req := &pb.CreateTaskRequest{Task: &pb.Task{Name: "spring", QueueId: e.Queues["acme"],
		Pacing: &pb.Pacing{Mode: pb.PacingMode_PACING_MODE_PREDICTIVE, AbandonTarget: 0.03}}}
	for i := range 2000 {
		req.Numbers = append(req.Numbers, &pb.Number{Phone: fmt.Sprintf("+1415%07d", 5550000+i)})
	}
	tasks := pb.NewTaskServiceClient(e.Conn)
	if _, err := tasks.CreateTask(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: 1, Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	bin := buildOutpace(t)
	cmd := fmt.Sprintf("env XDG_CONFIG_HOME=%s HOME=%s %s ctl top --server %s --token %s",
		t.TempDir(), t.TempDir(), bin, e.Addr, token)
	s := newTmux(t, 140, 20, cmd)
	screen := s.waitFor("outpace top", "tenant acme", "stream live", "spring", "running", "TARGET", "3.0%")
	// The board follows the stream: its count of events grows, and every
	// agent of the team is on it in one state or another.
	first := eventsSeen(t, screen)
	for eventsSeen(t, screen) <= first {
		screen = s.waitFor("stream live")
	}
	var f []string
	for _, l := range strings.Split(screen, "\n") {
		if fs := strings.Fields(l); len(fs) > 7 && fs[0] == "1" {
			f = fs
		}
	}
	sum := 0
	for _, c := range f[3:7] {
		var n int
		fmt.Sscan(c, &n)
		sum += n
	}
	if sum != 3 {
		t.Fatalf("the team of 3 is not on the board:\n%s", screen)
	}
	t.Logf("the board:\n%s", screen)
	// A pause shows from the stream, with no key pressed.
	if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: 1, Status: pb.TaskStatus_TASK_STATUS_PAUSED}); err != nil {
		t.Fatal(err)
	}
	s.waitFor("spring", "paused", "PLACED")
	s.run("send-keys", "-t", "top", "q")
	deadline := time.Now().Add(10 * time.Second)
	for s.alive() {
		if time.Now().After(deadline) {
			t.Fatal("q did not quit the board")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
