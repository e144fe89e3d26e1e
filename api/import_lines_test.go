package api_test

import (
	"testing"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// An import of list text names every refused entry by its line from 1,
// duplicates as well as bad lines, past blank lines too.
func TestImportNamesLines(t *testing.T) {
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
	text := "spring;+14155550111;;;;\n" + // 1
		"spring;+14155550111;;;;\n" + // 2: a duplicate
		"spring;garbage;;;;\n" + // 3: bad
		"\n" + // 4: blank
		"spring;+14155550112;;;;\n" + // 5
		"spring;+14155550111;;;;\n" // 6: a duplicate
	if err := stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Data{Data: []byte(text)}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range resp.GetResult().GetRejected() {
		got = append(got, r.GetIndex())
	}
	if res := resp.GetResult(); res.GetStored() != 2 || len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 6 {
		t.Fatalf("refused at lines %v, want [2 3 6]: %v", got, res)
	}
}
