package admin

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/access"
)

func TestCreateListGetDeleteKeys(t *testing.T) {
	a := newAPI(t)

	// A random key that expires in 30 days.
	r := a.request(t, "POST", "/admin/keys", CreateKeyRequest{TTL: "30d", Note: "alice"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: HTTP %d %s", r.status, r.body)
	}
	var alice Key
	r.decode(t, &alice)
	if !access.ValidKey(alice.Key) || len(alice.Key) != access.GeneratedKeyLen || alice.Note != "alice" || alice.Expired {
		t.Fatalf("created %+v", alice)
	}
	if alice.ExpiresAt == nil || !alice.ExpiresAt.Equal(epoch.Add(30*24*time.Hour)) || !alice.CreatedAt.Equal(epoch) {
		t.Fatalf("times %+v", alice)
	}
	if loc := r.header.Get("Location"); loc != "/admin/keys/"+alice.Key {
		t.Fatalf("Location %q", loc)
	}

	// A permanent key, by omission and by name; a chosen key.
	for _, body := range []string{`{}`, `{"ttl":"permanent","note":"bob"}`, `{"key":"carol-chosen-key","ttl":"12h"}`} {
		r := a.request(t, "POST", "/admin/keys", body)
		var k Key
		r.decode(t, &k)
		if r.status != http.StatusCreated || (k.ExpiresAt == nil) == strings.Contains(body, "12h") {
			t.Fatalf("%s: HTTP %d %+v", body, r.status, k)
		}
	}
	if r := a.request(t, "POST", "/admin/keys", `{"key":"carol-chosen-key"}`); r.status != http.StatusConflict || r.errorText(t) != "already exists" {
		t.Fatalf("duplicate: HTTP %d %s", r.status, r.body)
	}
	// The key file alphabet and length rules, a TTL that does not parse:
	// 400 with the reason.
	for body, want := range map[string]string{
		`{"key":"short"}`:                             "8 to 128 characters",
		`{"key":"has a space 123"}`:                   "8 to 128 characters",
		`{"ttl":"30 days"}`:                           "ttl",
		`{"ttl":"0d"}`:                                "longer than zero",
		`{"ttl":"-1h"}`:                               "ttl",
		`{"ttl":"200000w"}`:                           "100 years",
		`{"note":"` + strings.Repeat("n", 300) + `"}`: "note",
	} {
		r := a.request(t, "POST", "/admin/keys", body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorText(t), want) {
			t.Errorf("%.40s: HTTP %d %s", body, r.status, r.body)
		}
	}

	// Listed in byte order, paged.
	var list KeyList
	a.request(t, "GET", "/admin/keys?limit=2", nil).decode(t, &list)
	if len(list.Keys) != 2 || list.Next != list.Keys[1].Key {
		t.Fatalf("first page %+v", list)
	}
	var rest KeyList
	a.request(t, "GET", "/admin/keys?limit=2&after="+list.Next, nil).decode(t, &rest)
	if len(rest.Keys) != 2 || rest.Next != "" || rest.Keys[0].Key <= list.Next {
		t.Fatalf("last page %+v", rest)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "limit=1&limit=2", "sort=key", "after=" + strings.Repeat("k", 129)} {
		if r := a.request(t, "GET", "/admin/keys?"+q, nil); r.status != http.StatusBadRequest {
			t.Errorf("?%s: HTTP %d", q, r.status)
		} else {
			r.errorText(t)
		}
	}

	// One key; marked expired once its time has come.
	var got Key
	a.request(t, "GET", "/admin/keys/"+alice.Key, nil).decode(t, &got)
	if got.Key != alice.Key || got.Expired {
		t.Fatalf("get %+v", got)
	}
	a.advance(30 * 24 * time.Hour)
	a.request(t, "GET", "/admin/keys/"+alice.Key, nil).decode(t, &got)
	if !got.Expired {
		t.Fatalf("not expired at its expiry: %+v", got)
	}

	// Deleted once; then gone.
	if r := a.request(t, "DELETE", "/admin/keys/"+alice.Key, nil); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: HTTP %d %q", r.status, r.body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if r := a.request(t, m, "/admin/keys/"+alice.Key, nil); r.status != http.StatusNotFound {
			t.Fatalf("%s after delete: HTTP %d", m, r.status)
		} else {
			r.errorText(t)
		}
	}
	a.request(t, "GET", "/admin/keys", nil).decode(t, &list)
	if len(list.Keys) != 3 {
		t.Fatalf("%d keys left, want 3", len(list.Keys))
	}
}

