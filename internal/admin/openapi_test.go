package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// openAPI is the part of the document the tests read.
type openAPI struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Required             []string                   `json:"required"`
			Properties           map[string]json.RawMessage `json:"properties"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
		} `json:"schemas"`
		Responses  map[string]json.RawMessage `json:"responses"`
		Parameters map[string]json.RawMessage `json:"parameters"`
	} `json:"components"`
}

type operation struct {
	Responses map[string]json.RawMessage `json:"responses"`
	Security  *[]any                     `json:"security"`
}

func loadDoc(t *testing.T) openAPI {
	t.Helper()
	var doc openAPI
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	return doc
}

// documented maps "METHOD pattern" to the statuses the document lists.
func documented(t *testing.T, doc openAPI) (map[string][]int, map[string]bool) {
	t.Helper()
	ops := map[string][]int{}
	public := map[string]bool{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			key := strings.ToUpper(method) + " " + path
			for code := range op.Responses {
				n, err := strconv.Atoi(code)
				if err != nil {
					t.Fatalf("%s: response %q is not a status code", key, code)
				}
				ops[key] = append(ops[key], n)
			}
			slices.Sort(ops[key])
			public[key] = op.Security != nil && len(*op.Security) == 0
		}
	}
	return ops, public
}

// Every documented operation is served and every served route is
// documented, with the same statuses and the same need for a token.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadDoc(t)
	ops, public := documented(t, doc)
	served := map[string]bool{}
	for _, rt := range routes {
		key := rt.method + " " + rt.pattern
		served[key] = true
		want := slices.Clone(rt.statuses)
		slices.Sort(want)
		got, ok := ops[key]
		if !ok {
			t.Errorf("%s is served but not documented", key)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: documented statuses %v, served %v", key, got, want)
		}
		if public[key] != rt.public {
			t.Errorf("%s: documented as public=%v, served as public=%v", key, public[key], rt.public)
		}
	}
	for key := range ops {
		if !served[key] {
			t.Errorf("%s is documented but not served", key)
		}
	}

	// Every reference points at something.
	for _, ref := range jsonRefs(openAPIDoc) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		var found bool
		switch parts[0] {
		case "schemas":
			_, found = doc.Components.Schemas[parts[1]]
		case "responses":
			_, found = doc.Components.Responses[parts[1]]
		case "parameters":
			_, found = doc.Components.Parameters[parts[1]]
		}
		if !found {
			t.Errorf("dangling $ref %s", ref)
		}
	}
}

func jsonRefs(doc []byte) []string {
	var refs []string
	for _, part := range bytes.Split(doc, []byte(`"$ref": "`))[1:] {
		end := bytes.IndexByte(part, '"')
		refs = append(refs, string(part[:end]))
	}
	return refs
}

// The schemas name exactly the JSON fields of the Go types; fields
// without omitempty are required; request bodies refuse other fields.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadDoc(t)
	types := map[string]any{
		"Error": ErrorBody{}, "Key": Key{}, "CreateKeyRequest": CreateKeyRequest{}, "KeyList": KeyList{},
		"ImportKeysRequest": ImportKeysRequest{}, "BatchResult": BatchResult{}, "InfoHash": InfoHash{},
		"InfoHashList": InfoHashList{}, "AddInfoHashesRequest": AddInfoHashesRequest{},
		"TorrentStats": TorrentStats{}, "TorrentList": TorrentList{}, "ReloadResult": ReloadResult{},
	}
	if len(types) != len(doc.Components.Schemas) {
		t.Errorf("%d schemas documented, %d types checked", len(doc.Components.Schemas), len(types))
	}
	for name, v := range types {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var fields, required []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			tag := rt.Field(i).Tag.Get("json")
			field, opts, _ := strings.Cut(tag, ",")
			fields = append(fields, field)
			if opts != "omitempty" {
				required = append(required, field)
			}
		}
		var props []string
		for p := range schema.Properties {
			props = append(props, p)
		}
		slices.Sort(fields)
		slices.Sort(props)
		if !slices.Equal(fields, props) {
			t.Errorf("%s: documented properties %v, Go fields %v", name, props, fields)
		}
		isRequest := strings.HasSuffix(name, "Request")
		if isRequest && (schema.AdditionalProperties == nil || *schema.AdditionalProperties) {
			t.Errorf("%s: request schemas must say additionalProperties: false", name)
		}
		gotReq := slices.Sorted(slices.Values(schema.Required))
		slices.Sort(required)
		if !slices.Equal(gotReq, required) {
			t.Errorf("%s: documented required %v, Go fields without omitempty %v", name, gotReq, required)
		}
	}
}

