package trackerclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// HTTPClient talks to one HTTP or HTTPS tracker. It is safe for
// concurrent use.
type HTTPClient struct {
	announce  *url.URL
	scrape    *url.URL // nil when scrapeErr says why
	scrapeErr error
	hc        *http.Client
	ownHC     bool
	userAgent string
	header    http.Header
	maxBody   int64

	mu        sync.Mutex
	trackerID string // the last "tracker id" the tracker sent
	closed    bool
}

// NewHTTP returns a client for an http:// or https:// announce URL. It
// does no I/O.
func NewHTTP(announceURL string, opts Options) (*HTTPClient, error) {
	u, err := url.Parse(announceURL)
	if err != nil {
		return nil, fmt.Errorf("tracker URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %q is not http or https", ErrUnsupportedScheme, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("tracker URL %q has no host", announceURL)
	}
	u.Fragment, u.RawFragment = "", ""
	c := &HTTPClient{announce: u, hc: opts.HTTPClient, userAgent: opts.UserAgent, header: opts.Header, maxBody: opts.MaxResponseSize}
	c.scrape, c.scrapeErr = scrapeURL(u)
	if c.hc == nil {
		tr, ok := http.DefaultTransport.(*http.Transport)
		if ok {
			tr = tr.Clone()
		} else { // a program replaced the default with its own kind
			tr = &http.Transport{Proxy: http.ProxyFromEnvironment}
		}
		if opts.TLSConfig != nil {
			tr.TLSClientConfig = opts.TLSConfig.Clone()
		}
		c.hc = &http.Client{Transport: tr}
		c.ownHC = true
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseSize
	}
	return c, nil
}

// ScrapeURL returns the BEP 48 scrape URL, or an error wrapping
// ErrNoScrapeURL that says why there is none.
func (c *HTTPClient) ScrapeURL() (string, error) {
	if c.scrapeErr != nil {
		return "", c.scrapeErr
	}
	return c.scrape.String(), nil
}

// Announce sends req. A "tracker id" in the reply is remembered and sent
// with later announces that do not set TrackerID.
func (c *HTTPClient) Announce(ctx context.Context, req AnnounceRequest) (*AnnounceResponse, error) {
	c.mu.Lock()
	tid := c.trackerID
	c.mu.Unlock()
	body, status, err := c.get(ctx, "announce", withQuery(c.announce, announceQuery(req, tid)))
	if err != nil {
		return nil, err
	}
	r, err := parseAnnounceReply(body, status)
	if err != nil {
		return nil, fmt.Errorf("announce: %w", err)
	}
	if r.TrackerID != "" {
		c.mu.Lock()
		c.trackerID = r.TrackerID
		c.mu.Unlock()
	}
	return r, nil
}

// Scrape asks for the given swarms in one request (trackers cap how many
// hashes one scrape may carry; Swarmbridge and opentracker allow 100).
// With no hashes it is a full scrape, which most trackers refuse.
func (c *HTTPClient) Scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*ScrapeResponse, error) {
	if c.scrapeErr != nil {
		return nil, c.scrapeErr
	}
	body, status, err := c.get(ctx, "scrape", withQuery(c.scrape, scrapeQuery(hashes)))
	if err != nil {
		return nil, err
	}
	r, err := parseScrapeReply(body, status, hashes)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	return r, nil
}

// get fetches rawURL and returns a body of at most maxBody bytes. A status
// other than 200 is returned with the body, for the caller to look for a
// bencoded failure in it, unless the body is not bencode at all.
func (c *HTTPClient) get(ctx context.Context, op, rawURL string) ([]byte, int, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, 0, ErrClosed
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	for k, vs := range c.header {
		hreq.Header[k] = append([]string(nil), vs...)
	}
	hreq.Header.Set("User-Agent", c.userAgent)
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	// A connection that goes idle after Close must not keep its
	// goroutines (runs after the body is closed: defers are LIFO).
	defer c.closeIdleIfClosed()
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: reading the reply: %w", op, err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, 0, fmt.Errorf("%s: %w: the reply is larger than %d bytes", op, ErrMalformed, c.maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		// A bencoded failure with a 4xx status is still a failure the
		// tracker meant for us; anything else is an HTTP error.
		var fe *FailureError
		if _, _, err := decodeReply(body, resp.StatusCode); errors.As(err, &fe) {
			return nil, 0, fmt.Errorf("%s: %w", op, fe)
		}
		n := min(len(body), 200)
		return nil, 0, fmt.Errorf("%s: %w", op, &StatusError{StatusCode: resp.StatusCode, Body: string(body[:n])})
	}
	return body, resp.StatusCode, nil
}

func (c *HTTPClient) closeIdleIfClosed() {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed && c.ownHC {
		c.hc.CloseIdleConnections()
	}
}

// Close closes the idle connections of the client's own transport (one
// given in Options.HTTPClient is left alone). Later requests fail with
// ErrClosed.
func (c *HTTPClient) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.ownHC {
		c.hc.CloseIdleConnections()
	}
	return nil
}