func TestImportKeysAPI(t *testing.T) {
	a := newAPI(t)
	var res BatchResult
	r := a.request(t, "POST", "/admin/keys/import", ImportKeysRequest{Keys: []string{"imported-key-1", "imported-key-2", "imported-key-1"}, Note: "keys.txt"})
	r.decode(t, &res)
	if r.status != http.StatusOK || res.Added != 2 || res.Unchanged != 1 {
		t.Fatalf("HTTP %d %+v", r.status, res)
	}
	too := make([]string, MaxBatch+1)
	for i := range too {
		too[i] = fmt.Sprintf("imported-key-%05d", i)
	}
	for name, body := range map[string]any{
		"none":     ImportKeysRequest{},
		"too many": ImportKeysRequest{Keys: too},
		"bad key":  ImportKeysRequest{Keys: []string{"fine-key-0001", "no"}},
	} {
		if r := a.request(t, "POST", "/admin/keys/import", body); r.status != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d %s", name, r.status, r.body)
		} else {
			r.errorText(t)
		}
	}
}

func TestInfoHashesAPI(t *testing.T) {
	a := newAPI(t)
	var res BatchResult
	r := a.request(t, "POST", "/admin/infohashes", AddInfoHashesRequest{InfoHashes: []string{hashA, strings.ToUpper(hashB)}, Note: "films"})
	r.decode(t, &res)
	if r.status != http.StatusOK || res.Added != 2 {
		t.Fatalf("add: HTTP %d %+v", r.status, res)
	}
	a.request(t, "POST", "/admin/infohashes", AddInfoHashesRequest{InfoHashes: []string{hashA}}).decode(t, &res)
	if res.Added != 0 || res.Unchanged != 1 {
		t.Fatalf("re-add: %+v", res)
	}

	var list InfoHashList
	a.request(t, "GET", "/admin/infohashes?limit=1", nil).decode(t, &list)
	if list.Mode != "allow" || len(list.InfoHashes) != 1 || list.InfoHashes[0].InfoHash != hashA || list.Next != hashA || list.InfoHashes[0].Note != "films" {
		t.Fatalf("first page %+v", list)
	}
	after := list.Next
	list = InfoHashList{}
	a.request(t, "GET", "/admin/infohashes?after="+strings.ToUpper(after), nil).decode(t, &list)
	if len(list.InfoHashes) != 1 || list.InfoHashes[0].InfoHash != hashB || list.Next != "" || !list.InfoHashes[0].AddedAt.Equal(epoch) {
		t.Fatalf("second page %+v", list)
	}

	for name, body := range map[string]any{
		"none":     AddInfoHashesRequest{},
		"short":    AddInfoHashesRequest{InfoHashes: []string{hashA[:39]}},
		"not hex":  AddInfoHashesRequest{InfoHashes: []string{strings.Repeat("z", 40)}},
		"magnet":   AddInfoHashesRequest{InfoHashes: []string{"magnet:?xt=urn:btih:" + hashA}},
		"too many": AddInfoHashesRequest{InfoHashes: make([]string, MaxBatch+1)},
	} {
		if r := a.request(t, "POST", "/admin/infohashes", body); r.status != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d", name, r.status)
		} else {
			r.errorText(t)
		}
	}
	if r := a.request(t, "GET", "/admin/infohashes?after=xyz", nil); r.status != http.StatusBadRequest {
		t.Errorf("bad cursor: HTTP %d", r.status)
	}

	if r := a.request(t, "DELETE", "/admin/infohashes/"+strings.ToUpper(hashA), nil); r.status != http.StatusNoContent {
		t.Fatalf("remove: HTTP %d %s", r.status, r.body)
	}
	if r := a.request(t, "DELETE", "/admin/infohashes/"+hashA, nil); r.status != http.StatusNotFound {
		t.Fatalf("second remove: HTTP %d", r.status)
	}
	if r := a.request(t, "DELETE", "/admin/infohashes/abc", nil); r.status != http.StatusBadRequest {
		t.Fatalf("bad hash: HTTP %d", r.status)
	}
	list = InfoHashList{}
	a.request(t, "GET", "/admin/infohashes", nil).decode(t, &list)
	if len(list.InfoHashes) != 1 || list.InfoHashes[0].InfoHash != hashB {
		t.Fatalf("left %+v", list)
	}
}

