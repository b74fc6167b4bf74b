package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/registry"
)

// ErrBadPayload means a webhook body is not a push notification we read.
var ErrBadPayload = errors.New("not a registry push notification")

// WebhookResult says what a push notification led to.
type WebhookResult struct {
	Events  int
	Queued  int
	Skipped int
}

// HandleWebhook authenticates a registry's push notification, records the
// tags it names and queues a scan for every digest not scanned yet. It
// accepts CNCF distribution envelopes and Harbor PUSH_ARTIFACT events.
func (s *Service) HandleWebhook(ctx context.Context, token, authorization string, body []byte) (WebhookResult, error) {
	conn, err := s.Registries.Authenticate(ctx, token, authorization)
	if err != nil {
		return WebhookResult{}, err
	}
	events, err := parsePushEvents(body)
	if err != nil {
		return WebhookResult{}, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	res := WebhookResult{Events: len(events)}
	for _, ev := range events {
		queued, err := s.handlePush(ctx, conn, ev)
		if err != nil {
			return res, err
		}
		if queued {
			res.Queued++
		} else {
			res.Skipped++
		}
	}
	return res, nil
}

func parsePushEvents(body []byte) ([]registry.PushEvent, error) {
	if bytes.Contains(body, []byte(`"events"`)) {
		return registry.ParseDistributionEvents(body)
	}
	return registry.ParseHarborEvent(body)
}

// handlePush records where the tag points and queues a scan of the digest
// unless the registry does not scan on push, the repository is filtered
// out, or the digest was scanned (or queued) before.
func (s *Service) handlePush(ctx context.Context, conn registries.Connection, ev registry.PushEvent) (bool, error) {
	if err := ev.Validate(); err != nil {
		s.Logger.Warn("Push notification with an invalid name ignored", slog.String("registry", conn.Name), slog.Any("error", err))
		return false, nil
	}
	log := s.Logger.With(slog.String("registry", conn.Name), slog.String("repository", ev.Repository),
		slog.String("digest", ev.Digest), slog.String("tag", ev.Tag))
	if !registry.MatchRepository(ev.Repository, conn.IncludePatterns, conn.ExcludePatterns) {
		log.Debug("Push ignored: repository filtered out")
		return false, nil
	}
	if ev.Tag != "" {
		if err := s.recordTag(ctx, conn.ID, ev.Repository, ev.Tag, ev.Digest); err != nil {
			return false, err
		}
	}
	if !conn.ScanOnPush {
		log.Debug("Push recorded; scan on push is off")
		return false, nil
	}
	ref := ev.Tag
	if ref == "" {
		ref = ev.Digest
	}
	q, err := s.Enqueue(ctx, Request{
		RegistryID: conn.ID, Repository: ev.Repository, Reference: ref, Digest: ev.Digest, Trigger: TriggerPush,
	})
	if err != nil {
		return false, err
	}
	if q.Skipped != "" {
		log.Debug("Push not scanned", slog.String("reason", q.Skipped))
		return false, nil
	}
	return true, nil
}

func (s *Service) recordTag(ctx context.Context, registryID int64, repository, tag, digest string) error {
	return pgx.BeginFunc(ctx, s.Store.Pool(), func(tx pgx.Tx) error {
		repoID, err := s.Store.UpsertRepositoryTx(ctx, tx, registryID, repository)
		if err != nil {
			return err
		}
		moved, err := s.Store.RecordTagTx(ctx, tx, repoID, tag, digest)
		if moved {
			s.Logger.Info("Tag points to a new digest", slog.String("repository", repository),
				slog.String("tag", tag), slog.String("digest", digest))
		}
		return err
	})
}
