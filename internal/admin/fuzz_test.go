package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
)

// fuzzRoutes are the routes that decode a body, with the type each
// decodes into and the type of its success answer.
var fuzzRoutes = []struct {
	path      string
	req, resp func() any
}{
	{"/admin/keys", func() any { return new(CreateKeyRequest) }, func() any { return new(Key) }},
	{"/admin/keys/import", func() any { return new(ImportKeysRequest) }, func() any { return new(BatchResult) }},
	{"/admin/infohashes", func() any { return new(AddInfoHashesRequest) }, func() any { return new(BatchResult) }},
}

// FuzzRequestJSON: any body, to any route that reads one. The handler
// must answer one of the route's documented statuses (never a 500: bad
// input is the client's fault), with a strict JSON body of the
// documented shape; and whatever the decoder accepts must survive a
// round trip through encoding/json unchanged.
func FuzzRequestJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"ttl":"30d","note":"alice"}`, `{"ttl":"permanent"}`, `{"key":"my-own-key-123"}`, `{"ttl":"1w2d3h4m5s"}`,
		`{"keys":["alice-0123456789","bob-0123456789"],"note":"file"}`, `{"info_hashes":["` + hashA + `"]}`,
		`{"ttl":"1d","extra":1}`, `{"ttl":30}`, `[]`, `null`, `{"ttl":"1d"}{}`, `{"ttl":"\u0000"}`, `{"note":"\ud800"}`,
		`{"keys":[]}`, `{"info_hashes":[null]}`, `{"TTL":"1d"}`, `{"ttl":"99999999999999999999d"}`, ` {"ttl":"1d"} `,
		`{"keys":["announce"]}`, `{"key":"announce"}`, `{"note":"line\nbreak"}`, "\xef\xbb\xbf{}", `{"ttl":"1d",}`,
	} {
		for r := range fuzzRoutes {
			f.Add(uint8(r), []byte(s))
		}
	}
	d, err := db.Open(context.Background(), dbtest.SQLite(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.Close() })
	h, err := New(Options{Token: []byte(testToken), Store: d, Stats: fakeStats{}, Reloader: &fakeReloader{}})
	if err != nil {
		f.Fatal(err)
	}
	statuses := map[string][]int{}
	for _, rt := range routes {
		if rt.method == "POST" {
			statuses[rt.pattern] = rt.statuses
		}
	}

	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		rt := fuzzRoutes[int(which)%len(fuzzRoutes)]

		// The decoder alone: what it accepts round-trips.
		v := rt.req()
		if err := decodeJSON(bytes.NewReader(body), batchBody, v); err == nil {
			again := rt.req()
			enc, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("accepted %q but cannot encode it: %v", body, err)
			}
			if err := decodeJSON(bytes.NewReader(enc), batchBody, again); err != nil || !reflect.DeepEqual(v, again) {
				t.Fatalf("%q → %+v → %s → %+v, %v", body, v, enc, again, err)
			}
		} else if _, ok := err.(*httpError); !ok {
			t.Fatalf("decode error of type %T: %v", err, err)
		}

		// The whole handler.
		req := httptest.NewRequest("POST", rt.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusInternalServerError || !slices.Contains(statuses[rt.path], rec.Code) {
			t.Fatalf("POST %s %q: HTTP %d %s", rt.path, body, rec.Code, rec.Body)
		}
		out := rt.resp()
		if rec.Code >= 300 {
			out = new(ErrorBody)
		}
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(out); err != nil {
			t.Fatalf("POST %s %q: HTTP %d, answer is not the documented JSON: %v", rt.path, body, rec.Code, err)
		}
		if eb, ok := out.(*ErrorBody); ok && eb.Error == "" {
			t.Fatalf("POST %s %q: HTTP %d with an empty error", rt.path, body, rec.Code)
		}
	})
}
