package scan

import (
	"context"
	"log/slog"
	"time"

	"github.com/palisadesec/palisade/internal/store"
)

// Notifier hears of scan outcomes people may want to be told of;
// internal/notify turns them into webhook deliveries. It is called after
// the outcome is committed. Its errors are logged, never returned: a
// notification that cannot be queued does not fail a scan.
type Notifier interface {
	// ScanFailed is called when a scan ended failed, after its last try.
	ScanFailed(ctx context.Context, sc store.Scan, reason string) error
	// FindingsAdded is called after a scan (scanID set) or a rematch
	// (scanID 0) wrote findings for images; the findings first seen at or
	// after since are new.
	FindingsAdded(ctx context.Context, scanID int64, imageIDs []int64, since time.Time) error
}

func (s *Service) notifyFailed(ctx context.Context, sc store.Scan, reason string) {
	if s.Notifier == nil {
		return
	}
	if err := s.Notifier.ScanFailed(ctx, sc, reason); err != nil {
		s.Logger.Error("Scan failure not notified", slog.Int64("scan_id", sc.ID), slog.Any("error", err))
	}
}

func (s *Service) notifyFindings(ctx context.Context, scanID int64, imageIDs []int64, since time.Time) {
	if s.Notifier == nil || len(imageIDs) == 0 {
		return
	}
	if err := s.Notifier.FindingsAdded(ctx, scanID, imageIDs, since); err != nil {
		s.Logger.Error("New findings not notified", slog.Int64("scan_id", scanID), slog.Any("error", err))
	}
}