// Each documented status really comes out of its route: this runs a
// request for every (operation, status) pair the document lists, and
// checks that the set of statuses observed is the documented set.
func TestEveryDocumentedStatus(t *testing.T) {
	ops, _ := documented(t, loadDoc(t))
	var mu sync.Mutex
	seen := map[string][]int{}
	observe := func(method, pattern string, status int) {
		mu.Lock()
		defer mu.Unlock()
		key := method + " " + pattern
		if !slices.Contains(seen[key], status) {
			seen[key] = append(seen[key], status)
		}
	}
	a := newAPI(t)
	a.h.observe = observe
	broken := newAPI(t) // its database is closed and its stats fail: 500s
	broken.h.observe = observe
	broken.db.Close()
	broken.stats.fail = true
	broken.reloader.fail = true

	a.request(t, "POST", "/admin/keys", `{"key":"taken-key-0001"}`)
	huge := `{"note":"` + strings.Repeat("x", batchBody) + `"}`
	noAuth := []string{"Authorization", ""}
	textPlain := []string{"Content-Type", "text/plain"}
	type req struct {
		method, path string
		body         any
		headers      []string
	}
	reqs := []req{
		{"POST", "/admin/keys", `{"key":"taken-key-0001"}`, nil}, // 409, before the DELETE below
		{"GET", "/admin/keys?limit=-1", nil, nil},
		{"GET", "/admin/infohashes?limit=-1", nil, nil},
		{"GET", "/admin/torrents?limit=-1", nil, nil},
		{"GET", "/admin/keys/nobody-0000001", nil, nil},
		{"GET", "/admin/torrents/" + strings.Repeat("c", 40), nil, nil},
		{"GET", "/admin/torrents/nothex", nil, nil},
		{"DELETE", "/admin/infohashes/nothex", nil, nil},
		{"DELETE", "/admin/infohashes/" + strings.Repeat("c", 40), nil, nil},
		{"DELETE", "/admin/keys/nobody-0000001", nil, nil},
	}
	for _, rt := range routes {
		p := strings.NewReplacer("{key}", "taken-key-0001", "{info_hash}", hashA).Replace(rt.pattern)
		var good any
		switch rt.method + " " + rt.pattern {
		case "POST /admin/keys":
			good = `{"ttl":"1d"}`
		case "POST /admin/keys/import":
			good = `{"keys":["imported-key-1"]}`
		case "POST /admin/infohashes":
			good = `{"info_hashes":["` + hashA + `"]}`
		}
		reqs = append(reqs, req{rt.method, p, good, nil}, req{rt.method, p, good, noAuth})
		if good != nil {
			reqs = append(reqs, req{rt.method, p, `{"bogus":1}`, nil}, req{rt.method, p, huge, nil}, req{rt.method, p, good, textPlain})
		}
	}
	for _, r := range reqs {
		a.request(t, r.method, r.path, r.body, r.headers...)
		if r.headers == nil {
			broken.request(t, r.method, r.path, r.body)
		}
	}
	for key, want := range ops {
		got := slices.Sorted(slices.Values(seen[key]))
		if !slices.Equal(got, want) {
			t.Errorf("%s: documented %v, observed %v", key, want, got)
		}
	}
	for key := range seen {
		if _, ok := ops[key]; !ok {
			t.Errorf("%s observed but not documented", key)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	a := newAPI(t)
	r := a.request(t, "GET", "/admin/openapi.json", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || !bytes.Equal(r.body, openAPIDoc) {
		t.Fatalf("HTTP %d %s, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
}
