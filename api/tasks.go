package api

import (
	"context"
	"errors"
	"io"
	"iter"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/pacing"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/lists"
)

// taskService implements TaskService: tasks and their lists from the store,
// status changes and live figures through the engine.
type taskService struct {
	pb.UnimplementedTaskServiceServer
	s *Server
}

// MaxRejected is how many refused entries an import's answer lists.
const MaxRejected = 1000

// MaxListText is the most list text an import in the telphone JSON format
// may carry (it is parsed whole).
const MaxListText = 256 << 20

// numbers converts numbers of a request, normalising their phones to E.164
// where they parse (the store refuses the others, naming the field).
func numbers(in []*pb.Number) []records.Number {
	out := make([]records.Number, len(in))
	for i, n := range in {
		out[i] = engineNumber(n)
		normalizeNumber(&out[i])
	}
	return out
}

func normalizeNumber(n *records.Number) {
	if p, err := lists.Normalize(n.Phone, ""); err == nil {
		n.Phone = p
	}
	for j, a := range n.Alternatives {
		if p, err := lists.Normalize(a, ""); err == nil {
			n.Alternatives[j] = p
		}
	}
}

func (h *taskService) CreateTask(ctx context.Context, req *pb.CreateTaskRequest) (*pb.CreateTaskResponse, error) {
	st := h.s.cfg.Store
	tenant := TenantFrom(ctx)
	if _, err := st.GetQueue(tenant, records.QueueID(req.GetTask().GetQueueId())); err != nil {
		var e *apierr.Error
		if errors.As(err, &e) {
			e2 := *e
			e2.Field = "task.queue_id"
			return nil, &e2
		}
		return nil, err
	}
	t := storeTask(tenant, req.GetTask(), h.s.cfg.Now())
	// The engine's own checks, before anything is stored, so that no task
	// is stored that the engine refuses.
	check := t.EngineSpec()
	check.ID = 1
	if err := check.Normalize(); err != nil {
		return nil, err
	}
	if err := st.CreateTask(&t); err != nil {
		return nil, err
	}
	if eng := h.s.cfg.Engine; eng != nil {
		spec := t.EngineSpec() // with the calling window the engine checks
		if err := eng.Submit(ctx, engine.Event{At: h.s.cfg.Now(), Kind: engine.EvCreateTask, Task: spec.ID, TaskSpec: &spec}); err != nil {
			return nil, err
		}
	}
	res, err := st.ImportNumbers(t.Spec.ID, numbers(req.GetNumbers()))
	if err != nil {
		return nil, err
	}
	return &pb.CreateTaskResponse{Task: pbTask(&t), Result: pbImportResult(&res, MaxNumbers)}, nil
}

func (h *taskService) AddNumbers(ctx context.Context, req *pb.AddNumbersRequest) (*pb.AddNumbersResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	res, err := h.s.cfg.Store.ImportNumbers(records.TaskID(req.GetTaskId()), numbers(req.GetNumbers()))
	if err != nil {
		return nil, err
	}
	return &pb.AddNumbersResponse{Result: pbImportResult(&res, MaxNumbers)}, nil
}

func (h *taskService) RemoveNumbers(ctx context.Context, req *pb.RemoveNumbersRequest) (*pb.RemoveNumbersResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	phones, err := normalize("phones", req.GetPhones(), true)
	if err != nil {
		return nil, err
	}
	n, err := h.s.removeNumbers(ctx, records.TaskID(req.GetTaskId()), phones)
	if err != nil {
		return nil, err
	}
	return &pb.RemoveNumbersResponse{Removed: int64(n)}, nil
}

func (h *taskService) GetTask(ctx context.Context, req *pb.GetTaskRequest) (*pb.GetTaskResponse, error) {
	t, err := h.s.cfg.Store.GetTask(TenantFrom(ctx), records.TaskID(req.GetTaskId()))
	if err != nil {
		return nil, err
	}
	return &pb.GetTaskResponse{Task: pbTask(&t)}, nil
}

func (h *taskService) ListTasks(ctx context.Context, req *pb.ListTasksRequest) (*pb.ListTasksResponse, error) {
	ts, err := h.s.cfg.Store.ListTasks(TenantFrom(ctx))
	if err != nil {
		return nil, err
	}
	want := map[pb.TaskStatus]bool{}
	for _, s := range req.GetStatuses() {
		want[s] = true
	}
	out := &pb.ListTasksResponse{}
	for i := range ts {
		t := pbTask(&ts[i])
		if len(want) == 0 || want[t.Status] {
			out.Tasks = append(out.Tasks, t)
		}
	}
	return out, nil
}

