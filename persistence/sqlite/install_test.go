package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// createInstall makes a new install in a new directory and closes it.
func createInstall(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	return dir
}

func TestOpenRefusesMissingStoreUntilMigrate(t *testing.T) {
	dir := createInstall(t)
	require.NoError(t, os.Remove(filepath.Join(dir, "seats.db")))
	_, err := Open(t.Context(), dir)
	require.ErrorContains(t, err, "the seats database")
	require.ErrorContains(t, err, "is missing")
	_, statErr := os.Stat(filepath.Join(dir, "seats.db"))
	require.ErrorIs(t, statErr, os.ErrNotExist, "a refused start creates nothing")

	require.NoError(t, Migrate(t.Context(), dir), "migrate is how an operator recreates a store")
	s, err := Open(t.Context(), dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

func TestOpenRefusesStoreOfAnotherInstall(t *testing.T) {
	dir, other := createInstall(t), createInstall(t)
	data, err := os.ReadFile(filepath.Join(other, "seats.db"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seats.db"), data, 0o600))
	_, err = Open(t.Context(), dir)
	require.ErrorContains(t, err, "the seats database")
	require.ErrorContains(t, err, "belongs to another install")
	require.ErrorContains(t, Migrate(t.Context(), dir), "belongs to another install")
}
