package http_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
)

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

type openAPIOperation struct {
	OperationID string             `json:"operationId"`
	Security    *[]json.RawMessage `json:"security"`
	Parameters  []json.RawMessage  `json:"parameters"`
	Responses   map[string]any     `json:"responses"`
}

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
}

func loadOpenAPI(t *testing.T) (openAPIDoc, map[string]any) {
	t.Helper()
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(boxhttp.OpenAPI(), &doc))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(boxhttp.OpenAPI(), &raw))
	return doc, raw
}

// operations lists "METHOD /path" of every operation in the document.
func (d openAPIDoc) operations() []string {
	var out []string
	for p, item := range d.Paths {
		for m := range item {
			if slices.Contains(httpMethods, m) {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	slices.Sort(out)
	return out
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPIMatchesRoutes proves the document and the router agree: every
// registered route is documented and every documented route is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts := NewTestServer(t)
	var routes []string
	for _, r := range boxhttp.RoutesOf(ts.Server) {
		routes = append(routes, r[0]+" "+echoParam.ReplaceAllString(r[1], "{$1}"))
	}
	slices.Sort(routes)
	doc, _ := loadOpenAPI(t)
	ops := doc.operations()
	var undocumented, unrouted []string
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			undocumented = append(undocumented, r)
		}
	}
	for _, o := range ops {
		if !slices.Contains(routes, o) {
			unrouted = append(unrouted, o)
		}
	}
	assert.Empty(t, undocumented, "routes missing from openapi.json")
	assert.Empty(t, unrouted, "openapi.json operations the server does not route")
	assert.Len(t, routes, 38, "the routes of the API plus health and the document (metrics are on the ops listener)")
}

// TestOpenAPIDocument proves the document is well formed: OpenAPI 3.1,
// unique operation IDs, declared path parameters, and no dangling $ref.
func TestOpenAPIDocument(t *testing.T) {
	doc, raw := loadOpenAPI(t)
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	ids := map[string]bool{}
	for p, item := range doc.Paths {
		for m, op := range item {
			assert.NotEmpty(t, op.OperationID, "%s %s", m, p)
			assert.False(t, ids[op.OperationID], "duplicate operationId %s", op.OperationID)
			ids[op.OperationID] = true
			assert.NotEmpty(t, op.Responses, "%s %s", m, p)
			assert.Contains(t, op.Responses, "500", "%s %s", m, p)
			if strings.Contains(p, "{id}") {
				assert.NotEmpty(t, op.Parameters, "%s %s declares its path parameter", m, p)
			}
		}
	}
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && k == "$ref" {
					refs = append(refs, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(raw)
	require.NotEmpty(t, refs)
	for _, ref := range refs {
		var node any = raw
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := node.(map[string]any)
			require.True(t, ok, "dangling $ref %s", ref)
			node, ok = m[part]
			require.True(t, ok, "dangling $ref %s", ref)
		}
	}
}

// TestOpenAPISecurity proves the document tells the truth about auth: each
// operation it marks public answers without a token, and each other one
// answers 401 without a token.
func TestOpenAPISecurity(t *testing.T) {
	ts := MustOpenServer(t)
	doc, _ := loadOpenAPI(t)
	for p, item := range doc.Paths {
		for m, op := range item {
			url := strings.ReplaceAll(p, "{id}", boxoffice.NewID())
			if strings.HasPrefix(p, "/api/v1/holds/") {
				url = strings.ReplaceAll(p, "{id}", boxoffice.NewHoldID(boxoffice.NewID()))
			}
			var body any
			if m == "post" || m == "put" || m == "patch" {
				body = `{}`
			}
			r := ts.Do(t, strings.ToUpper(m), url, "", body)
			// Login and refresh may be 401 for bad credentials, but only the
			// token check asks for a bearer token.
			public := op.Security != nil && len(*op.Security) == 0
			if public {
				assert.Empty(t, r.Header.Get("WWW-Authenticate"), "%s %s is documented public", m, p)
			} else {
				assert.Equal(t, http.StatusUnauthorized, r.Status, "%s %s is documented as needing a token", m, p)
				assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"), "%s %s", m, p)
			}
			assert.Less(t, r.Status, 500, "%s %s: %s", m, p, r.Body)
		}
	}
	served := ts.Do(t, "GET", "/openapi.json", "", nil)
	assert.JSONEq(t, string(boxhttp.OpenAPI()), string(served.Body))
	assert.Equal(t, served.Body, ts.Do(t, "GET", "/api/v1/openapi.json", "", nil).Body)
}
