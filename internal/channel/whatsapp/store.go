package whatsapp

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	// The pure-Go SQLite driver, so Mitra builds without cgo.
	_ "modernc.org/sqlite"

	"github.com/mitra-care/mitra/internal/care"
)

// DBFile is the device store's file name in the data directory.
const DBFile = "whatsapp.db"

// Store is the WhatsApp device store: the keys that make Mitra a linked
// device of the shop's number, whatsmeow's Signal sessions and buffers,
// and the little Mitra keeps beside them (pairing time, pacing). It is
// whatsmeow's sqlstore on SQLite. Whoever holds this file holds the
// number: keep the data directory private and backed up.
type Store struct {
	db        *sql.DB
	container *sqlstore.Container
	path      string
	log       *slog.Logger
}

// dsn opens SQLite the way whatsmeow needs it: foreign keys on (sqlstore
// refuses to start otherwise), WAL so readers do not block the writer,
// a busy timeout instead of instant "database is locked" errors, and
// immediate transactions so two writers queue instead of deadlocking.
// modernc's driver takes pragmas as _pragma=name(value).
func dsn(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate"
}

// Open opens (creating if needed) the device store in dataDir, which is
// created private to the user (0700).
func Open(ctx context.Context, dataDir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if dataDir == "" {
		return nil, errors.New("whatsapp store: no data directory (MITRA_DATA_DIR)")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("whatsapp store: create data directory: %w", err)
	}
	path := filepath.Join(dataDir, DBFile)
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("whatsapp store %s: %w", path, err)
	}
	// sqlstore wants the dialect name; dbutil reads any "sqlite…" as
	// SQLite.
	container := sqlstore.NewWithDB(db, "sqlite", newWALogger(log, care.Pseudonyms{}).Sub("Store"))
	if err := container.Upgrade(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("whatsapp store %s: prepare tables: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS mitra_whatsapp (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("whatsapp store %s: prepare tables: %w", path, err)
	}
	// The file holds the number's keys.
	_ = os.Chmod(path, 0o600)
	return &Store{db: db, container: container, path: path, log: log}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file, for messages that tell people where it is.
func (s *Store) Path() string { return s.path }

// Device describes the linked number, for `mitra whatsapp status`.
type Device struct {
	Paired bool `json:"paired"`
	// Phone is the number's digits with the country code.
	Phone        string    `json:"phone,omitempty"`
	PushName     string    `json:"push_name,omitempty"`
	BusinessName string    `json:"business_name,omitempty"`
	Platform     string    `json:"platform,omitempty"`
	PairedAt     time.Time `json:"paired_at,omitzero"` // zero when unknown
}

// Device reports the linked number without connecting to WhatsApp, so it
// is safe while `mitra serve` runs.
func (s *Store) Device(ctx context.Context) (Device, error) {
	dev, err := s.device(ctx)
	if err != nil {
		return Device{}, err
	}
	return s.describe(ctx, dev)
}

func (s *Store) describe(ctx context.Context, dev *store.Device) (Device, error) {
	if dev.ID == nil {
		return Device{}, nil
	}
	d := Device{Paired: true, Phone: dev.ID.User, PushName: dev.PushName, BusinessName: dev.BusinessName, Platform: dev.Platform}
	var p pairing
	ok, err := s.get(ctx, keyPairing, &p)
	if err != nil {
		return Device{}, err
	}
	if ok && p.JID == dev.ID.String() {
		d.PairedAt = p.At
	}
	return d, nil
}

// device is the store's device: the paired one, or a fresh one to pair.
func (s *Store) device(ctx context.Context) (*store.Device, error) {
	dev, err := s.container.GetFirstDevice(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsapp store %s: read device: %w", s.path, err)
	}
	return dev, nil
}

// Rows of the mitra_whatsapp table.
const (
	keyPairing = "pairing"
	keyPacing  = "pacing"
)

// pairing records when the device was linked: the warm-up counts from it.
type pairing struct {
	JID string    `json:"jid"`
	At  time.Time `json:"at"`
}

// pairedAt returns when jid was paired. A device paired before Mitra kept
// the time starts its warm-up at now: too slow is safe, too fast is not.
func (s *Store) pairedAt(ctx context.Context, jid types.JID, now time.Time) (time.Time, error) {
	var p pairing
	ok, err := s.get(ctx, keyPairing, &p)
	if err != nil {
		return time.Time{}, err
	}
	if ok && p.JID == jid.String() {
		return p.At, nil
	}
	if err := s.setPairedAt(ctx, jid, now); err != nil {
		return time.Time{}, err
	}
	return now, nil
}

func (s *Store) setPairedAt(ctx context.Context, jid types.JID, at time.Time) error {
	return s.put(ctx, keyPairing, pairing{JID: jid.String(), At: at.UTC()})
}

func (s *Store) loadPacing(ctx context.Context) (pacerState, error) {
	var st pacerState
	_, err := s.get(ctx, keyPacing, &st)
	return st, err
}

func (s *Store) savePacing(ctx context.Context, st pacerState) error {
	return s.put(ctx, keyPacing, st)
}

func (s *Store) get(ctx context.Context, key string, v any) (bool, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM mitra_whatsapp WHERE key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("whatsapp store: read %s: %w", key, err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("whatsapp store: read %s: %w", key, err)
	}
	return true, nil
}

func (s *Store) put(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("whatsapp store: write %s: %w", key, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO mitra_whatsapp (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, string(raw)); err != nil {
		return fmt.Errorf("whatsapp store: write %s: %w", key, err)
	}
	return nil
}

func (s *Store) remove(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM mitra_whatsapp WHERE key = ?`, key); err != nil {
		return fmt.Errorf("whatsapp store: delete %s: %w", key, err)
	}
	return nil
}

// prepare sets what whatsmeow keeps in package variables before a
// connection: the name the phone shows under "Linked devices", and the
// current WhatsApp Web version when web.whatsapp.com is reachable
// (WhatsApp refuses versions it considers too old; the one built into
// whatsmeow is kept otherwise). Call it before creating a client, never
// while one connects.
func prepare(ctx context.Context, log *slog.Logger) {
	store.SetOSInfo("Mitra", [3]uint32{1, 0, 0})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	current := store.GetWAVersion()
	latest, err := whatsmeow.GetLatestVersion(ctx, nil)
	if err != nil {
		log.Info("could not fetch the current WhatsApp Web version; using the built-in one", "version", current.String(), "err", err)
		return
	}
	if current.LessThan(*latest) {
		store.SetWAVersion(*latest)
		log.Info("using the current WhatsApp Web version", "version", latest.String(), "built_in", current.String())
	}
}
