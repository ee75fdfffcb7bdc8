//go:build race

package actors_test

// showtimeRace: see parallel.
const showtimeRace = true
