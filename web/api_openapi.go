package web

import (
	_ "embed"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	"sigs.k8s.io/yaml"
)

// openAPIYAML is the API's OpenAPI 3.1 description, written by hand next
// to the handlers. TestOpenAPICoversEveryRoute fails when a route of the
// table is missing from it, and TestAPIResponsesMatchOpenAPI validates a
// real response of every operation against it.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON is the description as JSON, converted once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	return yaml.YAMLToJSON(openAPIYAML)
})

// apiOpenAPI serves the OpenAPI document. It is public: it describes the
// API, not its data.
func (h *Handler) apiOpenAPI(c echo.Context) error {
	doc, err := openAPIJSON()
	if err != nil {
		return err
	}
	return apiWrite(c, http.StatusOK, "application/json", doc)
}
