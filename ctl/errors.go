package ctl

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is a failed call as a user reads it: the API's message, its stable
// number and the offending fields.
type Error struct {
	// Code is the gRPC code.
	Code codes.Code
	// Msg is the server's message.
	Msg string
	// Reason and Number are the ErrorInfo's reason ("InvalidParams") and
	// stable number (301018); empty and 0 when the server sent none.
	Reason string
	Number string
	// RequestID is the id to quote to the operator, when sent.
	RequestID string
	// Fields are the BadRequest's violations, in order.
	Fields []FieldViolation
	// Hint says what to do, for the failures a user can fix.
	Hint string
}

// FieldViolation is one offending field of a request.
type FieldViolation struct {
	Field, Reason, Description string
}

// Error prints the message, the code and number, and one line per
// offending field when the message does not already name the only one:
//
//	task.name: is required (and 1 more) [INVALID_ARGUMENT 301018 InvalidParams]
//	  task.name: is required
//	  task.pacing.abandon_target: must be in [0, 1)
func (e *Error) Error() string {
	var b strings.Builder
	msg := e.Msg
	// The server's message starts with the name and number the tags
	// repeat: "TaskNotExist(1024) task: task 9 does not exist".
	if e.Reason != "" && e.Number != "" {
		msg = strings.TrimPrefix(msg, e.Reason+"("+e.Number+") ")
	}
	fields := e.Fields
	if len(fields) == 1 && msg == fields[0].Field+": "+fields[0].Description {
		fields = nil // the message says it already
	}
	b.WriteString(msg)
	var tags []string
	if e.Code != codes.OK {
		tags = append(tags, codeName(e.Code))
	}
	if e.Number != "" {
		tags = append(tags, e.Number)
	}
	if e.Reason != "" {
		tags = append(tags, e.Reason)
	}
	if len(tags) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(tags, " "))
	}
	for _, f := range fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Description)
	}
	if e.Hint != "" {
		b.WriteString("\n" + e.Hint)
	}
	return b.String()
}

func codeName(c codes.Code) string {
	// codes.Code's String is "NotFound"; print the canonical name.
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// apiError turns the error of a call into an *Error carrying the status's
// details; an error that is no status (a local one) passes unchanged.
func (a *App) apiError(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &Error{Code: st.Code(), Msg: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason = d.GetReason()
			e.Number = d.GetMetadata()["code"]
			e.RequestID = d.GetMetadata()["request_id"]
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.Fields = append(e.Fields, FieldViolation{Field: v.GetField(), Reason: v.GetReason(), Description: v.GetDescription()})
			}
		}
	}
	switch e.Code {
	case codes.Unauthenticated:
		if a.Opts.Token == "" {
			e.Hint = "no token: run `outpace ctl login` first, or set " + EnvToken
		} else {
			e.Hint = "run `outpace ctl login` again"
		}
	case codes.Unavailable:
		if e.Number == "" {
			e.Msg = fmt.Sprintf("cannot reach the server at %s: %s", a.Opts.Server, e.Msg)
			e.Hint = "is `outpace serve` running there? (--server or " + EnvServer + " names another)"
		}
	case codes.Unimplemented:
		e.Hint = "this server does not offer that call"
	case codes.Internal:
		if e.RequestID != "" {
			e.Hint = "quote request id " + e.RequestID + " to the operator"
		}
	}
	return e
}

// APIError converts the error of a call made on a's clients directly, as
// its commands do.
func APIError(a *App, err error) error { return a.apiError(err) }

// Code returns the gRPC code of a call's error (codes.OK for nil, Unknown
// for an error that is no status).
func Code(err error) codes.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return status.Code(err)
}
