package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// runOutpace runs outpace with args and returns its error.
func runOutpace(t *testing.T, args ...string) error {
	t.Helper()
	c := rootCmd()
	c.SetOut(&bytes.Buffer{})
	c.SetErr(&bytes.Buffer{})
	c.SetArgs(args)
	return c.Execute()
}

// TestFlagNumbers: numbers from flags and --set are checked before anything
// runs, and a bad one fails the command with an error naming it.
func TestFlagNumbers(t *testing.T) {
	s3 := filepath.Join("..", "..", "bench", "scenarios", "S3.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "-s", s3, "-q", "--set", "outcomes.live=NaN"}, "outcomes.live: probability NaN"},
		{[]string{"sim", "-s", s3, "-q", "--set", "report.slice=1ns"}, "report.slice"},
		{[]string{"sim", "-s", s3, "-q", "--seed", "-5"}, "--seed must be 0 or more, got -5"},
		{[]string{"sim", "-s", s3, "-q", "--seed", "-1"}, "--seed must be 0 or more, got -1"},
		{[]string{"compare", "-s", s3, "-q", "--eval-seeds", "1"}, "--eval-seeds: must be 2–1000"},
		{[]string{"compare", "-s", s3, "-q", "--cap", "NaN"}, "--cap"},
		{[]string{"tune", "-s", s3, "-q", "-m", "ratio", "--seeds", "60"}, "--seeds: must be between 1 and 50"},
	} {
		err := runOutpace(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.args, err, c.want)
		}
	}
	// --seed 0 is a seed like any other.
	if err := runOutpace(t, "sim", "-s", s3, "-q", "--seed", "0", "--set", "duration=10m"); err != nil {
		t.Errorf("--seed 0: %v", err)
	}
}

// TestServeFlagNumbers: serve refuses a speed that is NaN, infinite, not
// positive or beyond sim.MaxSpeed, a negative drain or log period, and a
// demo list of no number, before it opens the store.
func TestServeFlagNumbers(t *testing.T) {
	quiet := &cobra.Command{}
	quiet.SetOut(&bytes.Buffer{})
	quiet.SetErr(&bytes.Buffer{})
	dir := filepath.Join(t.TempDir(), "data")
	ok := serveFlags{data: dir, speed: 1, numbers: 10, every: time.Second, drain: time.Second}
	for _, c := range []struct {
		change func(*serveFlags)
		want   string
	}{
		{func(f *serveFlags) { f.speed = math.NaN() }, "--speed"},
		{func(f *serveFlags) { f.speed = math.Inf(1) }, "--speed"},
		{func(f *serveFlags) { f.speed = 1e9 }, "--speed must be above 0 and at most 10000, got 1e+09"},
		{func(f *serveFlags) { f.speed = -1 }, "--speed"},
		{func(f *serveFlags) { f.drain = -5 * time.Second }, "--drain and --every must not be negative, got -5s"},
		{func(f *serveFlags) { f.every = -time.Second }, "--drain and --every must not be negative"},
		{func(f *serveFlags) { f.numbers = 0 }, "--numbers must be from 1"},
	} {
		f := ok
		c.change(&f)
		err := serve(context.Background(), nil, f, quiet)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", f, err, c.want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused serve created %s (stat: %v)", dir, err)
	}
}

// TestSIPFlags: the SIP backend's file and flags are checked before
// anything binds or dials, the error naming the field.
func TestSIPFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("trunk: sip:{number}@127.0.0.1\nlisten: 127.0.0.1:0\nring_timout: 3s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join("..", "..", "docs", "examples", "sip.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"backend", "sip", "--token", "t", "--config", bad}, "field ring_timout not found"},
		{[]string{"backend", "sip", "--token", "t", "--config", example, "--trunk", "sip:1@h"}, "sip.trunk: must hold {number}"},
		{[]string{"backend", "sip", "--token", "t", "--config", example, "--transport", "tls"}, "--transport: must be udp or tcp"},
		{[]string{"backend", "sip", "--token", "t", "--config", example, "--cps", "NaN"}, "sip.calls_per_second"},
		{[]string{"backend", "sip", "--config", example}, "--token"},
		{[]string{"serve", "--backend", "sip", "--data", dir}, "--backend sip needs it"},
		{[]string{"serve", "--backend", "sip", "--sip-config", example, "--speed", "5", "--data", dir}, "--speed must be 1"},
	} {
		err := runOutpace(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one with %q", c.args, err, c.want)
		}
	}
}
