package hostbench

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// Benchmark names the benchmark and version the catalogue implements.
const Benchmark = "CIS Docker Benchmark v1.6.0"

// Status is the outcome of one control for one resource.
type Status string

// The statuses a result can have.
const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusInfo          Status = "info"
	StatusManual        Status = "manual"
	StatusNotApplicable Status = "not_applicable"
)

// ResourceKind says what a result is about.
type ResourceKind string

// The resource kinds.
const (
	KindHost      ResourceKind = "host"
	KindContainer ResourceKind = "container"
	KindImage     ResourceKind = "image"
)

// Resource is the thing a result is about. For the host, ID and Name are
// empty.
type Resource struct {
	Kind ResourceKind `json:"kind"`
	ID   string       `json:"id,omitempty"`
	Name string       `json:"name,omitempty"`
	// Aliases are other names an exemption may use: an image's tags.
	Aliases []string `json:"aliases,omitempty"`
}

// String names the resource for people: "host", "container web (3f2a…)".
func (r Resource) String() string {
	switch r.Kind {
	case KindHost:
		return "host"
	default:
		id := r.ID
		if len(id) > 12 {
			id = id[:12]
		}
		if r.Name == "" {
			return fmt.Sprintf("%s %s", r.Kind, id)
		}
		return fmt.Sprintf("%s %s (%s)", r.Kind, r.Name, id)
	}
}

// Result is one control evaluated for one resource.
type Result struct {
	ControlID   string   `json:"control_id"`
	Title       string   `json:"title"`
	Section     string   `json:"section"`
	Level       int      `json:"level"`
	Assessment  string   `json:"assessment"`
	Automated   bool     `json:"automated"`
	Status      Status   `json:"status"`
	Evidence    string   `json:"evidence"`
	Resource    Resource `json:"resource"`
	Remediation string   `json:"remediation"`
	// Exempt is true when an exemption covers this result; Status keeps
	// what was found.
	Exempt        bool   `json:"exempt"`
	Justification string `json:"justification,omitempty"`
}

// Exemption waives a control, for every resource or for one. Resource may
// be "host", a container's name or ID (a prefix of at least 12 characters
// will do), or an image's ID or one of its tags.
type Exemption struct {
	ControlID     string `json:"control_id"`
	Resource      string `json:"resource,omitempty"`
	Justification string `json:"justification"`
}

// ErrBadExemption is wrapped by Evaluate's error for an exemption that names
// no known control or gives no justification.
var ErrBadExemption = errors.New("bad exemption")

// Validate checks that the exemption names a known control and says why.
func (x Exemption) Validate() error {
	if _, ok := controlByID[x.ControlID]; !ok {
		return fmt.Errorf("%w: no control %q in %s", ErrBadExemption, x.ControlID, Benchmark)
	}
	if strings.TrimSpace(x.Justification) == "" {
		return fmt.Errorf("%w: control %s: a justification is required", ErrBadExemption, x.ControlID)
	}
	return nil
}

func (x Exemption) covers(r Result) bool {
	if x.ControlID != r.ControlID {
		return false
	}
	want := strings.TrimPrefix(x.Resource, "/")
	if want == "" {
		return true
	}
	res := r.Resource
	switch {
	case res.Kind == KindHost:
		return want == "host"
	case want == res.Name:
		return true
	case res.ID != "" && (want == res.ID || len(want) >= 12 && strings.HasPrefix(strings.TrimPrefix(res.ID, "sha256:"), strings.TrimPrefix(want, "sha256:"))):
		return true
	}
	for _, a := range res.Aliases {
		if want == a {
			return true
		}
	}
	return false
}

// Options tune an evaluation.
type Options struct {
	// Exemptions are applied to the results; exempted results keep their
	// status and are marked Exempt.
	Exemptions []Exemption
	// TrustedDockerUsers, when set, lets 1.1.2 pass or fail: members of the
	// docker group outside this list fail it. Without it 1.1.2 is info.
	TrustedDockerUsers []string
	// MinEngineVersion, when set ("27.0"), lets 1.2.2 pass or fail.
	MinEngineVersion string
}

// Report is the outcome of one evaluation.
type Report struct {
	Benchmark string         `json:"benchmark"`
	Results   []Result       `json:"results"`
	Counts    map[Status]int `json:"counts"`
}

// Failing returns the failed results that are not exempt.
func (r *Report) Failing() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == StatusFail && !res.Exempt {
			out = append(out, res)
		}
	}
	return out
}

// Evaluate runs every control against the snapshot. The snapshot should have
// passed Validate; Evaluate still copes with missing parts by reporting them
// as not readable.
func Evaluate(s *hostsnapshot.Snapshot, opts Options) (*Report, error) {
	if s == nil {
		return nil, errors.New("evaluate: no snapshot")
	}
	for _, x := range opts.Exemptions {
		if err := x.Validate(); err != nil {
			return nil, err
		}
	}
	e := newEnv(s, opts)
	rep := &Report{Benchmark: Benchmark, Counts: map[Status]int{}}
	for i := range catalog {
		c := &catalog[i]
		for _, f := range c.eval(e) {
			rep.Results = append(rep.Results, c.result(f))
		}
	}
	for i := range rep.Results {
		for _, x := range opts.Exemptions {
			if x.covers(rep.Results[i]) {
				rep.Results[i].Exempt = true
				rep.Results[i].Justification = x.Justification
				break
			}
		}
		rep.Counts[rep.Results[i].Status]++
	}
	return rep, nil
}

// finding is what a control's rule returns; Evaluate adds the metadata.
type finding struct {
	status   Status
	evidence string
	resource Resource
}

func (c *Control) result(f finding) Result {
	if f.resource.Kind == "" {
		f.resource.Kind = KindHost
	}
	return Result{
		ControlID:   c.ID,
		Title:       c.Title,
		Section:     c.Section,
		Level:       c.Level,
		Assessment:  c.Assessment,
		Automated:   c.Automated(),
		Status:      f.status,
		Evidence:    f.evidence,
		Resource:    f.resource,
		Remediation: c.Remediation,
	}
}

func hostFinding(st Status, format string, args ...any) finding {
	return finding{status: st, evidence: fmt.Sprintf(format, args...), resource: Resource{Kind: KindHost}}
}

func one(f finding) []finding { return []finding{f} }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
