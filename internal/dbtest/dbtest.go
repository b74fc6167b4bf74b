// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that has every migration applied.
//
// The template is named after a hash of the migration files, so it is built
// once per schema and reused by every test and package. `make test` starts a
// private PostgreSQL server and exports TEST_DATABASE_URL; without it, tests
// that need the database fail with a message saying so. They never skip.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/migrations"
)

// EnvVar names the variable holding the test server's URL (any database on
// a role allowed to create databases).
const EnvVar = "TEST_DATABASE_URL"

// templateLock is the advisory lock key that serialises template creation
// across the parallel test processes of one `go test ./...` run.
const templateLock = 727274001

// ServerURL returns TEST_DATABASE_URL or fails the test with how to set it.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		t.Fatalf("%s is not set: this test needs PostgreSQL. Run `make test`, which starts a private server, or export %s=postgres://...", EnvVar, EnvVar)
	}
	return u
}

// New returns a pool on a fresh database with the current schema, and its
// URL. The database is dropped when the test passes and kept (its URL
// logged) when it fails, for a look afterwards.
func New(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx := context.Background()
	server := ServerURL(t)

	tmpl, err := ensureTemplate(ctx, server)
	if err != nil {
		t.Fatalf("prepare template database: %v", err)
	}
	name := "test_" + randomHex(8)
	admin := connect(t, server)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl)); err != nil {
		t.Fatalf("clone template database: %v", err)
	}

	dbURL := withDatabase(server, name)
	pool, err := store.OpenPool(ctx, dbURL, 10)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		if t.Failed() {
			t.Logf("kept test database for inspection: %s", dbURL)
			return
		}
		dropDatabase(t, server, name)
	})
	return pool, dbURL
}

func dropDatabase(t testing.TB, server, name string) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Errorf("connect to drop %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

// ensureTemplate creates and migrates the template for the current
// migrations unless another process already did.
func ensureTemplate(ctx context.Context, server string) (string, error) {
	name, err := templateName()
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w (is the server from `make test` running?)", EnvVar, err)
	}
	defer conn.Close(ctx)

	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, templateLock); err != nil {
		return "", fmt.Errorf("lock template creation: %w", err)
	}
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, templateLock) //nolint:errcheck // released on close anyway

	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists)
	if err != nil || exists {
		return name, err
	}
	// A half-built template from an interrupted run is not marked as one.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
		return "", err
	}
	if err := migrateDatabase(withDatabase(server, name)); err != nil {
		return "", err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s IS_TEMPLATE true`, name))
	return name, err
}

func migrateDatabase(dbURL string) error {
	m, err := store.NewMigrator(dbURL, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up()
}

// templateName hashes every migration file, so a schema change gets a new
// template instead of reusing a stale one.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.FS.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return "tmpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

func connect(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("connect to %s: %v (is the server from `make test` running?)", EnvVar, err)
	}
	return conn
}

// withDatabase returns dbURL pointing at another database name.
func withDatabase(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(fmt.Sprintf("dbtest: %s is not a URL", EnvVar))
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
