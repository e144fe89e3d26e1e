// Package outpacev1 is the generated Go code of outpace's public gRPC API,
// proto/outpace/v1/*.proto: one service per group (auth, tenants, tasks,
// queues, agents, calls, blacklists, schedules, events, call records,
// campaign figures). The .proto files are the API reference; regenerate
// with `make generate`.
package outpacev1
