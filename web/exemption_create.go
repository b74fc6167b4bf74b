package web

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/exempt"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/remediation"
)

// exemptionCreateFinding exempts a finding, its vulnerability in the
// image, or its vulnerability in the repository, from the finding's form.
func (h *Handler) exemptionCreateFinding(c echo.Context) error {
	id, err := positiveParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := formValues(c)
	back := returnPath(c, "/exemptions")

	e, err := h.exemptions().ExemptFinding(ctx, id, inputOf(v), actorOf(c))
	var bad exempt.Invalid
	if errors.As(err, &bad) {
		t, err := h.store.FindingTargetByID(ctx, id)
		if err != nil {
			return err
		}
		form := findingForm(t, back)
		form.Values, form.Errors, form.Open = v, bad, true
		return h.renderExemptForm(c, "Exempt a finding", remediation.ExemptFindingForm(form))
	}
	if err != nil {
		return err
	}
	if err := h.auditExemption(c, "exemption.create", e); err != nil {
		return err
	}
	return exemptionChanged(c, remediation.ExemptionNotice(noticeOf(e, true, back)), back)
}

// findingForm is the exempt form of a finding, empty.
func findingForm(t store.FindingTarget, returnTo string) remediation.FindingForm {
	return remediation.FindingForm{
		FindingID: t.FindingID, VulnID: t.VulnID, Package: t.PackageName + " " + t.PackageVersion,
		Repository: t.Repository, ReturnTo: returnTo, MaxJustification: exempt.MaxJustification,
	}
}

// exemptionCreateResource exempts one resource from a recommendation.
func (h *Handler) exemptionCreateResource(c echo.Context) error {
	rec, err := catalogueEntry(c)
	if err != nil {
		return err
	}
	id, err := positiveParam(c, "resource")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := formValues(c)
	back := returnPath(c, "/recommendations/"+rec.ID)

	e, err := h.exemptions().ExemptResource(ctx, rec.ID, id, inputOf(v), actorOf(c))
	var bad exempt.Invalid
	if errors.As(err, &bad) {
		res, err := h.store.RecommendationResource(ctx, rec.ID, id)
		if err != nil {
			return err
		}
		form := resourceForm(res, back)
		form.Values, form.Errors, form.Open = v, bad, true
		return h.renderExemptForm(c, "Exempt a resource", remediation.ExemptResourceForm(form))
	}
	if err != nil {
		return err
	}
	if err := h.auditExemption(c, "exemption.create", e); err != nil {
		return err
	}
	return exemptionChanged(c, remediation.ExemptionNotice(noticeOf(e, true, back)), back)
}

// resourceForm is the exempt form of a resource, empty.
func resourceForm(r store.ResourceRow, returnTo string) remediation.ResourceForm {
	return remediation.ResourceForm{
		RecommendationID: r.RecommendationID, ResourceID: r.ResourceID, Resource: resourceName(r),
		ReturnTo: returnTo, MaxJustification: exempt.MaxJustification,
	}
}
