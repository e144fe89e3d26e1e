package main

import (
	"errors"

	"github.com/outpace-dev/outpace/sim"
)

func plotRun(*sim.Report, string) error { return errors.New("plots are not available yet") }
