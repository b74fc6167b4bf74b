// Package static embeds the files served under /static: the stylesheet and
// the JavaScript that npm installs (htmx, copied to vendor/ by `make generate`).
package static

import "embed"

// FS holds css/, js/ (our own small scripts) and vendor/.
//
//go:embed css js vendor
var FS embed.FS
