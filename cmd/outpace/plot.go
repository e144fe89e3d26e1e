package main

import (
	"fmt"
	"io"
	"os"

	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/plots"
)

// checkPlot checks a --plot path before any work is done: empty (no chart)
// or named for a chart format.
func checkPlot(path string) error {
	if path == "" {
		return nil
	}
	_, err := plots.FormatOf(path)
	return flagError(err)
}

// writePlot renders a chart in the format of path's extension and writes it there.
func writePlot(path string, render func(format string) (io.WriterTo, error)) error {
	format, err := plots.FormatOf(path)
	if err != nil {
		return flagError(err)
	}
	wt, err := render(format)
	if err != nil {
		return fmt.Errorf("--plot %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	if _, err := wt.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("--plot %s: %w", path, err)
	}
	return f.Close()
}

// plotRun writes the time series of one run (occupancy, abandon rate, calls
// in flight, level) to path, as PNG, SVG or PDF by extension.
func plotRun(r *sim.Report, path string) error {
	return writePlot(path, func(format string) (io.WriterTo, error) { return plots.RunChart(r, format) })
}
