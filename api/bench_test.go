package api_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/outpace-dev/outpace/api"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// BenchmarkUnary measures unary calls over loopback through the whole
// middleware chain (metrics, request id, logging, errors, recovery, token
// check, rate limit, validation), each a GetTask read from Badger, from
// parallel clients on one connection.
func BenchmarkUnary(b *testing.B) {
	e := newEnv(b, func(_ *env, c *api.Config) {
		c.Rate, c.Burst = 1e9, 1e9
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // info: successful calls are not logged
	}, nil)
	ctx := e.login(b, "acme")
	tasks := pb.NewTaskServiceClient(e.conn)
	created, err := tasks.CreateTask(ctx, &pb.CreateTaskRequest{Task: &pb.Task{Name: "bench", QueueId: e.queues["acme"]}})
	if err != nil {
		b.Fatal(err)
	}
	req := &pb.GetTaskRequest{TaskId: created.GetTask().GetId()}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tasks.GetTask(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
