package ctl

import (
	"context"
	"io"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// CallHangup ends every leg of a call in progress.
func (a *App) CallHangup(ctx context.Context, id uint64, clientToken string) error {
	r, err := call(ctx, a, a.CallService.HangupCall, &pb.HangupCallRequest{CallId: id, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "call %d: hangup sent", id)
}

// DispositionSet records an agent's disposition of a call.
func (a *App) DispositionSet(ctx context.Context, id uint64, d *pb.Disposition, clientToken string) error {
	r, err := call(ctx, a, a.CallService.SetDisposition, &pb.SetDispositionRequest{CallId: id, Disposition: d, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "call %d: disposition recorded", id)
}

// DispositionGet prints a call's disposition.
func (a *App) DispositionGet(ctx context.Context, id uint64) error {
	r, err := call(ctx, a, a.CallService.GetDisposition, &pb.GetDispositionRequest{CallId: id})
	if err != nil {
		return err
	}
	d := r.GetDisposition()
	return a.show(r, func(w io.Writer) {
		row(w, "LEVEL1", "LEVEL2", "LEVEL3", "TAG", "AGENT", "AT", "RESCHEDULE", "COMMENT", "DATA")
		row(w, orDash(d.GetLevel1()), orDash(d.GetLevel2()), orDash(d.GetLevel3()), orDash(d.GetTag()), d.GetAgentId(),
			when(d.GetTime()), when(d.GetRescheduleTime()), orDash(d.GetComment()), kv(d.GetData()))
	})
}
