// Package simtest holds the simulated team and carrier that the tests of
// the runner and of the backends run a campaign against, so that they all
// dial the same world and differ from it only by the overrides they name.
package simtest

// World is a scenario of five agents who answer their phones in a second,
// a carrier on which a third of the dials are answered live, and short
// talks. Tests pass what they need different (agents.count, handling.talk,
// ...) to sim.ParseScenario as --set overrides.
const World = `
name: simtest
agents: {count: 5, answer_delay: {dist: constant, value: 1s}}
outcomes: {live: 0.35, machine: 0.15, no_answer: 0.25, busy: 0.15, invalid: 0.1}
timing:
  live: {dist: uniform, min: 3s, max: 9s}
  machine: {dist: constant, value: 5s}
  busy: {dist: constant, value: 2s}
  invalid: {dist: constant, value: 1s}
handling:
  talk: {dist: uniform, min: 5s, max: 15s}
  wrap: {dist: constant, value: 2s}
task: {no_answer_timeout: 20s, connect_deadline: 2s}
`
