//go:build race

package boxoffice_test

// smRaceSlowdown divides the simulation's work under the race detector,
// which makes it about ten times slower.
const smRaceSlowdown = 16