// ImportNumbers reads the header, then numbers or list text, and imports
// them as they arrive: the store commits each chunk, so memory stays flat
// whatever the list's length (the telphone JSON format aside, which is
// parsed whole, up to MaxListText).
func (h *taskService) ImportNumbers(stream pb.TaskService_ImportNumbersServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return apierr.Invalid("header", "the first message of an import must be its header")
	}
	if hdr.GetTaskId() == 0 {
		return apierr.Invalid("header.task_id", "is required")
	}
	var v violations
	v.zone("header.tz", hdr.GetTz())
	v.text("header.client_token", hdr.GetClientToken(), 0, 128)
	if err := v.err(); err != nil {
		return err
	}
	if err := h.s.ownTask(ctx, hdr.GetTaskId()); err != nil {
		return err
	}
	if err := h.s.limiter.allow(TenantFrom(ctx)); err != nil {
		return err
	}
	if token := hdr.GetClientToken(); token != "" {
		return h.s.idem.stream(ctx, pb.TaskService_ImportNumbers_FullMethodName, token, hdr,
			func() (proto.Message, error) { return h.importNumbers(stream, hdr) },
			func() error { return drain(stream) }, func(m proto.Message) error {
				return stream.SendAndClose(m.(*pb.ImportNumbersResponse))
			})
	}
	resp, err := h.importNumbers(stream, hdr)
	if err != nil {
		return err
	}
	return stream.SendAndClose(resp)
}

