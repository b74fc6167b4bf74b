package web

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestOpenAPIHasNoNullValues catches YAML mistakes that the OpenAPI
// meta-schema allows: an unquoted description with a comma inside a flow
// mapping splits into a stray key with a null value.
func TestOpenAPIHasNoNullValues(t *testing.T) {
	b, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s is null (an unquoted YAML value split in two?)", path)
		case map[string]any:
			for k, x := range v {
				walk(path+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s/%d", path, i), x)
			}
		}
	}
	walk("#", doc)
}
