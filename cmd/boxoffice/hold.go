package main

import (
	"flag"
	"fmt"

	"github.com/boxoffice/boxoffice"
)

// holdCapFlags declares the flags of the caps on what one user may hold.
func holdCapFlags(fs *flag.FlagSet, c *Config) {
	d := boxoffice.DefaultHoldCaps()
	fs.StringVar(&c.HoldCapsMode, "hold-caps", "on", "caps on what one user may hold: on, or off (load tests and benchmarks only)")
	fs.IntVar(&c.HoldCaps.SeatsPerShowtime, "hold-seats-max", d.SeatsPerShowtime, "most seats one user may hold at once in one showtime; 0: no cap")
	fs.IntVar(&c.HoldCaps.HoldsPerUser, "holds-per-user-max", d.HoldsPerUser, "most open holds one user may have at once across the showtimes of a node; 0: no cap")
	fs.DurationVar(&c.HoldCaps.Cooldown, "hold-cooldown", d.Cooldown, "how long a user may not hold again the seats of a hold they released or let lapse; 0: none")
}

func (c Config) validateHoldCaps() error {
	switch {
	case c.HoldCapsMode != "on" && c.HoldCapsMode != "off":
		return fmt.Errorf("--hold-caps must be on or off, got %q", c.HoldCapsMode)
	case c.HoldCaps.SeatsPerShowtime < 0 || c.HoldCaps.HoldsPerUser < 0 || c.HoldCaps.Cooldown < 0:
		return fmt.Errorf("--hold-seats-max, --holds-per-user-max and --hold-cooldown must not be negative")
	case c.HoldCaps.Cooldown > boxoffice.HoldTTLMax:
		return fmt.Errorf("--hold-cooldown must be at most %s, got %s", boxoffice.HoldTTLMax, c.HoldCaps.Cooldown)
	}
	return nil
}

// EngineHoldCaps returns the caps the engine enforces: none with
// --hold-caps off.
func (c Config) EngineHoldCaps() boxoffice.HoldCaps {
	if c.HoldCapsMode == "off" {
		return boxoffice.HoldCaps{}
	}
	return c.HoldCaps
}

func (c Config) holdCapsString() string {
	if c.HoldCapsMode == "off" {
		return "off"
	}
	return fmt.Sprintf("seats:%d,holds:%d,cooldown:%s", c.HoldCaps.SeatsPerShowtime, c.HoldCaps.HoldsPerUser, c.HoldCaps.Cooldown)
}
