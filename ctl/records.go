package ctl

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

var recordHeader = []any{"CALL", "TASK", "NUMBER", "CALLED", "AGENT", "START", "OUTCOME", "RESULT", "END", "RING", "WAIT", "TALK", "DISPOSITION"}

func recordRow(w io.Writer, r *pb.CallRecord) {
	result := map[int32]string{0: "no-live", 1: "abandoned", 2: "connected"}[r.GetResult()]
	end := "-"
	switch r.GetEndResult() {
	case 11:
		end = "customer"
	case 12:
		end = "agent"
	}
	row(w, r.GetCallId(), r.GetTaskId(), r.GetNumberId(), r.GetCalled(), r.GetAgentId(), when(r.GetStartTime()),
		EnumName(r.GetOutcome()), result, end, fmt.Sprintf("%ds", r.GetRingSeconds()), fmt.Sprintf("%ds", r.GetWaitSeconds()),
		fmt.Sprintf("%ds", r.GetTalkSeconds()), orDash(r.GetDisposition()))
}

// ParseSyncFlag reads "not-pulled", "pulled" or "all".
func ParseSyncFlag(s string) (pb.SyncFlag, error) {
	if s == "" {
		return 0, nil
	}
	v, err := ParseEnum(pb.SyncFlag(0).Descriptor(), "--sync", s)
	return pb.SyncFlag(v), err
}

// RecordSearch prints the call records req selects, one page, or every
// page from req's cursor on with all (each page then marks its records
// pulled unless req.Peek). The cursor of the next page is printed on
// standard error (a table) or is the last line's search_after (JSON
// lines, one page per line).
func (a *App) RecordSearch(ctx context.Context, req *pb.SearchRecordsRequest, all bool) error {
	// The table starts with the first page that arrives, so a request the
	// server refuses prints only its error.
	var tw *tabwriter.Writer
	total := 0
	for {
		r, err := call(ctx, a, a.RecordService.SearchRecords, req)
		if err != nil {
			if tw != nil {
				_ = tw.Flush()
			}
			return err
		}
		total += len(r.GetRecords())
		if tw == nil && !a.Opts.JSON {
			tw = tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
			row(tw, recordHeader...)
		}
		if tw != nil {
			for _, rec := range r.GetRecords() {
				recordRow(tw, rec)
			}
		} else if err := a.showLine(r); err != nil {
			return err
		}
		next := r.GetSearchAfter()
		if next == "" || !all {
			if tw != nil {
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(a.Err, "%d records", total)
				if next != "" {
					fmt.Fprintf(a.Err, "; next page: --after %s", next)
				}
				fmt.Fprintln(a.Err)
			}
			return nil
		}
		req.SearchAfter = next
	}
}

// RecordGet prints the record of one call.
func (a *App) RecordGet(ctx context.Context, id uint64) error {
	r, err := call(ctx, a, a.RecordService.GetRecord, &pb.GetRecordRequest{CallId: id})
	if err != nil {
		return err
	}
	rec := r.GetRecord()
	return a.show(r, func(w io.Writer) {
		row(w, "call", rec.GetCallId())
		row(w, "task / number", fmt.Sprintf("%d / %d", rec.GetTaskId(), rec.GetNumberId()))
		row(w, "called / caller id", fmt.Sprintf("%s / %s", rec.GetCalled(), orDash(rec.GetCallerId())))
		row(w, "agent / queue", fmt.Sprintf("%d / %d", rec.GetAgentId(), rec.GetQueueId()))
		row(w, "customer leg", fmt.Sprintf("start %s, ring %s, answer %s, end %s", when(rec.GetStartTime()), when(rec.GetRingTime()), when(rec.GetAnswerTime()), when(rec.GetEndTime())))
		row(w, "agent leg", fmt.Sprintf("start %s, ring %s, answer %s, end %s", when(rec.GetAgentStartTime()), when(rec.GetAgentRingTime()), when(rec.GetAgentAnswerTime()), when(rec.GetAgentEndTime())))
		row(w, "seconds", fmt.Sprintf("ring %d, wait %d, talk %d, total %d", rec.GetRingSeconds(), rec.GetWaitSeconds(), rec.GetTalkSeconds(), rec.GetTotalSeconds()))
		row(w, "outcome", fmt.Sprintf("%s, result %d, end result %d, machine %v", EnumName(rec.GetOutcome()), rec.GetResult(), rec.GetEndResult(), rec.GetMachine()))
		row(w, "causes", fmt.Sprintf("hangup %d, early %d", rec.GetHangupCause(), rec.GetEarlyCause()))
		row(w, "disposition", orDash(rec.GetDisposition()))
		row(w, "data", kv(rec.GetData()))
		row(w, "recording", orDash(rec.GetRecording()))
	})
}
