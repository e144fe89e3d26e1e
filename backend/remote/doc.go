// Package remote is the backend protocol of proto/outpace/backend/v1 on
// both ends: Hub, the server's end, a runner.Backend (and runner.Limiter)
// over every backend attached to the server; and Client, which attaches a
// telephony world (the simulated world, a SIP user agent) to a server and
// keeps it attached.
//
// Attaching. A backend opens one Attach stream to the server's gRPC port,
// as a worker does, so that several media servers can serve one engine
// and sit behind NAT. The stream is authenticated by the API's
// interceptors: a bearer token of the administrative tenant, which the
// Client gets by logging in with an app id and access key of that tenant
// (AuthService.Login) and renews when the server refuses it. Hello names
// the backend (backend_id), its run (incarnation, new at each start) and
// its capacity (lines, calls per second).
//
// Routing. Hub.Capacity is the sum of the attached backends' capacity (no
// limit as soon as one announces none), which the runner respects in
// total; the hub places each originate on the attached backend with the
// most free lines whose rate allows it, and sends every later command of
// the call to the backend that placed it. Commands are idempotent by call
// id on both ends: the hub drops a second originate of a call it placed,
// the Client drops a command whose seq it applied and an originate of a
// call it has or recently ended.
//
// No backend. While no attached backend has a free line (none is
// attached, or all are full), the hub holds originates in order (the
// runner sees them in flight, so the pacer places no more than it planned)
// and sends them when one has; an originate held past its ring timeout
// ends as a failed call (invalid, causes CauseLost and EarlyLost), as on a
// carrier whose trunk is down. No originate is ever sent to a backend that
// is not attached.
//
// Stream breaks. The hub keeps a broken stream's calls for HubConfig.Grace.
// A backend that attaches again with the same incarnation is resumed: it
// sends again the events the hub did not apply, then Sync with its live
// calls; the hub closes with a record the calls the backend no longer has
// (EvFailed with OutcomeInvalid when unanswered, EvHangup by the system
// when answered, both with cause CauseLost), hangs up the calls it has
// that the hub does not know, and sends again the commands the backend
// did not acknowledge (an originate the backend never had goes out again
// under its call id; one it had is dropped by the backend). A backend
// that does not come back within the grace, or comes back as a new
// incarnation (it restarted), has lost its calls: the hub closes them all
// the same way, and hangs up whatever the new incarnation reports. So no
// number is dialled twice for one attempt, and every attempt ends with a
// call record. A Client that the hub does not resume sends its agents'
// state again (the server may have restarted).
//
// Times. The hub leaves the time of the events it hands the runner empty,
// so the runner steps them at its own clock's time: a backend in scaled
// time and a server at the same speed agree without sharing a clock.
package remote
