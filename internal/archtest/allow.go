package archtest

// allowed lists, for every package of the module, what it may import besides
// the standard library: the module's own packages by their path inside the
// module ("store/lists"), others by module path, which allows the module's
// packages too ("gonum.org/v1/plot" allows gonum.org/v1/plot/vg). A new
// package needs a line here before the tests pass; ARCHITECTURE.md prints
// this table, rewritten by `go test ./internal/archtest -update`.
var allowed = map[string][]string{
	"apierr":           {},
	"records":          {"apierr"},
	"fsm":              {"apierr", "github.com/looplab/fsm"},
	"pacing":           {"apierr", "records"},
	"pacing/optimum":   {"apierr"},
	"engine":           {"apierr", "fsm", "pacing", "records"},
	"sim":              {"apierr", "engine", "fsm", "pacing", "records", "gonum.org/v1/gonum", "gopkg.in/yaml.v3"},
	"sim/simtest":      {},
	"sim/tune":         {"apierr", "pacing", "pacing/optimum", "records", "sim", "gonum.org/v1/gonum"},
	"sim/plots":        {"apierr", "pacing/optimum", "sim", "sim/tune", "gonum.org/v1/plot"},
	"store":            {"apierr", "records", "store/lists", "github.com/dgraph-io/badger/v4", "github.com/dgraph-io/ristretto/v2", "golang.org/x/crypto"},
	"store/lists":      {"apierr", "records", "github.com/nyaruka/phonenumbers"},
	"store/storetest":  {"apierr", "records", "store"},
	"runner":           {"engine", "records", "store"},
	"serve":            {"api", "apierr", "backend/remote", "engine", "records", "runner", "sim", "store", "store/lists", "github.com/prometheus/client_golang"},
	"bench":            {},
	"bench/scoreboard": {"apierr", "pacing", "records", "sim", "sim/tune"},
	"cmd/outpace": {"apierr", "backend/remote", "backend/simulated", "backend/sip", "backend/sipremote", "bench/scoreboard", "ctl", "ctl/top", "engine", "pacing", "pacing/optimum", "records", "runner", "serve", "sim", "sim/plots", "sim/tune", "store", "store/lists",
		"proto/outpace/v1",
		"github.com/schollz/progressbar/v3", "github.com/spf13/cobra", "github.com/spf13/pflag",
		"google.golang.org/protobuf"},
	"ctl": {"proto/outpace/v1", "github.com/schollz/progressbar/v3",
		"google.golang.org/genproto/googleapis/rpc", "google.golang.org/grpc", "google.golang.org/protobuf"},
	"ctl/top": {"ctl", "proto/outpace/v1", "github.com/charmbracelet/bubbletea", "github.com/charmbracelet/lipgloss",
		"google.golang.org/grpc", "google.golang.org/protobuf"},
	"proto/outpace/v1":         {"google.golang.org/grpc", "google.golang.org/protobuf"},
	"proto/outpace/backend/v1": {"google.golang.org/grpc", "google.golang.org/protobuf"},
	"backend/sip":              {"apierr", "engine", "records", "github.com/emiago/sipgo"},
	"backend/sipremote":        {"apierr", "backend/remote", "backend/sip", "gopkg.in/yaml.v3"},
	"backend/simulated":        {"apierr", "backend/remote", "records", "runner", "sim"},
	"backend/remote":           {"apierr", "engine", "records", "proto/outpace/backend/v1", "proto/outpace/v1", "google.golang.org/grpc", "google.golang.org/protobuf"},
	"api": {"apierr", "engine", "fsm", "pacing", "records", "proto/outpace/v1", "runner", "store", "store/lists",
		"github.com/grpc-ecosystem/go-grpc-middleware", "github.com/prometheus/client_golang",
		"google.golang.org/genproto/googleapis/rpc", "google.golang.org/grpc", "google.golang.org/protobuf"},
	"api/apitest":          {"api", "proto/outpace/v1", "records", "runner", "sim", "store", "google.golang.org/grpc"},
	"internal/archtest":    {},
	"internal/gendiagrams": {"fsm"},
	"internal/sipptest":    {"records"},
}

// restricted are the trees that never touch the network, the file system,
// gRPC or the store, directly or through what they import (the standard
// library's own use of os aside: fmt needs it).
var restricted = []string{"engine", "fsm", "pacing", "sim", "records"}

// forbidden are the imports the restricted trees may not have; each also
// forbids the packages under it (net/http, os/exec).
var forbidden = []string{"net", "os", "syscall", "google.golang.org/grpc", "github.com/dgraph-io/badger"}

// core are the trees of the deterministic core: time comes in with events,
// randomness from an injected seeded source, and nothing runs concurrently.
var core = []string{"engine", "fsm", "pacing", "records"}
