//go:build !race

package boxoffice_test

// smRaceSlowdown divides the simulation's work under the race detector.
const smRaceSlowdown = 1
