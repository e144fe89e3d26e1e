// Package records holds the record types that the engine, the store, the
// number lists, the simulator and the API share: the IDs, numbers and their
// updates, call records, task and queue specifications with the pacing
// configuration they carry, task updates, CTI events, dial outcomes and
// calling windows.
//
// It is a leaf: it imports only the standard library and apierr, so that a
// package may speak of these records without depending on the engine or on
// the pacing calculators. Its types are data with the few pure methods that
// belong to them (formatting, validation of their own fields, the durations
// of a call record); nothing here reads a clock, starts a goroutine or does
// I/O.
package records
