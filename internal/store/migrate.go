package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/palisadesec/palisade/migrations"
)

// Migrator applies the embedded migrations with golang-migrate.
type Migrator struct {
	m   *migrate.Migrate
	log *slog.Logger
}

// NewMigrator opens a dedicated connection for migrating databaseURL.
// golang-migrate takes a PostgreSQL advisory lock, so several processes
// starting at once apply each migration exactly once.
func NewMigrator(databaseURL string, log *slog.Logger) (*Migrator, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", redact(err))
	}
	db := stdlib.OpenDB(*cfg)
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connect for migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	m.Log = migrateLogger{log}
	return &Migrator{m: m, log: log}, nil
}

// Close releases the migration connection.
func (m *Migrator) Close() error {
	srcErr, dbErr := m.m.Close()
	return errors.Join(srcErr, dbErr)
}

// Up applies every pending migration.
func (m *Migrator) Up() error {
	err := m.m.Up()
	if errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down reverts the last n migrations.
func (m *Migrator) Down(n int) error {
	if n < 1 {
		return errors.New("migrate down: step count must be at least 1")
	}
	if err := m.m.Steps(-n); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down %d: %w", n, err)
	}
	return nil
}

// Force records version as applied and clean without running anything,
// for recovering by hand from a migration that failed half-way.
func (m *Migrator) Force(version int) error {
	if err := m.m.Force(version); err != nil {
		return fmt.Errorf("force schema version %d: %w", version, err)
	}
	return nil
}

// Version returns the applied version, whether the last migration failed
// half-way (dirty), and false when none has been applied.
func (m *Migrator) Version() (version uint, dirty, applied bool, err error) {
	version, dirty, err = m.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, false, nil
	}
	if err != nil {
		return 0, false, false, fmt.Errorf("read schema version: %w", err)
	}
	return version, dirty, true, nil
}

type migrateLogger struct{ log *slog.Logger }

func (l migrateLogger) Printf(format string, v ...any) {
	l.log.Info("Migration applied", slog.String("detail", strings.TrimSpace(fmt.Sprintf(format, v...))))
}

func (l migrateLogger) Verbose() bool { return false }

var migrationName = regexp.MustCompile(`^(\d+)_.+\.up\.sql$`)

var latestVersion = sync.OnceValues(func() (uint, error) {
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		return 0, err
	}
	var latest uint
	for _, e := range entries {
		if m := migrationName.FindStringSubmatch(e.Name()); m != nil {
			n, err := strconv.ParseUint(m[1], 10, 64)
			if err != nil {
				return 0, err
			}
			latest = max(latest, uint(n))
		}
	}
	return latest, nil
})

// LatestMigration returns the highest version among the embedded migrations.
func LatestMigration() (uint, error) {
	return latestVersion()
}

// ErrSchemaNotCurrent means the database answers but its schema is not the
// one this binary expects.
var ErrSchemaNotCurrent = errors.New("database schema is not current")

// CheckSchema reports whether the database is reachable and migrated to
// exactly the version this binary embeds.
func (s *Store) CheckSchema(ctx context.Context) error {
	want, err := LatestMigration()
	if err != nil {
		return err
	}
	var version int64
	var dirty bool
	err = s.pool.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&version, &dirty)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: no migration applied", ErrSchemaNotCurrent)
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if dirty || uint(version) != want {
		return fmt.Errorf("%w: at version %d (dirty=%t), binary expects %d", ErrSchemaNotCurrent, version, dirty, want)
	}
	return nil
}
