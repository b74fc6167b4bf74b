package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/palisadesec/palisade/internal/store"
)

// ScanFailedData is the data of a scan.failed event.
type ScanFailedData struct {
	ScanID     int64  `json:"scan_id"`
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Reference  string `json:"reference"`
	Digest     string `json:"digest,omitempty"`
	Reason     string `json:"reason"`
	Attempts   int    `json:"attempts"`
	URL        string `json:"url,omitempty"`
}

// ScanFailed emits scan.failed; the scan worker calls it through
// scan.Notifier once a scan ended failed.
func (s *Service) ScanFailed(ctx context.Context, sc store.Scan, reason string) error {
	d := ScanFailedData{ScanID: sc.ID, Repository: sc.Repository, Reference: sc.Reference, Digest: sc.Digest,
		Reason: reason, Attempts: sc.Attempts}
	if sc.RegistryID != nil {
		if r, err := s.o.Store.RegistryByID(ctx, *sc.RegistryID); err == nil {
			d.Registry = r.Name
		}
	}
	if s.o.BaseURL != "" {
		d.URL = fmt.Sprintf("%s/api/v1/scans/%d", s.o.BaseURL, sc.ID)
	}
	text := fmt.Sprintf("Palisade: scan %d of %s/%s:%s failed: %s", sc.ID, d.Registry, sc.Repository, sc.Reference, reason)
	return s.Emit(ctx, Event{Name: EventScanFailed, Data: d, Text: text})
}

// NewFindingsData is the data of a finding.new_critical_or_high event:
// one image and the findings that are new in it.
type NewFindingsData struct {
	// ScanID is the scan that found them; 0 when a rematch against new
	// advisory data did.
	ScanID     int64          `json:"scan_id,omitempty"`
	Trigger    string         `json:"trigger"`
	ImageID    int64          `json:"image_id"`
	Registry   string         `json:"registry"`
	Repository string         `json:"repository"`
	Digest     string         `json:"digest"`
	Critical   int            `json:"critical"`
	High       int            `json:"high"`
	Findings   []FindingEntry `json:"findings"`
	URL        string         `json:"url,omitempty"`
}

// FindingEntry is one new finding in an event.
type FindingEntry struct {
	VulnID           string   `json:"vuln_id"`
	Aliases          []string `json:"aliases"`
	Severity         string   `json:"severity"`
	CVSSScore        *float64 `json:"cvss_score"`
	Package          string   `json:"package"`
	InstalledVersion string   `json:"installed_version"`
	FixedVersion     string   `json:"fixed_version"`
}

// maxEventFindings caps the findings one event lists; the counts cover
// all of them.
const maxEventFindings = 100

// FindingsAdded emits finding.new_critical_or_high for every image among
// imageIDs that gained critical or high findings since since; the scan
// worker (scanID set) and the rematch (scanID 0) call it through
// scan.Notifier.
func (s *Service) FindingsAdded(ctx context.Context, scanID int64, imageIDs []int64, since time.Time) error {
	found, err := s.o.Store.NewFindingsSince(ctx, imageIDs, since, []string{"critical", "high"})
	if err != nil || len(found) == 0 {
		return err
	}
	trigger := "scan"
	if scanID == 0 {
		trigger = "rematch"
	}
	var events []NewFindingsData
	for _, f := range found {
		if len(events) == 0 || events[len(events)-1].ImageID != f.ImageID {
			events = append(events, NewFindingsData{ScanID: scanID, Trigger: trigger, ImageID: f.ImageID,
				Registry: f.Registry, Repository: f.Repository, Digest: f.Digest, Findings: []FindingEntry{}})
		}
		d := &events[len(events)-1]
		if f.SeverityLevel == "critical" {
			d.Critical++
		} else {
			d.High++
		}
		if len(d.Findings) < maxEventFindings {
			d.Findings = append(d.Findings, FindingEntry{VulnID: f.VulnID, Aliases: nonNil(f.Aliases),
				Severity: f.SeverityLevel, CVSSScore: f.SeverityScore, Package: f.PackageName,
				InstalledVersion: f.PackageVersion, FixedVersion: f.FixedVersion})
		}
	}
	for _, d := range events {
		if s.o.BaseURL != "" {
			d.URL = fmt.Sprintf("%s/api/v1/images/%d", s.o.BaseURL, d.ImageID)
		}
		if err := s.Emit(ctx, Event{Name: EventNewCriticalOrHigh, Data: d, Text: findingsText(d)}); err != nil {
			return err
		}
	}
	return nil
}

func findingsText(d NewFindingsData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Palisade: %d new critical and %d new high findings in %s/%s@%s", d.Critical, d.High,
		d.Registry, d.Repository, d.Digest)
	for i, f := range d.Findings {
		if i == 5 {
			fmt.Fprintf(&b, "\n… and %d more", d.Critical+d.High-5)
			break
		}
		fixed := "no fix yet"
		if f.FixedVersion != "" {
			fixed = "fixed in " + f.FixedVersion
		}
		fmt.Fprintf(&b, "\n• %s (%s) in %s %s, %s", f.VulnID, f.Severity, f.Package, f.InstalledVersion, fixed)
	}
	return b.String()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
