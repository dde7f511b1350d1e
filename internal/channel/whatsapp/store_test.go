package whatsapp

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The device store opens on the pure-Go SQLite driver with foreign keys
// enforced (sqlstore relies on them to delete a device's keys), WAL and a
// busy timeout, in a private directory.
func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "mitra")
	st, err := Open(t.Context(), dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v %v, want mode 0700", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(st.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v %v, want mode 0600", fi.Mode().Perm(), err)
	}
	pragmas := []struct{ name, want string }{
		{"foreign_keys", "1"},
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
	}
	for _, p := range pragmas {
		var got string
		if err := st.db.QueryRowContext(t.Context(), "PRAGMA "+p.name).Scan(&got); err != nil || got != p.want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", p.name, got, err, p.want)
		}
	}
	_, err = st.db.ExecContext(t.Context(), `INSERT INTO whatsmeow_identity_keys (our_jid, their_id, identity) VALUES ('nobody@s.whatsapp.net', 'x', zeroblob(32))`)
	if err == nil {
		t.Error("a row referring to no device was stored: foreign keys are off")
	}
}

func TestOpenNeedsADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), file, quiet()); err == nil {
		t.Error("Open succeeded on a file")
	}
	if _, err := Open(t.Context(), "", quiet()); err == nil {
		t.Error("Open succeeded without a directory")
	}
}

// Everything that needs no network: the unpaired store, a paired device
// as the store shows it, the pairing time and the pacing state, across a
// reopen.
func TestStoreDevice(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	st, err := Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}

	if d, err := st.Device(ctx); err != nil || d.Paired {
		t.Fatalf("fresh store: %+v %v, want not paired", d, err)
	}
	c := New(Config{Store: st}, &fakeHandler{}, quiet())
	if err := c.Run(ctx); !errors.Is(err, ErrNotPaired) {
		t.Errorf("Run = %v, want ErrNotPaired", err)
	}
	if s := c.State().Status; s != StatusNotPaired {
		t.Errorf("status %s, want not_paired", s)
	}
	if _, _, err := st.Logout(ctx); !errors.Is(err, ErrNotPaired) {
		t.Errorf("Logout = %v, want ErrNotPaired", err)
	}
	if _, err := st.Pair(ctx, PairOptions{Phone: "0812345678"}); err == nil {
		t.Error("Pair accepted a local number")
	}

	// What a finished pairing leaves behind.
	dev := st.container.NewDevice()
	jid := types.NewADJID("6289990000001", 0, 7)
	dev.ID, dev.PushName, dev.Platform = &jid, "Toko Maju", "android"
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := dev.Save(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := st.Device(ctx)
	if err != nil || !d.Paired || d.Phone != "6289990000001" || d.PushName != "Toko Maju" || !d.PairedAt.IsZero() {
		t.Errorf("paired store: %+v %v", d, err)
	}
	if _, err := st.Pair(ctx, PairOptions{}); !errors.Is(err, ErrAlreadyPaired) {
		t.Errorf("Pair = %v, want ErrAlreadyPaired", err)
	}

	// A device paired before its time was kept starts its warm-up now.
	first := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if at, err := st.pairedAt(ctx, jid, first); err != nil || !at.Equal(first) {
		t.Errorf("pairedAt = %v %v", at, err)
	}
	if at, err := st.pairedAt(ctx, jid, first.Add(48*time.Hour)); err != nil || !at.Equal(first) {
		t.Errorf("pairedAt later = %v %v, want the first time kept", at, err)
	}
	state := pacerState{Day: "2026-03-02", Sent: 12, PausedUntil: first.Add(time.Hour), PauseReason: "temporary ban"}
	if err := st.savePacing(ctx, state); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if d, err := st.Device(ctx); err != nil || !d.PairedAt.Equal(first) {
		t.Errorf("after reopening: %+v %v", d, err)
	}
	if got, err := st.loadPacing(ctx); err != nil || got.Sent != 12 || !got.PausedUntil.Equal(state.PausedUntil) || got.PauseReason != state.PauseReason {
		t.Errorf("pacing after reopening: %+v %v", got, err)
	}
}

func TestValidatePhone(t *testing.T) {
	tests := []struct {
		phone string
		ok    bool
	}{
		{"6281234567890", true},
		{"14155550100", true},
		{"081234567890", false},
		{"+6281234567890", false},
		{"62 812", false},
		{"", false},
		{"62812", false},
	}
	for _, tt := range tests {
		if err := ValidatePhone(tt.phone); (err == nil) != tt.ok {
			t.Errorf("ValidatePhone(%q) = %v, want ok=%v", tt.phone, err, tt.ok)
		}
	}
}
