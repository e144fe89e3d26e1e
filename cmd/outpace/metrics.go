package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/outpace-dev/outpace/sim"
)

// campaignMetrics are the Prometheus gauges of a running campaign, updated
// from the runner's goroutine at every tick.
type campaignMetrics struct {
	reg *prometheus.Registry

	dials, live, connected, abandoned prometheus.Gauge
	abandonRate, occupancy, level     prometheus.Gauge
	agents                            *prometheus.GaugeVec
	calls                             *prometheus.GaugeVec
}

func newCampaignMetrics() *campaignMetrics {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "outpace", Name: name, Help: help})
	}
	m := &campaignMetrics{
		reg:         prometheus.NewRegistry(),
		dials:       g("dials", "Dial attempts since the server started."),
		live:        g("live_answers", "Live answers since the server started."),
		connected:   g("connected_calls", "Live answers connected to an agent since the server started."),
		abandoned:   g("abandoned_calls", "Live answers abandoned since the server started."),
		abandonRate: g("abandon_rate", "Abandoned over live answers since the server started."),
		occupancy:   g("occupancy", "Agents' busy time over logged-in time since the server started."),
		level:       g("pacing_level", "The pacer's current dial level or target."),
		agents: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "outpace", Name: "agents",
			Help: "Agents of the campaign's queue by state."}, []string{"state"}),
		calls: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "outpace", Name: "calls",
			Help: "Calls of the campaign not yet at an agent, by state."}, []string{"state"}),
	}
	m.reg.MustRegister(m.dials, m.live, m.connected, m.abandoned, m.abandonRate, m.occupancy, m.level, m.agents, m.calls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *campaignMetrics) update(l sim.LiveStats) {
	m.dials.Set(float64(l.Dials))
	m.live.Set(float64(l.LiveAnswers))
	m.connected.Set(float64(l.Connected))
	m.abandoned.Set(float64(l.Abandoned))
	m.abandonRate.Set(l.AbandonRate)
	m.occupancy.Set(l.Occupancy)
	m.level.Set(l.Task.Level)
	m.agents.WithLabelValues("idle").Set(float64(l.Queue.Idle))
	m.agents.WithLabelValues("busy").Set(float64(l.Queue.Busy))
	m.agents.WithLabelValues("paused").Set(float64(l.Queue.Paused))
	m.agents.WithLabelValues("logged_in").Set(float64(l.Queue.LoggedIn))
	m.calls.WithLabelValues("ringing").Set(float64(l.Task.Ringing))
	m.calls.WithLabelValues("waiting").Set(float64(l.Task.Waiting))
}

// serveMetrics serves /metrics and /healthz on addr until ctx ends.
func (m *campaignMetrics) serve(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}