// drain reads an import stream to its end without importing it.
func drain(stream pb.TaskService_ImportNumbersServer) error {
	for {
		if _, err := stream.Recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// importNumbers imports what follows the header.
func (h *taskService) importNumbers(stream pb.TaskService_ImportNumbersServer, hdr *pb.ImportHeader) (*pb.ImportNumbersResponse, error) {
	opt := lists.Options{TZ: hdr.GetTz()}
	var src iter.Seq2[records.Number, error]
	var lines *lineIndex // list text: where each entry stands
	switch hdr.GetFormat() {
	case pb.ListFormat_LIST_FORMAT_UNSPECIFIED:
		src = batchSource(stream, hdr.GetTz())
	case pb.ListFormat_LIST_FORMAT_LINES:
		r, err := lists.NewReader(&chunkReader{stream: stream}, opt)
		if err != nil {
			return nil, err
		}
		lines = &lineIndex{}
		entries := store.LinesSource(r)
		src = func(yield func(records.Number, error) bool) {
			for n, err := range entries {
				lines.add(r.Line())
				if !yield(n, err) {
					return
				}
			}
		}
	case pb.ListFormat_LIST_FORMAT_TELPHONE_JSON:
		text, err := io.ReadAll(io.LimitReader(&chunkReader{stream: stream}, MaxListText+1))
		if err != nil {
			return nil, err
		}
		if len(text) > MaxListText {
			return nil, apierr.Invalid("data", "telphone JSON is limited to %d bytes: send lines or numbers", MaxListText)
		}
		nums, bad, err := lists.ParseTelphone(text, opt)
		if err != nil {
			return nil, err
		}
		src = func(yield func(records.Number, error) bool) {
			for i := range bad {
				if !yield(records.Number{}, &bad[i]) {
					return
				}
			}
			for _, n := range nums {
				if !yield(n, nil) {
					return
				}
			}
		}
	default:
		return nil, apierr.Invalid("header.format", "unknown list format %d", hdr.GetFormat())
	}
	var streamErr error
	guarded := func(yield func(records.Number, error) bool) {
		for n, err := range src {
			var se *streamError
			if errors.As(err, &se) {
				streamErr = se.err
				return
			}
			if !yield(n, err) {
				return
			}
		}
	}
	res, err := h.s.cfg.Store.ImportStream(records.TaskID(hdr.GetTaskId()), guarded, nil)
	if streamErr != nil {
		return nil, streamErr
	}
	if err != nil {
		var se *streamError
		if errors.As(err, &se) {
			return nil, se.err
		}
		return nil, err
	}
	if lines != nil { // the entries refused are named by their line, from 1
		for _, l := range [][]store.Rejected{res.Invalid, res.Duplicates} {
			for i := range l {
				l[i].Index = lines.line(l[i].Index)
			}
		}
	}
	return &pb.ImportNumbersResponse{Result: pbImportResult(&res, MaxRejected)}, nil
}

// lineIndex maps the position of each entry of a list text to its line,
// keeping only the positions where the two part ways (after blank or
// comment lines), so that it stays small for a list of any length.
type lineIndex struct {
	from []int // entry positions where the offset below starts
	off  []int // line minus position, from there on
	n    int   // entries seen
}

// add notes that the next entry came from line.
func (x *lineIndex) add(line int) {
	if off := line - x.n; len(x.off) == 0 || x.off[len(x.off)-1] != off {
		x.from, x.off = append(x.from, x.n), append(x.off, off)
	}
	x.n++
}

// line returns the line of the entry at pos.
func (x *lineIndex) line(pos int) int {
	i := sort.SearchInts(x.from, pos+1) - 1
	if i < 0 {
		return pos + 1
	}
	return pos + x.off[i]
}

// streamError carries a failure of the import stream itself (not of one
// entry) through the store's source.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

// batchSource yields the numbers of NumberBatch messages until the client
// closes its side.
func batchSource(stream pb.TaskService_ImportNumbersServer, tz string) iter.Seq2[records.Number, error] {
	return func(yield func(records.Number, error) bool) {
		for {
			m, err := stream.Recv()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(records.Number{}, &streamError{err})
				return
			}
			b := m.GetNumbers()
			if b == nil {
				yield(records.Number{}, &streamError{apierr.Invalid("numbers", "an import without a format carries number batches only")})
				return
			}
			if len(b.GetNumbers()) > MaxNumbers {
				yield(records.Number{}, &streamError{apierr.Invalid("numbers.numbers", "at most %d numbers a message, got %d", MaxNumbers, len(b.GetNumbers()))})
				return
			}
			for _, pn := range b.GetNumbers() {
				n := engineNumber(pn)
				normalizeNumber(&n)
				if n.TZ == "" {
					n.TZ = tz
				}
				if !yield(n, nil) {
					return
				}
			}
		}
	}
}

// chunkReader reads the data messages of an import stream as one text.
type chunkReader struct {
	stream pb.TaskService_ImportNumbersServer
	buf    []byte
	err    error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		m, err := r.stream.Recv()
		switch {
		case err == io.EOF:
			r.err = io.EOF
		case err != nil:
			r.err = &streamError{err}
		case m.GetHeader() != nil || m.GetNumbers() != nil:
			r.err = &streamError{apierr.Invalid("data", "an import of list text carries data messages only")}
		default:
			r.buf = m.GetData()
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

var statusEvents = map[pb.TaskStatus]engine.EventKind{
	pb.TaskStatus_TASK_STATUS_RUNNING: engine.EvStartTask,
	pb.TaskStatus_TASK_STATUS_PAUSED:  engine.EvPauseTask,
	pb.TaskStatus_TASK_STATUS_ENDED:   engine.EvEndTask,
}

func (h *taskService) SetTaskStatus(ctx context.Context, req *pb.SetTaskStatusRequest) (*pb.SetTaskStatusResponse, error) {
	id := records.TaskID(req.GetTaskId())
	if t, err := h.s.cfg.Store.GetTask(TenantFrom(ctx), id); err != nil {
		return nil, err
	} else if t.Status == records.TaskEnded {
		return nil, apierr.New(apierr.TaskOver, "task %d has ended", id)
	}
	if err := h.s.submit(ctx, engine.Event{Kind: statusEvents[req.GetStatus()], Task: id}); err != nil {
		return nil, err
	}
	t, err := h.s.cfg.Store.GetTask(TenantFrom(ctx), id)
	if err != nil {
		return nil, err
	}
	return &pb.SetTaskStatusResponse{Task: pbTask(&t)}, nil
}

func (h *taskService) GetTaskStats(ctx context.Context, req *pb.GetTaskStatsRequest) (*pb.GetTaskStatsResponse, error) {
	t, err := h.s.cfg.Store.GetTask(TenantFrom(ctx), records.TaskID(req.GetTaskId()))
	if err != nil {
		return nil, err
	}
	snap, err := h.s.snapshot()
	if err != nil {
		return nil, err
	}
	// A task the snapshot does not show yet (created since, or ended) has
	// its stored status and nothing live.
	st, ok := snap.Tasks[t.Spec.ID]
	if !ok {
		st.Status = t.Status
	}
	target := t.Spec.Pacing.AbandonTarget
	if target == 0 {
		target = pacing.DefaultAbandonTarget
	}
	out := &pb.TaskStats{
		TaskId: uint64(t.Spec.ID), Status: pb.TaskStatus(st.Status), Time: ts(snap.At),
		CallsRinging: int32(st.Ringing), CallsWaiting: int32(st.Waiting),
		LiveAnswers: st.LiveAnswers, Abandoned: st.Abandoned, Connected: st.LiveAnswers - st.Abandoned - int64(st.Waiting),
		AbandonRate: st.AbandonRate, AbandonRateWindow: st.WindowAbandonRate, AbandonTarget: target, DialLevel: st.Level,
		Dials: st.Dials,
	}
	nc, err := h.s.cfg.Store.CountNumbers(t.Spec.ID)
	if err != nil {
		return nil, err
	}
	out.NumbersPending, out.NumbersDialing = nc.Pending, nc.Dialing
	out.NumbersDone, out.NumbersSkipped = nc.Done, nc.Skipped
	if q, ok := snap.Queues[t.Spec.Queue]; ok {
		out.AgentsLoggedIn, out.AgentsIdle = int32(q.LoggedIn), int32(q.Idle)
		out.AgentsBusy, out.AgentsPaused = int32(q.Busy), int32(q.Paused)
		if q.LoggedInTime > 0 {
			out.Occupancy = q.BusyTime.Seconds() / q.LoggedInTime.Seconds()
		}
	}
	return &pb.GetTaskStatsResponse{Stats: out}, nil
}
