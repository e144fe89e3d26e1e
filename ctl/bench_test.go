package ctl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/api/apitest"
	"github.com/outpace-dev/outpace/ctl"
)

// BenchmarkImport streams a list of 1 000 000 lines through gRPC into a new
// task of a loopback server on Badger, as `outpace ctl import` does, and
// reports numbers stored per second end to end.
func BenchmarkImport(b *testing.B) {
	const lines = 1000000
	e := apitest.Start(b, nil)
	var sb strings.Builder
	for i := range lines {
		fmt.Fprintf(&sb, "spring;+1415%07d;id=%d;;;\n", 2000000+i, i)
	}
	path := filepath.Join(b.TempDir(), "leads.txt")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	a, err := ctl.New(ctl.Options{Server: e.Addr, Token: e.Login(b, "acme"), ConfigPath: filepath.Join(b.TempDir(), "ctl.json"),
		Getenv: func(string) string { return "" }}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	var out strings.Builder
	a.Out, a.Err = &out, &out
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := a.TaskCreate(ctx, ctl.TaskSpec{Name: fmt.Sprint("bench", i), Queue: e.Queues["acme"]}, nil, ""); err != nil {
			b.Fatal(err)
		}
		out.Reset()
		b.StartTimer()
		if err := a.Import(ctx, ctl.ImportOptions{Task: uint64(i + 1), NoProgress: true}, path, nil); err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(out.String(), fmt.Sprintf("%d stored", lines)) {
			b.Fatalf("import: %s", out.String())
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "numbers/s")
}
