//go:build race

package cluster_test

// raceEnabled: see skipUnderRace.
const raceEnabled = true