// Bodies are bounded, strict JSON objects of the documented fields, sent
// as application/json; each fault gets its own status and a JSON error.
func TestRequestBodies(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct {
		name, path, body, ctype string
		status                  int
		want                    string
	}{
		{"bad JSON", "/admin/keys", `{"ttl": "1d"`, "", 400, "request body"},
		{"not JSON", "/admin/keys", `ttl=1d`, "", 400, "request body"},
		{"empty", "/admin/keys", ``, "", 400, "empty request body"},
		{"unknown field", "/admin/keys", `{"ttl":"1d","admin":true}`, "", 400, `unknown field "admin"`},
		{"unknown field in batch", "/admin/infohashes", `{"info_hashes":["` + hashA + `"],"mode":"deny"}`, "", 400, `unknown field "mode"`},
		{"wrong type", "/admin/keys", `{"ttl":30}`, "", 400, "request body"},
		{"array", "/admin/keys", `[{"ttl":"1d"}]`, "", 400, "want a JSON object"},
		{"null", "/admin/keys", `null`, "", 400, "want a JSON object"},
		{"two objects", "/admin/keys", `{"ttl":"1d"}{"ttl":"2d"}`, "", 400, "data after the JSON object"},
		{"trailing garbage", "/admin/keys", `{"ttl":"1d"} x`, "", 400, "data after the JSON object"},
		{"too large", "/admin/keys", `{"note":"` + strings.Repeat("x", smallBody) + `"}`, "", 413, "larger than 4096 bytes"},
		{"too large, endless", "/admin/keys", `{"ttl":"1d"}` + strings.Repeat(" ", smallBody), "", 413, "larger than 4096 bytes"},
		{"too large batch", "/admin/infohashes", `{"info_hashes":["` + strings.Repeat(hashA+`","`, batchBody/43) + hashA + `"]}`, "", 413, "larger than 262144 bytes"},
		{"form", "/admin/keys", `{"ttl":"1d"}`, "application/x-www-form-urlencoded", 415, "application/json"},
		{"text", "/admin/infohashes", `{}`, "text/plain", 415, "application/json"},
	} {
		headers := []string{}
		if tc.ctype != "" {
			headers = []string{"Content-Type", tc.ctype}
		}
		r := a.request(t, "POST", tc.path, tc.body, headers...)
		if r.status != tc.status {
			t.Errorf("%s: HTTP %d %s, want %d", tc.name, r.status, r.body, tc.status)
			continue
		}
		if msg := r.errorText(t); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.name, msg, tc.want)
		}
	}
	// A charset parameter is fine.
	if r := a.request(t, "POST", "/admin/keys", `{"ttl":"1d"}`, "Content-Type", "application/json; charset=utf-8"); r.status != http.StatusCreated {
		t.Errorf("charset: HTTP %d %s", r.status, r.body)
	}
	// Nothing that was refused was stored.
	if keys, _ := a.db.Keys(t.Context(), "", 0); len(keys) != 1 {
		t.Fatalf("%d keys stored", len(keys))
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	a := newAPI(t)
	r := a.request(t, "PUT", "/admin/keys", `{}`)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST, GET" {
		t.Fatalf("PUT /admin/keys: HTTP %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	r.errorText(t)
	for _, p := range []string{"/admin/nothing", "/admin/keys/a/b", "/", "/announce"} {
		r := a.request(t, "GET", p, nil)
		if r.status != http.StatusNotFound || !strings.Contains(r.errorText(t), "openapi.json") {
			t.Errorf("%s: HTTP %d %s", p, r.status, r.body)
		}
	}
}

func TestTorrentStatsAndReload(t *testing.T) {
	a := newAPI(t)
	var st TorrentStats
	r := a.request(t, "GET", "/admin/torrents/"+strings.ToUpper(hashA), nil)
	r.decode(t, &st)
	if r.status != http.StatusOK || st.Downloaded != 42 || st.PeersByKind["webrtc"] != 6 || st.FirstSeen == nil || !st.FirstSeen.Equal(epoch) {
		t.Fatalf("HTTP %d %+v", r.status, st)
	}
	if r := a.request(t, "GET", "/admin/torrents/"+strings.Repeat("c", 40), nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown torrent: HTTP %d", r.status)
	}
	if r := a.request(t, "GET", "/admin/torrents/xyz", nil); r.status != http.StatusBadRequest {
		t.Fatalf("bad hash: HTTP %d", r.status)
	}
	var list TorrentList
	a.request(t, "GET", "/admin/torrents?limit=1", nil).decode(t, &list)
	if len(list.Torrents) != 1 || list.Torrents[0].InfoHash != hashA {
		t.Fatalf("busiest %+v", list)
	}
	a.request(t, "GET", "/admin/torrents", nil).decode(t, &list)
	if len(list.Torrents) != 2 {
		t.Fatalf("busiest %+v", list)
	}
	if r := a.request(t, "GET", "/admin/torrents?limit=101", nil); r.status != http.StatusBadRequest {
		t.Fatalf("limit 101: HTTP %d", r.status)
	}

	var rr ReloadResult
	a.request(t, "POST", "/admin/reload", nil).decode(t, &rr)
	if !strings.Contains(rr.Summary, "allow-list: 2 hashes") {
		t.Fatalf("reload %+v", rr)
	}
	a.reloader.fail = true
	r = a.request(t, "POST", "/admin/reload", nil)
	if r.status != http.StatusInternalServerError || !strings.Contains(r.errorText(t), "allow.txt: line 3") {
		t.Fatalf("failed reload: HTTP %d %s", r.status, r.body)
	}
}

// When the database or the swarm store fails, the client gets a 500 that
// says to look in the log, and the log has the cause.
func TestInternalErrors(t *testing.T) {
	a := newAPI(t)
	a.db.Close()
	a.stats.fail = true
	for _, rq := range []struct{ method, path, body string }{
		{"POST", "/admin/keys", `{}`},
		{"GET", "/admin/keys", ""},
		{"GET", "/admin/keys/some-key-123", ""},
		{"DELETE", "/admin/keys/some-key-123", ""},
		{"POST", "/admin/keys/import", `{"keys":["some-key-123"]}`},
		{"GET", "/admin/infohashes", ""},
		{"POST", "/admin/infohashes", `{"info_hashes":["` + hashA + `"]}`},
		{"DELETE", "/admin/infohashes/" + hashA, ""},
		{"GET", "/admin/torrents", ""},
		{"GET", "/admin/torrents/" + hashA, ""},
	} {
		var body any
		if rq.body != "" {
			body = rq.body
		}
		r := a.request(t, rq.method, rq.path, body)
		if r.status != http.StatusInternalServerError || !strings.Contains(r.errorText(t), "log") {
			t.Errorf("%s %s: HTTP %d %s", rq.method, rq.path, r.status, r.body)
		}
	}
	logs := a.logs.String()
	if !strings.Contains(logs, "database is closed") || !strings.Contains(logs, "swarm store down") {
		t.Fatalf("causes not logged:\n%s", logs)
	}
}

// One line per request, naming the route pattern rather than the path
// (paths carry keys), never a header.
func TestRequestLog(t *testing.T) {
	a := newAPI(t)
	a.request(t, "DELETE", "/admin/keys/secret-user-key-1", nil)
	logs := a.logs.String()
	if !strings.Contains(logs, `"route":"/admin/keys/{key}"`) || !strings.Contains(logs, `"status":404`) || !strings.Contains(logs, `"method":"DELETE"`) {
		t.Fatalf("request not logged:\n%s", logs)
	}
	if strings.Contains(logs, "secret-user-key-1") || strings.Contains(logs, "Bearer") {
		t.Fatalf("the log shows a key or the Authorization header:\n%s", logs)
	}
}
