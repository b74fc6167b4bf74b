package hosts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/internal/hostbench"
	"github.com/palisadesec/palisade/internal/store"
)

// ErrBadExemption wraps what is wrong with an exemption someone asked for.
var ErrBadExemption = hostbench.ErrBadExemption

// Limits on exemption fields, which come from forms.
const (
	maxJustification = 2000
	maxResource      = 300
)

// Actor is who changes something, for the record.
type Actor struct {
	UserID *int64
	Name   string
}

// Exempt waives a control on a host, for every resource (x.Resource ""),
// the host itself ("host"), or one container (name or ID) or image (ID or
// tag), and evaluates the host's latest snapshot again. The same control
// and resource exempted twice gives store.ErrConflict.
func (s *Service) Exempt(ctx context.Context, hostID int64, x hostbench.Exemption, by Actor) (store.HostExemption, error) {
	// "/web" and "web" name the same container; store one spelling.
	x.Resource = strings.TrimPrefix(strings.TrimSpace(x.Resource), "/")
	x.Justification = strings.TrimSpace(x.Justification)
	if err := x.Validate(); err != nil {
		return store.HostExemption{}, err
	}
	if len(x.Justification) > maxJustification || len(x.Resource) > maxResource {
		return store.HostExemption{}, fmt.Errorf("%w: justification over %d or resource over %d characters",
			ErrBadExemption, maxJustification, maxResource)
	}
	var out store.HostExemption
	err := s.store.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := s.store.LockHostTx(ctx, tx, hostID); err != nil {
			return err
		}
		var err error
		out, err = s.store.AddHostExemptionTx(ctx, tx, store.HostExemption{
			HostID: hostID, ControlID: x.ControlID, Resource: x.Resource, Justification: x.Justification,
			CreatedByUserID: by.UserID, CreatedByName: by.Name,
		})
		if err != nil {
			return err
		}
		return s.reevaluateTx(ctx, tx, hostID)
	})
	if err != nil {
		return store.HostExemption{}, err
	}
	s.log.Info("Host control exempted", slog.Int64("host_id", hostID), slog.String("control_id", x.ControlID),
		slog.String("resource", x.Resource), slog.String("by", by.Name))
	return out, nil
}

// Unexempt removes one of a host's exemptions and evaluates the host's
// latest snapshot again.
func (s *Service) Unexempt(ctx context.Context, hostID, exemptionID int64) (store.HostExemption, error) {
	var out store.HostExemption
	err := s.store.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := s.store.LockHostTx(ctx, tx, hostID); err != nil {
			return err
		}
		var err error
		if out, err = s.store.DeleteHostExemptionTx(ctx, tx, hostID, exemptionID); err != nil {
			return err
		}
		return s.reevaluateTx(ctx, tx, hostID)
	})
	if err != nil {
		return store.HostExemption{}, err
	}
	s.log.Info("Host control exemption removed", slog.Int64("host_id", hostID),
		slog.String("control_id", out.ControlID), slog.String("resource", out.Resource))
	return out, nil
}

// IsBadRequest reports whether err is the caller's mistake rather than the
// server's: a bad token lifetime, host name or exemption.
func IsBadRequest(err error) bool {
	return errors.Is(err, ErrBadTTL) || errors.Is(err, ErrBadHostname) || errors.Is(err, ErrBadExemption)
}
