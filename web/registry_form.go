package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/store"
	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryForm reads the registry form into settings, and the values to
// show again if it must be corrected (secrets never are). Only the
// credentials of the chosen kind are kept, so that on edit, empty secret
// fields leave the stored ones in place (registries.Manager.Update).
func registryForm(c echo.Context) (registries.Settings, registriesview.FormValues, []string) {
	v := registriesview.FormValues{
		Name: strings.TrimSpace(c.FormValue("name")), URL: strings.TrimSpace(c.FormValue("url")),
		InsecureHTTP: c.FormValue("insecure_http") == "true", CABundle: strings.TrimSpace(c.FormValue("ca_bundle")),
		AuthKind: c.FormValue("auth_kind"), Username: strings.TrimSpace(c.FormValue("username")),
		Include: c.FormValue("include"), Exclude: c.FormValue("exclude"),
		ScanOnPush: c.FormValue("scan_on_push") == "true", PollInterval: strings.TrimSpace(c.FormValue("poll_interval")),
	}
	s := registries.Settings{
		Name: v.Name, URL: v.URL, InsecureHTTP: v.InsecureHTTP, CABundle: v.CABundle, AuthKind: v.AuthKind,
		IncludePatterns: lines(v.Include), ExcludePatterns: lines(v.Exclude), ScanOnPush: v.ScanOnPush,
	}
	switch v.AuthKind {
	case registries.AuthBasic:
		s.Credentials = registries.Credentials{Username: v.Username, Password: c.FormValue("password")}
	case registries.AuthBearer:
		s.Credentials = registries.Credentials{Token: strings.TrimSpace(c.FormValue("token"))}
	case registries.AuthDockerConfig:
		s.Credentials = registries.Credentials{DockerConfigJSON: strings.TrimSpace(c.FormValue("docker_config"))}
	}
	var problems []string
	if v.PollInterval != "" {
		d, err := time.ParseDuration(v.PollInterval)
		if err != nil {
			problems = append(problems, "poll interval: write it like 15m or 1h")
		}
		s.PollInterval = d
	}
	return s, v, problems
}

// lines splits a textarea into its non-empty trimmed lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// formProblems turns a failed save into the messages the form shows, or
// returns false for errors that are not the form's to explain.
func formProblems(err error, name string) ([]string, bool) {
	var invalid *registries.InvalidSettingsError
	switch {
	case errors.As(err, &invalid):
		var out []string
		for _, p := range invalid.Problems {
			out = append(out, p.Error())
		}
		return out, true
	case errors.Is(err, store.ErrConflict):
		return []string{fmt.Sprintf("name: a registry named %q is already connected", name)}, true
	}
	return nil, false
}

// registryFormValues are the values of a stored registry for the edit form.
func registryFormValues(r store.Registry, username string) registriesview.FormValues {
	v := registriesview.FormValues{
		Name: r.Name, URL: r.URL, InsecureHTTP: r.InsecureHTTP, CABundle: r.CABundle, AuthKind: r.AuthKind,
		Username: username, Include: strings.Join(r.IncludePatterns, "\n"), Exclude: strings.Join(r.ExcludePatterns, "\n"),
		ScanOnPush: r.ScanOnPush,
	}
	if r.PollInterval != nil {
		v.PollInterval = r.PollInterval.String()
	}
	return v
}

// needRegistrySettings refuses the registry settings when the server runs
// without a registry manager (only tests do).
func (h *Handler) needRegistrySettings() error {
	if h.regs == nil || h.store == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "registry settings are not configured")
	}
	return nil
}
