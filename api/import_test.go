package api_test

import (
	"fmt"
	"testing"
	"time"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
)

// TestImportMillion streams a list of a million numbers through gRPC in
// the seed-001 line format, cut in 64 KiB messages: every number is
// stored, the first and the last are found, and the import answers once.
func TestImportMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a million numbers")
	}
	e := newEnv(t, nil, nil)
	ctx := e.login(t, "acme")
	task := e.createTask(t, ctx, "acme").GetTask().GetId()
	stream, err := pb.NewTaskServiceClient(e.conn).ImportNumbers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Header{Header: &pb.ImportHeader{
		TaskId: task, Format: pb.ListFormat_LIST_FORMAT_LINES}}}); err != nil {
		t.Fatal(err)
	}
	const n = 1_000_000
	phone := func(i int) string { return fmt.Sprintf("+1415%07d", 2000000+i) }
	start := time.Now()
	buf := make([]byte, 0, 64<<10)
	for i := range n {
		buf = fmt.Appendf(buf, "spring;%s;;;;\n", phone(i))
		if len(buf) > 64<<10-64 || i == n-1 {
			if err := stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Data{Data: buf}}); err != nil {
				t.Fatal(err)
			}
			buf = make([]byte, 0, 64<<10) // Send may keep the slice until it is written
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if res := resp.GetResult(); res.GetStored() != n || res.GetInvalidCount() != 0 || res.GetDuplicateCount() != 0 {
		t.Fatalf("result %v", res)
	}
	t.Logf("%d numbers in %v", n, time.Since(start).Round(time.Millisecond))
	for _, i := range []int{0, n - 1} {
		if _, err := e.st.FindNumber(records.TaskID(task), phone(i)); err != nil {
			t.Fatalf("number %d: %v", i, err)
		}
	}
}
