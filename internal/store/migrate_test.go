package store_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/store"
)

func TestSchemaIsCurrentAfterMigrations(t *testing.T) {
	pool, _ := dbtest.New(t)
	if err := store.New(pool).CheckSchema(context.Background()); err != nil {
		t.Fatalf("CheckSchema on a migrated database: %v", err)
	}
}

// River's own migrator must agree that the schema our migrations built is
// complete, or River would refuse to work or miss a table.
func TestRiverAgreesSchemaIsCurrent(t *testing.T) {
	pool, _ := dbtest.New(t)
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Validate(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK {
		t.Errorf("River reports its schema incomplete: %v", res.Messages)
	}
}

func TestMigrateDownAndUpAgain(t *testing.T) {
	pool, dbURL := dbtest.New(t)
	ctx := context.Background()
	m, err := store.NewMigrator(dbURL, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	latest, err := store.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}

	if err := m.Down(1); err != nil {
		t.Fatalf("Down(1): %v", err)
	}
	v, dirty, applied, err := m.Version()
	if err != nil || !applied || dirty || v != latest-1 {
		t.Fatalf("after Down(1): version %d dirty %t applied %t err %v; want %d clean", v, dirty, applied, err, latest-1)
	}
	if err := store.New(pool).CheckSchema(ctx); !errors.Is(err, store.ErrSchemaNotCurrent) {
		t.Errorf("CheckSchema one migration behind = %v, want ErrSchemaNotCurrent", err)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("Up: %v", err)
	}
	if err := store.New(pool).CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema after Up: %v", err)
	}
	if err := m.Down(0); err == nil {
		t.Error("Down(0) succeeded, want an error")
	}
}
