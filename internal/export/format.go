package export

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Format names an output format, as `palisade scan --format` and the
// export endpoints spell it.
type Format string

// The formats Write knows.
const (
	FormatTable     Format = "table"
	FormatJSON      Format = "json"
	FormatSARIF     Format = "sarif"
	FormatCycloneDX Format = "cyclonedx"
	FormatCSV       Format = "csv"
)

// Formats lists every format, in the order help text shows them.
var Formats = []Format{FormatTable, FormatJSON, FormatSARIF, FormatCycloneDX, FormatCSV}

// ErrUnknownFormat is wrapped by ParseFormat for a name it does not know.
var ErrUnknownFormat = errors.New("unknown output format")

var writers = map[Format]func(io.Writer, *Report) error{
	FormatTable:     WriteTable,
	FormatJSON:      WriteJSON,
	FormatSARIF:     WriteSARIF,
	FormatCycloneDX: WriteCycloneDX,
	FormatCSV:       WriteCSV,
}

// ParseFormat reads a format name, case-insensitively.
func ParseFormat(name string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(name)))
	if _, ok := writers[f]; !ok {
		return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, name, formatList())
	}
	return f, nil
}

// ContentType is the media type to serve a format with.
func (f Format) ContentType() string {
	switch f {
	case FormatJSON:
		return "application/json"
	case FormatSARIF:
		return "application/sarif+json"
	case FormatCycloneDX:
		return "application/vnd.cyclonedx+json; version=1.6"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// Write writes r to w in format f.
func Write(w io.Writer, f Format, r *Report) error {
	write, ok := writers[f]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownFormat, f)
	}
	return write(w, r)
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
