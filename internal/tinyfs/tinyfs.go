// Package tinyfs mounts a small private file system (tmpfs) for tests that
// run a store out of disk space, and fills it with a file that can be
// removed to give the space back.
package tinyfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// FS is a mounted tmpfs of a fixed size.
type FS struct {
	Dir    string // the mount point
	filler string
}

// Mount mounts a tmpfs of sizeBytes on a new directory and unmounts it
// when the test ends. Mounting needs root (CAP_SYS_ADMIN): without it the
// test is skipped, or fails when CI is set.
func Mount(tb testing.TB, sizeBytes int64) *FS {
	tb.Helper()
	dir, err := os.MkdirTemp("", "boxoffice-tinyfs")
	if err != nil {
		tb.Fatal(err)
	}
	opts := fmt.Sprintf("size=%d,mode=0750", sizeBytes)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		_ = os.Remove(dir)
		skipOrFail(tb, fmt.Sprintf("cannot mount a tmpfs (needs root): %v", err))
	}
	tb.Cleanup(func() {
		// MNT_DETACH: a process the test failed to stop may still hold a
		// file; the mount goes once it lets go.
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			tb.Errorf("tinyfs: unmount %s: %v", dir, err)
		}
		_ = os.Remove(dir)
	})
	return &FS{Dir: dir, filler: filepath.Join(dir, "filler")}
}

// Free returns the bytes left on the file system.
func (f *FS) Free() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(f.Dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}

// Fill appends to the filler file until at most leaveBytes are free (0:
// until a write fails with ENOSPC) and returns the filler's size.
func (f *FS) Fill(leaveBytes int64) (int64, error) {
	file, err := os.OpenFile(f.filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	chunk := make([]byte, 64<<10)
	for {
		free, err := f.Free()
		if err != nil {
			return 0, err
		}
		want := free - leaveBytes
		if want <= 0 {
			break
		}
		if _, err := file.Write(chunk[:min(int64(len(chunk)), want)]); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			return 0, err
		}
	}
	st, err := file.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Unfill removes the filler file, giving its space back.
func (f *FS) Unfill() error {
	if err := os.Remove(f.filler); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("tinyfs: %s (CI is set: the full-disk tests must run)", msg)
	}
	tb.Skipf("tinyfs: skipping: %s", msg)
}
