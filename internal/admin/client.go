package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls the management API.
type Client struct {
	// BaseURL is the API's address, e.g. "http://127.0.0.1:8081".
	BaseURL string
	// Token is the bearer token.
	Token []byte
	// HTTP sends the requests; nil means a client with a 30 s timeout.
	HTTP *http.Client
}

// APIError is an answer other than the one expected.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, http.StatusText(e.Status))
}

// maxResponse bounds what the client reads of an answer.
const maxResponse = 8 << 20

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// do sends one request and decodes the answer into out (when not nil),
// expecting status want.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any, want int) error {
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+string(c.Token))
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err // names the URL, which holds no secret
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = "unexpected answer from " + u
		}
		return &APIError{Status: resp.StatusCode, Message: eb.Error}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, path, err)
		}
	}
	return nil
}

// CreateKey creates a key (see CreateKeyRequest).
func (c *Client) CreateKey(ctx context.Context, req CreateKeyRequest) (Key, error) {
	var k Key
	err := c.do(ctx, "POST", "/admin/keys", nil, req, &k, http.StatusCreated)
	return k, err
}

// Key reads one key.
func (c *Client) Key(ctx context.Context, key string) (Key, error) {
	var k Key
	err := c.do(ctx, "GET", "/admin/keys/"+url.PathEscape(key), nil, nil, &k, http.StatusOK)
	return k, err
}

// Keys reads a page of keys after the key after (empty: from the first);
// limit 0 asks for the default page size.
func (c *Client) Keys(ctx context.Context, after string, limit int) (KeyList, error) {
	var l KeyList
	err := c.do(ctx, "GET", "/admin/keys", pageQuery(after, limit), nil, &l, http.StatusOK)
	return l, err
}

// AllKeys reads every key, page after page.
func (c *Client) AllKeys(ctx context.Context) ([]Key, error) {
	var all []Key
	after := ""
	for {
		page, err := c.Keys(ctx, after, MaxLimit)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Keys...)
		if page.Next == "" {
			return all, nil
		}
		after = page.Next
	}
}

// DeleteKey deletes a key.
func (c *Client) DeleteKey(ctx context.Context, key string) error {
	return c.do(ctx, "DELETE", "/admin/keys/"+url.PathEscape(key), nil, nil, nil, http.StatusNoContent)
}

// ImportKeys stores keys that never expire, MaxBatch per request.
func (c *Client) ImportKeys(ctx context.Context, keys []string, note string) (BatchResult, error) {
	var total BatchResult
	for start := 0; start < len(keys); start += MaxBatch {
		var r BatchResult
		chunk := keys[start:min(start+MaxBatch, len(keys))]
		if err := c.do(ctx, "POST", "/admin/keys/import", nil, ImportKeysRequest{Keys: chunk, Note: note}, &r, http.StatusOK); err != nil {
			return total, err
		}
		total.Added += r.Added
		total.Unchanged += r.Unchanged
	}
	return total, nil
}

// InfoHashes reads a page of the info hash list.
func (c *Client) InfoHashes(ctx context.Context, after string, limit int) (InfoHashList, error) {
	var l InfoHashList
	err := c.do(ctx, "GET", "/admin/infohashes", pageQuery(after, limit), nil, &l, http.StatusOK)
	return l, err
}

// AllInfoHashes reads the whole list, page after page, and its mode.
func (c *Client) AllInfoHashes(ctx context.Context) (InfoHashList, error) {
	var all InfoHashList
	after := ""
	for {
		page, err := c.InfoHashes(ctx, after, MaxLimit)
		if err != nil {
			return InfoHashList{}, err
		}
		all.Mode = page.Mode
		all.InfoHashes = append(all.InfoHashes, page.InfoHashes...)
		if page.Next == "" {
			return all, nil
		}
		after = page.Next
	}
}

// AddInfoHashes puts hashes (40 hex digits each) on the list, MaxBatch
// per request.
func (c *Client) AddInfoHashes(ctx context.Context, hashes []string, note string) (BatchResult, error) {
	var total BatchResult
	for start := 0; start < len(hashes); start += MaxBatch {
		var r BatchResult
		chunk := hashes[start:min(start+MaxBatch, len(hashes))]
		if err := c.do(ctx, "POST", "/admin/infohashes", nil, AddInfoHashesRequest{InfoHashes: chunk, Note: note}, &r, http.StatusOK); err != nil {
			return total, err
		}
		total.Added += r.Added
		total.Unchanged += r.Unchanged
	}
	return total, nil
}

// RemoveInfoHash takes a hash off the list.
func (c *Client) RemoveInfoHash(ctx context.Context, hash string) error {
	return c.do(ctx, "DELETE", "/admin/infohashes/"+url.PathEscape(hash), nil, nil, nil, http.StatusNoContent)
}

// Torrent reads one torrent's stats.
func (c *Client) Torrent(ctx context.Context, hash string) (TorrentStats, error) {
	var st TorrentStats
	err := c.do(ctx, "GET", "/admin/torrents/"+url.PathEscape(hash), nil, nil, &st, http.StatusOK)
	return st, err
}

// Busiest reads up to n of the torrents with the most peers (0: the
// default number).
func (c *Client) Busiest(ctx context.Context, n int) ([]TorrentStats, error) {
	var l TorrentList
	q := url.Values{}
	if n > 0 {
		q.Set("limit", strconv.Itoa(n))
	}
	err := c.do(ctx, "GET", "/admin/torrents", q, nil, &l, http.StatusOK)
	return l.Torrents, err
}

// Reload asks the tracker to reload its list files and certificate, and
// returns the policy then in force.
func (c *Client) Reload(ctx context.Context) (string, error) {
	var r ReloadResult
	err := c.do(ctx, "POST", "/admin/reload", nil, nil, &r, http.StatusOK)
	return r.Summary, err
}

func pageQuery(after string, limit int) url.Values {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// IsNotFound reports whether err is the API's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}
