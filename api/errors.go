package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/store"
)

// ErrorDomain is the domain of every google.rpc.ErrorInfo the API sends.
const ErrorDomain = "outpace.dev"

// grpcCode maps a catalog code to the gRPC code its errors carry.
func grpcCode(c apierr.Code) codes.Code {
	switch c {
	case apierr.InvalidParams, apierr.InvalidCallType:
		return codes.InvalidArgument
	case apierr.NotFoundCallID, apierr.NotFoundAgent, apierr.NotFoundParty, apierr.NotFoundAgentID, apierr.TaskNotExist:
		return codes.NotFound
	case apierr.InvalidAgentState, apierr.HeldInProcess, apierr.AgentIsInConsult, apierr.AgentIsInConferece,
		apierr.TaskNotStarted, apierr.TaskInProgress, apierr.TaskPaused, apierr.TaskOver:
		return codes.FailedPrecondition
	case apierr.RequestTooFast:
		return codes.ResourceExhausted
	case apierr.PBXError:
		return codes.Unavailable
	case apierr.TokenInvalid:
		return codes.Unauthenticated
	case apierr.AppNotAuthorized:
		return codes.PermissionDenied
	}
	return codes.Unknown
}

// Status converts a handler's error into the status sent to the client: the
// one conversion of the API. An *apierr.Error, or several joined with
// errors.Join, gives its code's gRPC code (NOT_FOUND for a missing object,
// UNAUTHENTICATED for bad credentials) with a google.rpc.ErrorInfo (reason
// the code's name, metadata "code" its number) and, for bad input
// (INVALID_ARGUMENT), a google.rpc.BadRequest with one violation per field;
// the field of another error is the ErrorInfo's metadata "field". A status error passes
// as it is; context errors become CANCELED and DEADLINE_EXCEEDED; anything
// else is INTERNAL carrying only the request id. ok is false for that last
// kind: the caller logs the error.
func Status(ctx context.Context, err error) (st *status.Status, ok bool) {
	if err == nil {
		return nil, true
	}
	if s, isStatus := status.FromError(err); isStatus {
		return s, true
	}
	var errs []*apierr.Error
	collect(err, &errs)
	if len(errs) == 0 {
		switch {
		case errors.Is(err, context.Canceled):
			return status.New(codes.Canceled, "canceled"), true
		case errors.Is(err, context.DeadlineExceeded):
			return status.New(codes.DeadlineExceeded, "deadline exceeded"), true
		}
		return internal(ctx), false
	}
	first := errs[0]
	code := grpcCode(first.Code)
	switch {
	case errors.Is(err, store.ErrBadCredentials):
		code = codes.Unauthenticated
	case errors.Is(err, store.ErrNotFound):
		code = codes.NotFound
	}
	msg := first.Error()
	if len(errs) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(errs)-1)
	}
	info := &errdetails.ErrorInfo{Reason: first.Code.String(), Domain: ErrorDomain,
		Metadata: map[string]string{"code": strconv.Itoa(int(first.Code))}}
	if id := RequestID(ctx); id != "" {
		info.Metadata["request_id"] = id
	}
	// Bad input names its fields in a BadRequest; another error about one
	// field (the task that does not exist) names it in the ErrorInfo.
	if first.Field != "" && code != codes.InvalidArgument {
		info.Metadata["field"] = first.Field
	}
	var br *errdetails.BadRequest
	for _, e := range errs {
		if e.Field == "" || code != codes.InvalidArgument {
			continue
		}
		if br == nil {
			br = &errdetails.BadRequest{}
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field: e.Field, Description: e.Msg, Reason: e.Code.String()})
	}
	st = status.New(code, msg)
	var s2 *status.Status
	var derr error
	if br != nil {
		s2, derr = st.WithDetails(info, br)
	} else {
		s2, derr = st.WithDetails(info)
	}
	if derr != nil {
		return st, true
	}
	return s2, true
}

// collect appends the *apierr.Errors of err's tree: err itself, or the
// members of an errors.Join.
func collect(err error, out *[]*apierr.Error) {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range multi.Unwrap() {
			collect(e, out)
		}
		return
	}
	var e *apierr.Error
	if errors.As(err, &e) {
		*out = append(*out, e)
	}
}

// internal is the status of an unexpected failure: INTERNAL with the
// request id to quote, and nothing else.
func internal(ctx context.Context) *status.Status {
	id := RequestID(ctx)
	st := status.New(codes.Internal, "internal error (request "+id+")")
	s2, err := st.WithDetails(&errdetails.ErrorInfo{Reason: apierr.Unknown.String(), Domain: ErrorDomain,
		Metadata: map[string]string{"code": strconv.Itoa(int(apierr.Unknown)), "request_id": id}})
	if err != nil {
		return st
	}
	return s2
}

// errorsUnary converts every error of the handlers below it with Status and
// logs the unexpected ones.
func errorsUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err == nil {
			return resp, nil
		}
		return nil, convert(ctx, log, info.FullMethod, err)
	}
}

// errorsStream is errorsUnary for streams.
func errorsStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		err := handler(srv, ss)
		if err == nil {
			return nil
		}
		return convert(ss.Context(), log, info.FullMethod, err)
	}
}

func convert(ctx context.Context, log *slog.Logger, method string, err error) error {
	st, ok := Status(ctx, err)
	if !ok {
		log.ErrorContext(ctx, "internal error", "method", method, "request_id", RequestID(ctx), "err", err)
	}
	return st.Err()
}
