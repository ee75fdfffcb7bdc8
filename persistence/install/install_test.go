package install_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/persistence/install"
)

var latest = map[string]int64{"users": 1, "seats": 2}

func marked(service string, version int64, id string) install.State {
	return install.State{Service: service, Where: service + ".db", Exists: true, Version: version, InstallID: id}
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name   string
		states []install.State
		plan   install.Plan
		errs   []string // each must be in the error; none means no error
	}{
		{"FirstStart", []install.State{{Service: "users"}, {Service: "seats", Exists: true, Blank: true}}, install.Create, nil},
		{"OneInstall", []install.State{marked("users", 1, "a"), marked("seats", 2, "a")}, install.Serve, nil},
		{"BeforeMarkers", []install.State{marked("users", 1, ""), marked("seats", 2, "")}, install.Adopt, nil},
		{"SeatsMissing", []install.State{marked("users", 1, "a"), {Service: "seats", Where: "seats.db"}}, 0,
			[]string{"seats database (seats.db) is missing", "backup", "boxoffice migrate"}},
		{"SeatsEmpty", []install.State{marked("users", 1, "a"), {Service: "seats", Where: "seats.db", Exists: true, Blank: true}}, 0,
			[]string{"seats database (seats.db) is empty", "backup"}},
		{"SeatsNew", []install.State{marked("users", 1, "a"), marked("seats", 2, "")}, 0,
			[]string{"seats database (seats.db) was not created with the others"}},
		{"SeatsOfAnotherInstall", []install.State{marked("users", 1, "a"), marked("seats", 2, "b"), marked("catalog", 0, "a")}, 0,
			[]string{"seats database (seats.db) belongs to another install (ID b, the others a)"}},
		{"SchemaBehind", []install.State{marked("users", 1, "a"), marked("seats", 1, "a")}, install.Serve, nil},
		{"NoSchema", []install.State{marked("users", 1, "a"), marked("seats", 0, "a")}, 0,
			[]string{"seats database (seats.db) holds tables but no boxoffice schema"}},
		{"SchemaAhead", []install.State{marked("users", 2, "a"), marked("seats", 2, "a")}, 0,
			[]string{"users database (users.db) is at schema version 2, newer than this binary knows (1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := install.Decide(tc.states, latest)
			if len(tc.errs) == 0 {
				require.NoError(t, err)
				require.Equal(t, tc.plan, plan)
				return
			}
			require.Error(t, err)
			for _, e := range tc.errs {
				require.Contains(t, err.Error(), e)
			}
		})
	}
}

// TestPrepare proves what a start does: a first start creates, migrates
// and marks; a whole install behind this binary's schema (an upgrade) is
// migrated forward, marked too when it predates install IDs; a whole
// install at the schema is served as it is; a lost database refuses.
func TestPrepare(t *testing.T) {
	newID := func() string { return "new" }
	for _, tc := range []struct {
		name   string
		states []install.State
		want   install.Steps
	}{
		{"FirstStart", []install.State{{Service: "users"}, {Service: "seats"}}, install.Steps{Create: true, Migrate: true, MarkID: "new"}},
		{"Whole", []install.State{marked("users", 1, "a"), marked("seats", 2, "a")}, install.Steps{}},
		{"Upgrade", []install.State{marked("users", 1, "a"), marked("seats", 1, "a")}, install.Steps{Migrate: true}},
		{"UpgradeBeforeMarkers", []install.State{marked("users", 1, ""), marked("seats", 1, "")}, install.Steps{Migrate: true, MarkID: "new"}},
		{"BeforeMarkers", []install.State{marked("users", 1, ""), marked("seats", 2, "")}, install.Steps{MarkID: "new"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := install.Prepare(tc.states, latest, false, newID)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	t.Run("SeatsLost", func(t *testing.T) {
		_, err := install.Prepare([]install.State{marked("users", 1, "a"), {Service: "seats", Where: "seats.db"}}, latest, false, newID)
		require.ErrorContains(t, err, "seats database (seats.db) is missing")
	})
	t.Run("Migrate", func(t *testing.T) {
		got, err := install.Prepare([]install.State{marked("users", 1, "a"), {Service: "seats"}}, latest, true, newID)
		require.NoError(t, err)
		require.Equal(t, install.Steps{Create: true, Migrate: true, MarkID: "a"}, got)
	})
}

func TestMigrateID(t *testing.T) {
	id, err := install.MigrateID([]install.State{marked("users", 1, "a"), {Service: "seats"}})
	require.NoError(t, err)
	require.Equal(t, "a", id, "a recreated database joins the install")

	id, err = install.MigrateID([]install.State{{Service: "users"}, {Service: "seats"}})
	require.NoError(t, err)
	require.Empty(t, id, "a new install")

	_, err = install.MigrateID([]install.State{marked("users", 1, "a"), marked("catalog", 1, "a"), marked("seats", 2, "b")})
	require.ErrorContains(t, err, "seats database (seats.db) belongs to another install")
}

func TestLatest(t *testing.T) {
	v, err := install.Latest(fstest.MapFS{"00001_init.sql": {}, "00002_more.sql": {}, "README": {}})
	require.NoError(t, err)
	require.Equal(t, int64(2), v)
}
