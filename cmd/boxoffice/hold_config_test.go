package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The hold cap flags: on by default with the product's defaults, each
// settable by flag or environment, and all off with --hold-caps off.
func TestHoldCapsConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want boxoffice.HoldCaps
		err  string // substring; "" means valid
	}{
		{"Defaults", nil, nil, boxoffice.DefaultHoldCaps(), ""},
		{"Flags", []string{"--hold-seats-max", "6", "--holds-per-user-max", "2", "--hold-cooldown", "1m"}, nil,
			boxoffice.HoldCaps{SeatsPerShowtime: 6, HoldsPerUser: 2, Cooldown: time.Minute}, ""},
		{"Env", nil, map[string]string{"BOXOFFICE_HOLD_SEATS_MAX": "4", "BOXOFFICE_HOLDS_PER_USER_MAX": "0", "BOXOFFICE_HOLD_COOLDOWN": "5s"},
			boxoffice.HoldCaps{SeatsPerShowtime: 4, Cooldown: 5 * time.Second}, ""},
		{"OffByEnv", nil, map[string]string{"BOXOFFICE_HOLD_CAPS": "off"}, boxoffice.HoldCaps{}, ""},
		{"OffByFlag", []string{"--hold-caps", "off", "--hold-seats-max", "3"}, nil, boxoffice.HoldCaps{}, ""},
		{"FlagWinsOverEnv", []string{"--hold-caps", "on"}, map[string]string{"BOXOFFICE_HOLD_CAPS": "off"}, boxoffice.DefaultHoldCaps(), ""},
		{"BadMode", []string{"--hold-caps", "no"}, nil, boxoffice.HoldCaps{}, "--hold-caps must be on or off"},
		{"Negative", []string{"--hold-seats-max", "-1"}, nil, boxoffice.HoldCaps{}, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if err == nil {
				err = c.Validate()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.EngineHoldCaps(); got != tc.want {
				t.Fatalf("caps = %+v, want %+v", got, tc.want)
			}
		})
	}
}
