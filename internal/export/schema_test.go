package export

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisadesec/palisade/internal/store"
)

// Official schemas copied into testdata (see testdata/SCHEMAS.md), keyed by
// the URL their $id and $ref use, so that nothing is fetched.
var (
	cycloneDXSchemaFiles = map[string]string{
		cycloneDXSchemaURI: "bom-1.6.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schema.json",
	}
	sarifSchemaFiles = map[string]string{
		sarifSchemaURI: "sarif-schema-2.1.0.json",
	}
)

var schemaCache sync.Map // main URL -> *jsonschema.Schema

func compileSchema(t *testing.T, main string, files map[string]string) *jsonschema.Schema {
	t.Helper()
	if s, ok := schemaCache.Load(main); ok {
		return s.(*jsonschema.Schema)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, name := range files {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
	}
	s, err := c.Compile(main)
	if err != nil {
		t.Fatalf("compile %s: %v", main, err)
	}
	schemaCache.Store(main, s)
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("output does not validate: %v\n%s", err, out)
	}
}

func schemaReports() []struct {
	name   string
	report *Report
} {
	rootfs := sampleReport()
	rootfs.Target, rootfs.Digest, rootfs.Platform = "/srv/rootfs", "", ""
	rootfs.OS = OS{}
	rootfs.Layers = nil
	for i := range rootfs.Packages {
		rootfs.Packages[i].LayerDiffID = ""
	}
	otherZone := sampleReport()
	otherZone.GeneratedAt = otherZone.GeneratedAt.In(time.FixedZone("IST", 5*3600+1800))
	return []struct {
		name   string
		report *Report
	}{
		{name: "sample image", report: sampleReport()},
		{name: "empty report", report: &Report{}},
		{name: "packages without findings", report: &Report{Target: "alpine:3.20",
			Packages: []store.PackageRecord{urllib3()}}},
		{name: "root filesystem without os or layers", report: rootfs},
		{name: "generation time outside UTC", report: otherZone},
		{name: "hostile text", report: hostileReport()},
	}
}

func TestCycloneDXValidatesAgainstSchema(t *testing.T) {
	s := compileSchema(t, cycloneDXSchemaURI, cycloneDXSchemaFiles)
	for _, tc := range schemaReports() {
		t.Run(tc.name, func(t *testing.T) {
			validate(t, s, write(t, WriteCycloneDX, tc.report))
		})
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	s := compileSchema(t, sarifSchemaURI, sarifSchemaFiles)
	for _, tc := range schemaReports() {
		t.Run(tc.name, func(t *testing.T) {
			validate(t, s, write(t, WriteSARIF, tc.report))
		})
	}
}

// The validators must be able to fail, or the tests above prove nothing.
func TestSchemasRejectBrokenDocuments(t *testing.T) {
	tests := []struct {
		name   string
		main   string
		files  map[string]string
		writer func(io.Writer, *Report) error
		break_ func(doc map[string]any)
	}{
		{
			name: "cyclonedx with an unknown component type", writer: WriteCycloneDX,
			main: cycloneDXSchemaURI, files: cycloneDXSchemaFiles,
			break_: func(doc map[string]any) {
				doc["components"].([]any)[0].(map[string]any)["type"] = "docker-image"
			},
		},
		{
			name: "cyclonedx with a bad analysis state", writer: WriteCycloneDX,
			main: cycloneDXSchemaURI, files: cycloneDXSchemaFiles,
			break_: func(doc map[string]any) {
				v := doc["vulnerabilities"].([]any)[1].(map[string]any)
				v["analysis"].(map[string]any)["state"] = "exempt"
			},
		},
		{
			name: "sarif with an unknown level", writer: WriteSARIF,
			main: sarifSchemaURI, files: sarifSchemaFiles,
			break_: func(doc map[string]any) {
				run := doc["runs"].([]any)[0].(map[string]any)
				run["results"].([]any)[0].(map[string]any)["level"] = "critical"
			},
		},
		{
			name: "sarif without a version", writer: WriteSARIF,
			main: sarifSchemaURI, files: sarifSchemaFiles,
			break_: func(doc map[string]any) { delete(doc, "version") },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := compileSchema(t, tc.main, tc.files)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(write(t, tc.writer, sampleReport())))
			if err != nil {
				t.Fatal(err)
			}
			tc.break_(inst.(map[string]any))
			if err := s.Validate(inst); err == nil {
				t.Error("a broken document validated")
			}
		})
	}
}
