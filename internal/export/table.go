package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/palisadesec/palisade/internal/advisory"
	"github.com/palisadesec/palisade/internal/store"
)

// WriteTable writes the report for a terminal: a line naming the target, a
// summary line (open findings per level, exempt ones, healthy or not), and
// a table of findings worst first with the columns SEVERITY, VULNERABILITY,
// PACKAGE, TYPE, INSTALLED, FIXED IN, STATUS and LAYER. Package names and
// versions come from the image, so control and bidirectional-override
// characters in them are replaced before they reach the terminal.
func WriteTable(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintln(ew, termSafe(targetLine(r)))
	fmt.Fprintln(ew, summaryLine(r.Summary()))
	if len(r.Findings) == 0 {
		fmt.Fprintln(ew, "\nNo vulnerabilities found.")
		return ew.err
	}

	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tVULNERABILITY\tPACKAGE\tTYPE\tINSTALLED\tFIXED IN\tSTATUS\tLAYER")
	for _, f := range r.sortedFindings() {
		cells := []string{
			severityLabel(f.FindingRecord), f.VulnID, f.Package.Name, f.Package.Type,
			f.Package.Version, orDash(f.FixedVersion), statusLabel(f), layerLabel(f.Package),
		}
		for i, c := range cells {
			cells[i] = termSafe(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return ew.err
}

func targetLine(r *Report) string {
	var details []string
	if r.Digest != "" {
		details = append(details, shortDigest(r.Digest))
	}
	if r.Platform != "" {
		details = append(details, r.Platform)
	}
	if name := osLabel(r.OS); name != "" {
		details = append(details, name)
	}
	line := r.Target
	if line == "" {
		line = "(unnamed target)"
	}
	if len(details) > 0 {
		line += " (" + strings.Join(details, ", ") + ")"
	}
	return line
}

func summaryLine(s Summary) string {
	verdict := "Healthy"
	if !s.Healthy {
		verdict = "Unhealthy"
	}
	open := s.Total - s.Exempt
	counts := fmt.Sprintf("critical: %d, high: %d, medium: %d, low: %d, unknown: %d",
		s.Critical, s.High, s.Medium, s.Low, s.Unknown)
	if s.None > 0 {
		counts += fmt.Sprintf(", none: %d", s.None)
	}
	line := fmt.Sprintf("%s: %d open %s (%s)", verdict, open, plural(open, "finding"), counts)
	if s.Exempt > 0 {
		line += fmt.Sprintf(", %d exempt", s.Exempt)
	}
	return line
}

func osLabel(o OS) string {
	if o.Name != "" {
		return o.Name
	}
	return strings.TrimSpace(o.ID + " " + o.Version)
}

func severityLabel(f store.FindingRecord) string {
	label := strings.ToUpper(NormalizeLevel(f.SeverityLevel))
	if f.SeverityScore != nil {
		label += " " + formatScore(*f.SeverityScore)
	}
	return label
}

func statusLabel(f Finding) string {
	var label string
	switch advisory.FixStatus(f.FixStatus) {
	case advisory.FixStatusFixed:
		label = "fixed"
	case advisory.FixStatusNoFix:
		label = "no fix yet"
	case advisory.FixStatusWillNotFix:
		label = "will not fix"
	default:
		label = f.FixStatus
	}
	switch {
	case f.Exempt && label != "":
		return label + ", exempt"
	case f.Exempt:
		return "exempt"
	}
	return orDash(label)
}

// layerLabel names the layer a package came from by index and the start of
// its diff id; a root filesystem has no layers.
func layerLabel(p store.PackageRecord) string {
	if p.LayerDiffID == "" {
		return "-"
	}
	return strconv.Itoa(p.LayerIndex) + " " + shortDigest(p.LayerDiffID)
}

// shortDigest keeps the algorithm and the first 12 hex digits.
func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return alg + ":" + hex[:12]
}

func formatScore(score float64) string {
	return strconv.FormatFloat(score, 'f', 1, 64)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// termSafe replaces what could move the cursor, rewrite the screen or
// reorder text (control characters, bidirectional overrides, invalid
// UTF-8) with U+FFFD. Tabs go too, so that tabwriter cells stay intact.
func termSafe(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) || r == utf8.RuneError {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Zl, unicode.Zp)
}

// errWriter keeps the first write error so that a run of Fprint calls can
// be checked once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
