// Package api is outpace's gRPC front door: the services of
// proto/outpace/v1 over the store and the runner, behind one middleware
// chain.
//
// Every call passes, in this order: Prometheus metrics (grpc_server_*),
// a request id (sent back as the "x-request-id" header and logged), slog
// logging of the finished call, the conversion of every error into a
// status with a stable number, panic recovery, authentication, the
// tenant's rate limit, request validation and idempotency. So:
//
//   - a handler returns plain errors: an *apierr.Error (or several joined
//     with errors.Join) becomes a status whose details hold a
//     google.rpc.ErrorInfo with the seed code and, for bad input, a
//     google.rpc.BadRequest naming every offending field (Status is that
//     one conversion); any other error is INTERNAL with the request id,
//     its text logged, never sent;
//   - a panic is logged with its stack and answered INTERNAL with the
//     request id only;
//   - authentication resolves the bearer token to its tenant before any
//     handler runs; handlers read it with TenantFrom and scope every read
//     and write to it, so another tenant's object does not exist for them;
//   - a request with a client_token field set is answered once: the
//     answer is stored for store.IdempotencyTTL and returned again for a
//     repeat, which changes nothing.
//
// Reads come from the store (tasks, lists, blacklists, call records,
// dispositions, schedules, queues, agents), from the runner's snapshot
// (task statistics, campaign figures) or from the engine between two of
// the runner's steps (agent status, members' figures); mutations of the
// live engine (task status, agent requests, sign-in, a member shown busy or
// idle, a call hung up, new queues and agents) are submitted to the runner
// as engine events and answered once durable (Engine). The event stream
// reads the store's event log from the client's sequence number, then
// follows the runner's publications, going back to the log whenever the
// runner drops it for falling behind; the pacing decisions and task
// status changes, which the log does not keep as events, come live only,
// to a client that asks for them. A server
// without an engine answers the engine-facing methods UNIMPLEMENTED.
package api
