// Package apierr is the catalog of stable error numbers that outpace returns to
// clients: the seed-002 CTI codes (301xxx, 302xxx, 303xxx), the seed-003 task
// status codes (1024–1028) and authorization codes (600, 601), and our own
// validation code. Every layer wraps an *Error so that the
// gRPC edge can map it to a status without string matching.
package apierr

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Code is a stable, documented error number. Codes never change meaning.
type Code int

// Seed-002 CTI error codes.
const (
	Unknown            Code = 301000
	NotFoundCallID     Code = 301004
	InvalidCallType    Code = 301005
	InvalidAgentState  Code = 301006
	HeldInProcess      Code = 301010
	NotFoundAgent      Code = 301014
	NotFoundParty      Code = 301016
	InvalidParams      Code = 301018
	PBXError           Code = 301019
	RequestTooFast     Code = 301027
	NotFoundAgentID    Code = 302001
	AgentIsInConsult   Code = 303004
	AgentIsInConferece Code = 303005
)

// Authorization codes of seed 003 (its ret codes).
const (
	TokenInvalid     Code = 600 // missing, unknown, expired or revoked token: log in again
	AppNotAuthorized Code = 601 // wrong app id or access key, or a call the app may not make
)

// Task status codes of seed 003.
const (
	TaskNotExist   Code = 1024
	TaskNotStarted Code = 1025
	TaskInProgress Code = 1026
	TaskPaused     Code = 1027
	TaskOver       Code = 1028
)

var names = map[Code]string{
	Unknown:            "Unknown",
	NotFoundCallID:     "NotFoundCallID",
	InvalidCallType:    "InvalidCallType",
	InvalidAgentState:  "InvalidAgentState",
	HeldInProcess:      "HeldInProcess",
	NotFoundAgent:      "NotFoundAgent",
	NotFoundParty:      "NotFoundParty",
	InvalidParams:      "InvalidParams",
	PBXError:           "PBXError",
	RequestTooFast:     "RequestTooFast",
	NotFoundAgentID:    "NotFoundAgentID",
	AgentIsInConsult:   "AgentIsInConsultScene",
	AgentIsInConferece: "AgentIsInConferenceScene",
	TokenInvalid:       "TokenInvalid",
	AppNotAuthorized:   "AppNotAuthorized",
	TaskNotExist:       "TaskNotExist",
	TaskNotStarted:     "TaskNotStarted",
	TaskInProgress:     "TaskInProgress",
	TaskPaused:         "TaskPaused",
	TaskOver:           "TaskOver",
}

// String returns the seed name of the code, e.g. "InvalidAgentState".
func (c Code) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Error is an API error: a stable code, the input field it concerns (empty when
// none) and a human message. It may wrap a sentinel error for errors.Is.
type Error struct {
	Code  Code
	Field string
	Msg   string
	Err   error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s(%d)", e.Code, int(e.Code))
	if e.Field != "" {
		s += " " + e.Field
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Unwrap returns the wrapped sentinel, if any.
func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with the given code and message.
func New(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// Invalid returns an InvalidParams error naming the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: InvalidParams, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, or Unknown.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Unknown
}

// Range returns an InvalidParams error naming field unless lo ≤ v ≤ hi. NaN
// is in no range, and an infinity only in one bounded by it. It returns nil
// (an untyped nil error) when v is in range.
func Range(field string, v, lo, hi float64) error {
	if v >= lo && v <= hi {
		return nil
	}
	return Invalid(field, "must be a number from %v to %v, got %v", lo, hi, v)
}

// Finite returns an InvalidParams error naming field when v is NaN or
// infinite, and nil otherwise.
func Finite(field string, v float64) error {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		return nil
	}
	return Invalid(field, "must be a finite number, got %v", v)
}

// DurationRange returns an InvalidParams error naming field unless
// lo ≤ d ≤ hi, and nil otherwise.
func DurationRange(field string, d, lo, hi time.Duration) error {
	if d >= lo && d <= hi {
		return nil
	}
	return Invalid(field, "must be a duration from %v to %v, got %v", lo, hi, d)
}

// IntRange returns an InvalidParams error naming field unless lo ≤ n ≤ hi,
// and nil otherwise.
func IntRange(field string, n, lo, hi int) error {
	if n >= lo && n <= hi {
		return nil
	}
	return Invalid(field, "must be a whole number from %d to %d, got %d", lo, hi, n)
}

// First returns the first of errs that is not nil, or nil: it strings range
// checks together, so that a configuration names its first bad field.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
