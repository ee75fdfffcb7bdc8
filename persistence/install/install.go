// Package install decides whether the six service databases are one
// install that a node may serve. A store that is lost (deleted, emptied,
// replaced by another install's copy) must stop the start: a node that
// recreated an empty seats store would show sold seats as free and sell
// them again. Only a first start (no service database holds anything) and
// `boxoffice migrate` create databases and apply migrations.
//
// Each database carries a marker written when it is created: the table
// boxoffice_meta with one row, the install ID, shared by the six. The
// schema version in goose's table says a database was migrated; the ID
// says it was migrated together with the others, so a database restored
// from another install (or created alone) is caught as well. An install
// that is whole but behind this binary's schema (an upgrade) is migrated
// forward by the start, as before markers existed: applying migrations to
// databases that hold their data loses nothing.
package install

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// MetaTable names the marker table in every service database.
const MetaTable = "boxoffice_meta"

// State is what a node found of one service's database at start.
type State struct {
	Service string
	// Where names the database for an operator: a file path or a
	// database name.
	Where string
	// Exists is false when the file or database is missing.
	Exists bool
	// Blank is true for a database that holds no table: a 0-byte file, a
	// database created but never migrated.
	Blank bool
	// Version is the schema version goose applied, 0 for none.
	Version int64
	// InstallID is the marker, "" when there is none.
	InstallID string
}

// empty reports whether the database holds nothing a start could lose.
func (s State) empty() bool { return !s.Exists || s.Blank }

// Plan is what a start does with the databases it found.
type Plan int

const (
	// Serve: the databases are one install, at the schema this binary
	// knows.
	Serve Plan = iota
	// Create: a first start; nothing exists yet, so create and migrate
	// every database and mark them with a new install ID.
	Create
	// Adopt: every database is migrated and none carries a marker, as an
	// install from before markers: mark them with a new install ID.
	Adopt
)

// Decide chooses the plan of a serving node from the state of every
// service's database and the latest schema version of each service, or
// explains, for each database at fault, what is wrong and what to do.
func Decide(states []State, latest map[string]int64) (Plan, error) {
	if !slices.ContainsFunc(states, func(s State) bool { return !s.empty() }) {
		return Create, nil
	}
	id := majorityID(states)
	var errs []error
	for _, s := range states {
		errs = append(errs, fault(s, id, latest[s.Service]))
	}
	if err := errors.Join(errs...); err != nil {
		return Serve, err
	}
	if id == "" {
		return Adopt, nil
	}
	return Serve, nil
}

// fault explains what keeps one database from serving with an install
// whose ID is id ("" when no database carries one), or returns nil.
func fault(s State, id string, latest int64) error {
	const restore = "restore it from a backup (the data in the other databases refers to it)"
	const newInstall = `or run "boxoffice migrate" if this is a new install`
	switch {
	case !s.Exists:
		return fmt.Errorf("the %s database (%s) is missing while the others hold data: %s, %s", s.Service, s.Where, restore, newInstall)
	case s.Blank:
		return fmt.Errorf("the %s database (%s) is empty while the others hold data: %s, %s", s.Service, s.Where, restore, newInstall)
	case s.Version > latest:
		return fmt.Errorf("the %s database (%s) is at schema version %d, newer than this binary knows (%d): run the newer binary", s.Service, s.Where, s.Version, latest)
	case s.Version == 0:
		return fmt.Errorf(`the %s database (%s) holds tables but no boxoffice schema: %s, or point the node at the right database`, s.Service, s.Where, restore)
	case id != "" && s.InstallID == "":
		return fmt.Errorf(`the %s database (%s) was not created with the others (it has no install ID): %s, or run "boxoffice migrate" to take it as it is`, s.Service, s.Where, restore)
	case s.InstallID != id:
		return fmt.Errorf("the %s database (%s) belongs to another install (ID %s, the others %s): restore this install's copy from a backup", s.Service, s.Where, s.InstallID, id)
	}
	return nil
}

// Steps is what a start or `boxoffice migrate` does to the databases.
type Steps struct {
	Create  bool   // create the missing databases (and migrate them)
	Migrate bool   // apply pending migrations
	MarkID  string // mark every database with this install ID; "" for none
}

// Prepare says what a serving node (migrating false) or `boxoffice
// migrate` (true) does with the databases it found, or why a node must not
// serve them. newID makes the ID of a new install.
func Prepare(states []State, latest map[string]int64, migrating bool, newID func() string) (Steps, error) {
	if migrating {
		id, err := MigrateID(states)
		if id == "" {
			id = newID()
		}
		return Steps{Create: true, Migrate: true, MarkID: id}, err
	}
	p, err := Decide(states, latest)
	if err != nil {
		return Steps{}, err
	}
	behind := slices.ContainsFunc(states, func(s State) bool { return s.Version < latest[s.Service] })
	switch p {
	case Create:
		return Steps{Create: true, Migrate: true, MarkID: newID()}, nil
	case Adopt:
		return Steps{Migrate: behind, MarkID: newID()}, nil
	}
	return Steps{Migrate: behind}, nil
}

// MigrateID is the install ID `boxoffice migrate` marks new and unmarked
// databases with: the one the marked databases share, or "" for a new
// install. Databases of two installs are an error, which migrate cannot
// settle.
func MigrateID(states []State) (string, error) {
	id := majorityID(states)
	var errs []error
	for _, s := range states {
		if s.InstallID != "" && s.InstallID != id {
			errs = append(errs, fault(s, id, s.Version))
		}
	}
	return id, errors.Join(errs...)
}

// majorityID is the install ID most databases carry (ties go to the
// smaller ID, so the answer does not depend on order), or "".
func majorityID(states []State) string {
	count := map[string]int{}
	for _, s := range states {
		if s.InstallID != "" {
			count[s.InstallID]++
		}
	}
	best := ""
	for _, id := range slices.Sorted(maps.Keys(count)) {
		if count[id] > count[best] {
			best = id
		}
	}
	return best
}

// Latest is the highest version among a service's goose migrations
// (files named <version>_<name>.sql in fsys).
func Latest(fsys fs.FS) (int64, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("migration %s: the name must start with a version: %w", e.Name(), err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// Versions is the newest schema version of each service, from a tree that
// holds one folder of goose migrations per service (migrations/<service>).
func Versions(migrations fs.FS, services []string) (map[string]int64, error) {
	versions := make(map[string]int64, len(services))
	for _, service := range services {
		fsys, err := fs.Sub(migrations, "migrations/"+service)
		if err != nil {
			return nil, err
		}
		if versions[service], err = Latest(fsys); err != nil {
			return nil, fmt.Errorf("%s migrations: %w", service, err)
		}
	}
	return versions, nil
}
