package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"
	"testing"

	"ecowatch/store"
	"ecowatch/store/storetest"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestImmutableFramesAndBackup(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	storetest.Seed(t, s)
	id, err := s.AppendFrame(ctx, store.Frame{Received: time.Now(), Raw: []byte("##evidence")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Writer().ExecContext(ctx, "UPDATE raw_frame SET raw = 'x' WHERE id = ?", id); err == nil || !strings.Contains(err.Error(), "never altered") {
		t.Fatalf("update of a raw frame: err = %v", err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, dst); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	// The copy is a working store with the same content.
	dir := filepath.Dir(dst)
	if err := os.Rename(dst, filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fs, err := c.Frames(ctx, store.FrameQuery{})
	if err != nil || len(fs) != 1 || string(fs[0].Raw) != "##evidence" {
		t.Fatalf("frames in backup = %+v, %v", fs, err)
	}
	if _, err := c.DeviceByMN(ctx, storetest.MN); err != nil {
		t.Fatal(err)
	}
}
