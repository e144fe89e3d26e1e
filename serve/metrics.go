package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// metrics are the campaign's Prometheus metrics: running totals are
// counters, counted from the runner's goroutine as each Ready is published;
// levels are read from the runner's snapshot when scraped.
type metrics struct {
	reg                               *prometheus.Registry
	dials, live, connected, abandoned prometheus.Counter
	n                                 totals
	r                                 atomic.Pointer[runner.Runner]
	task                              records.TaskID
	queue                             records.QueueID
}

// totals are the running totals since the server started, for the log.
type totals struct {
	dials, live, connected, abandoned atomic.Int64
}

func newMetrics(task records.TaskID, queue records.QueueID) *metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "outpace", Name: name, Help: help})
	}
	m := &metrics{
		reg:       prometheus.NewRegistry(),
		dials:     counter("dials_total", "Dial attempts placed."),
		live:      counter("live_answers_total", "Calls answered by a person."),
		connected: counter("connected_calls_total", "Live answers connected to an agent, counted when the call ends."),
		abandoned: counter("abandoned_calls_total", "Live answers that found no agent in time."),
		task:      task, queue: queue,
	}
	gauge := func(name, help string, labels prometheus.Labels, f func(s *runner.Snapshot) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "outpace", Name: name, Help: help, ConstLabels: labels}, func() float64 {
			r := m.r.Load()
			if r == nil {
				return 0
			}
			return f(r.Snapshot())
		})
	}
	ts := func(s *runner.Snapshot) engine.TaskStats { return s.Tasks[m.task] }
	qs := func(s *runner.Snapshot) runner.QueueSnapshot { return s.Queues[m.queue] }
	m.reg.MustRegister(m.dials, m.live, m.connected, m.abandoned,
		gauge("abandon_rate", "Abandoned over live answers of the campaign since the server started.", nil,
			func(s *runner.Snapshot) float64 { return ts(s).AbandonRate }),
		gauge("occupancy", "Agents' busy time over logged-in time since the server started.", nil,
			func(s *runner.Snapshot) float64 { return occupancy(qs(s)) }),
		gauge("pacing_level", "The pacer's current dial level or target.", nil,
			func(s *runner.Snapshot) float64 { return ts(s).Level }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, st := range []struct {
		name string
		f    func(q runner.QueueSnapshot) int
	}{
		{"idle", func(q runner.QueueSnapshot) int { return q.Idle }},
		{"busy", func(q runner.QueueSnapshot) int { return q.Busy }},
		{"paused", func(q runner.QueueSnapshot) int { return q.Paused }},
		{"logged_in", func(q runner.QueueSnapshot) int { return q.LoggedIn }},
	} {
		m.reg.MustRegister(gauge("agents", "Agents of the campaign's queue by state.", prometheus.Labels{"state": st.name},
			func(s *runner.Snapshot) float64 { return float64(st.f(qs(s))) }))
	}
	m.reg.MustRegister(
		gauge("calls", "Calls of the campaign not yet at an agent, by state.", prometheus.Labels{"state": "ringing"},
			func(s *runner.Snapshot) float64 { return float64(ts(s).Ringing) }),
		gauge("calls", "Calls of the campaign not yet at an agent, by state.", prometheus.Labels{"state": "waiting"},
			func(s *runner.Snapshot) float64 { return float64(ts(s).Waiting) }))
	return m
}

func occupancy(q runner.QueueSnapshot) float64 {
	if q.LoggedInTime <= 0 {
		return 0
	}
	return float64(q.BusyTime) / float64(q.LoggedInTime)
}

// observe counts what a Ready published (the runner's Observe hook).
func (m *metrics) observe(p *runner.Published) {
	if p.Dials > 0 {
		m.dials.Add(float64(p.Dials))
		m.n.dials.Add(int64(p.Dials))
	}
	for i := range p.Records {
		r := &p.Records[i]
		if r.Answer.IsZero() || r.Machine || r.Outcome != records.OutcomeLive {
			continue
		}
		m.live.Inc()
		m.n.live.Add(1)
		switch r.Result {
		case records.ResultBoth:
			m.connected.Inc()
			m.n.connected.Add(1)
		case records.ResultCustomerOnly:
			m.abandoned.Inc()
			m.n.abandoned.Add(1)
		}
	}
}

// listen binds addr for /metrics and /healthz; serve serves it.
func listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// serveHTTP serves /metrics and /healthz on ln until ctx ends. /healthz
// answers 200 when the runner steps (it answers within a second) and the
// store takes a synced write, and 503 saying what is wrong otherwise.
func (m *metrics) serveHTTP(ctx context.Context, ln net.Listener, st *store.Badger, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, req *http.Request) {
		if msg := m.health(req.Context(), st); msg != "" {
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics", "health", "http://"+ln.Addr().String()+"/healthz")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
}

// health returns what is wrong, or "".
func (m *metrics) health(ctx context.Context, st *store.Badger) string {
	var problems []string
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if r := m.r.Load(); r == nil {
		problems = append(problems, "runner: not started")
	} else if err := r.Inspect(ctx, func(*engine.Engine) {}); err != nil {
		if stop := r.Err(); stop != nil {
			err = stop
		}
		problems = append(problems, fmt.Sprintf("runner: not stepping: %v", err))
	}
	if err := st.Probe(time.Now()); err != nil {
		problems = append(problems, fmt.Sprintf("store: not writable: %v", err))
	}
	return strings.Join(problems, "\n")
}
