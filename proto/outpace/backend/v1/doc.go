// Package backendv1 is the generated Go code of the protocol between the
// dialer and its telephony backends, proto/outpace/backend/v1/backend.proto:
// one long-lived bidirectional stream per backend carrying commands
// (originate, connect, play and hang up, hang up) one way and call events
// the other. Regenerate with `make generate`.
package backendv1
