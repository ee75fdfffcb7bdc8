//go:build !race

// Package racedetect tells code and tests whether the race detector is on,
// for the few places that must adapt: it slows work about tenfold, enlarges
// allocations, and reports races inside protoactor when several nodes share
// a process. One flag for every package, set by the build tag.
package racedetect

// Enabled is true in a binary built with -race.
const Enabled = false
