//go:build race

package main

// raceEnabled tells the crash test to build its binary with -race too, so
// that it reuses the packages this test binary was compiled from (a cold
// non-race build of the cgo SQLite driver takes minutes on a CI machine).
const raceEnabled = true
