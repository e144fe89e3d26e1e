package ctl_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/outpace-dev/outpace/api/apitest"
	"github.com/outpace-dev/outpace/ctl"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// syncBuffer is an output safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func phones(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("+1415%07d", 5550000+i))
	}
	return out
}

// A campaign driven through ctl's commands against the real runner with
// the simulated world: every engine-facing group, and the event stream
// followed across a server restart without losing an event.
func TestCampaignThroughCtl(t *testing.T) {
	e := apitest.Start(t, apitest.WithEngine(t, "acme", 3))
	ctx := context.Background()
	c := loggedIn(t, e, "acme", false)
	q := e.Queues["acme"]

	if err := c.TaskCreate(ctx, ctl.TaskSpec{Name: "spring", Queue: q, Mode: "progressive"}, phones(200), ""); err != nil {
		t.Fatal(err)
	}
	c.take()

	// Follow task 1's events as JSON lines from the first, across a restart.
	j := loggedIn(t, e, "acme", true)
	evOut, evErr := &syncBuffer{}, &syncBuffer{}
	j.Out, j.Err = evOut, evErr
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	followed := make(chan error, 1)
	go func() {
		followed <- j.Events(fctx, ctl.EventsOptions{EventFilter: ctl.EventFilter{Tasks: []uint64{1}, From: 1}})
	}()

	if err := c.TaskStatus(ctx, 1, "open", ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "running")

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: never\nevents:\n%s\n%s", what, evOut.String(), evErr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	released := func() int { return strings.Count(evOut.String(), `"CTI_NAME_RELEASED"`) }
	waitFor("a call released", func() bool { return released() >= 2 })
	e.Restart(t)
	before := released()
	waitFor("calls released after the restart", func() bool { return released() >= before+4 })
	mustContain(t, evErr.String(), "event stream broken", "event stream resumed")

	// Agents: list, status, a request and its effect.
	if err := c.AgentList(ctx); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "1001", "1002", "1003")
	ag := e.Agents[0]
	if err := c.AgentRequest(ctx, ag, "not-ready", 11, ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), fmt.Sprintf("agent %d: not-ready done", ag))
	waitFor("agent not ready", func() bool {
		_ = c.AgentStatus(ctx, ag)
		out := c.take()
		return strings.Contains(out, "not-ready") && strings.Contains(out, " 11 ")
	})
	if err := c.AgentRequest(ctx, ag, "ready", 0, ""); err != nil {
		t.Fatal(err)
	}
	c.take()

	// Live figures.
	if err := c.TaskStats(ctx, 1); err != nil {
		t.Fatal(err)
	}
	out := c.take()
	mustContain(t, out, "running", "3 logged in", "placed", " pending, ", " dialing, ", " done, ", " skipped")
	// The 200 numbers by state: each in exactly one, the end of the list
	// still pending.
	var pending, dialing, done, skipped int
	at := strings.Index(out, " pending, ")
	head := out[strings.LastIndexAny(out[:at], " \t\n")+1:]
	if _, err := fmt.Sscanf(head, "%d pending, %d dialing, %d done, %d skipped", &pending, &dialing, &done, &skipped); err != nil {
		t.Fatalf("numbers row of %q: %v", out, err)
	}
	if pending+dialing+done+skipped != 200 || pending == 0 {
		t.Fatalf("numbers %d pending, %d dialing, %d done, %d skipped: want 200 in all, some pending", pending, dialing, done, skipped)
	}
	if err := c.CampaignSummary(ctx); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "sales")
	if err := c.CampaignStatus(ctx, q); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "sales", "1001", "1003", "LAST CALL")

	// Queues and groups.
	if err := c.QueueCreate(ctx, ctl.QueueSpec{Name: "vip", Group: true, Remark: "key-accounts", Strategy: "ring-all"}, ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "vip", "group", "ring-all", "key-accounts")
	if err := c.QueueList(ctx, "vip"); err != nil {
		t.Fatal(err)
	}
	var vip uint32
	if _, err := fmt.Sscan(strings.Fields(strings.Split(c.take(), "\n")[1])[0], &vip); err != nil {
		t.Fatal(err)
	}
	if err := c.QueueMembers(ctx, vip, e.Agents[:2], true, ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), fmt.Sprintf("%d,%d", e.Agents[0], e.Agents[1]))
	if err := c.QueueMembers(ctx, vip, e.Agents[:1], false, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.QueueSign(ctx, vip, e.Agents[1], true, ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "signed in to queue")
	if err := c.QueueDelete(ctx, vip, ""); err != nil {
		t.Fatal(err)
	}
	c.take()

	// Pause and resume.
	if err := c.TaskStatus(ctx, 1, "pause", ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "paused")
	if err := c.TaskStatus(ctx, 1, "resume", ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "running")

	// Calls: a disposition on a record's call.
	waitFor("a connected call's record", func() bool {
		return c.RecordSearch(ctx, &pb.SearchRecordsRequest{TaskId: 1, Results: []int32{2}, SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, Peek: true, PageSize: 1}, false) == nil &&
			strings.Count(c.take(), "\n") >= 2
	})
	rj := loggedIn(t, e, "acme", true)
	if err := rj.RecordSearch(ctx, &pb.SearchRecordsRequest{TaskId: 1, Results: []int32{2}, SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, Peek: true, PageSize: 1}, false); err != nil {
		t.Fatal(err)
	}
	var page pb.SearchRecordsResponse
	if err := protojson.Unmarshal([]byte(rj.take()), &page); err != nil || len(page.GetRecords()) != 1 {
		t.Fatalf("record page: %v %v", &page, err)
	}
	call := page.GetRecords()[0].GetCallId()
	if err := c.DispositionSet(ctx, call, &pb.Disposition{Level1: "sale", Level2: "annual", AgentId: page.GetRecords()[0].GetAgentId()}, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.DispositionGet(ctx, call); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "disposition recorded", "sale", "annual")

	// Schedules.
	due := time.Now().Add(48 * time.Hour)
	if err := c.ScheduleAdd(ctx, &pb.ScheduleCallbackRequest{TaskId: 1, Phone: "+14155559999", Time: tsOf(due)}); err != nil {
		t.Fatal(err)
	}
	if err := c.ScheduleList(ctx, 1, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "callback of +14155559999 scheduled in task 1", "+14155559999")
	if err := c.ScheduleRemove(ctx, 1, "+14155559999", time.Time{}, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	// A number far down the list (200 numbers, 3 agents): not dialled yet.
	if err := c.TaskAdd(ctx, 1, []string{"+14155558888"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveContact(ctx, 1, "+14155558888", ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.take(), "1 callbacks removed", "1 stored", "+14155558888 removed from task 1")

	// The stream lost nothing: every sequence number once, in order, no
	// hole the filter does not explain (only task 1's events are asked
	// for, and agent events carry no task).
	stop()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	var last uint64
	for _, line := range strings.Split(strings.TrimSpace(evOut.String()), "\n") {
		var ev pb.Event
		if err := protojson.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event line %q: %v", line, err)
		}
		if ev.GetSeq() <= last {
			t.Fatalf("event %d after %d: repeated or out of order", ev.GetSeq(), last)
		}
		last = ev.GetSeq()
	}
}
