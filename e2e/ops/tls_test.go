package ops_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// tlsClient trusts any certificate (it is self-signed) and records the
// name of the one the server presented.
func tlsClient(seen *string) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // the test inspects the certificate itself
		VerifyConnection: func(cs tls.ConnectionState) error {
			*seen = cs.PeerCertificates[0].Subject.CommonName
			return nil
		},
	}}}
}

func dialWSS(t *testing.T, url string) (*websocket.Conn, string) {
	t.Helper()
	var cn string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: tlsClient(&cn)})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws, cn
}

func roundTrip(t *testing.T, ws *websocket.Conn, msg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, b, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The tracker serves wss:// and https:// itself and, on SIGHUP, switches to
// a renewed certificate without dropping the connections it has.
func TestTLSAndCertificateReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certstest.WriteSelfSigned(t, certFile, keyFile, "first.test")
	tr := trackerproc.Start(t, trackerBin, "SWARMBRIDGE_TLS_CERT="+certFile, "SWARMBRIDGE_TLS_KEY="+keyFile)
	wss := "wss://" + tr.HTTPAddr

	old, cn := dialWSS(t, wss)
	if cn != "first.test" {
		t.Fatalf("certificate %q, want first.test", cn)
	}
	ih := strings.Repeat(`\u0003`, 20)
	if got := roundTrip(t, old, `{"action":"announce","event":"started","left":0,"info_hash":"`+ih+`","peer_id":"AAAAAAAAAAAAAAAAAAAA"}`); !strings.Contains(got, `"interval"`) {
		t.Fatalf("announce over wss: %s", got)
	}

	// Renew, signal, and wait for new handshakes to get the new one.
	certstest.WriteSelfSigned(t, certFile, keyFile, "second.test")
	if err := tr.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, cn = dialWSS(t, wss)
		if cn == "second.test" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q 10s after SIGHUP", cn)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The connection opened before the reload still works.
	if got := roundTrip(t, old, `{"action":"scrape","info_hash":"`+ih+`"}`); !strings.Contains(got, `"complete":1`) {
		t.Fatalf("scrape over the old connection after reload: %s", got)
	}

	// HTTPS announces work too.
	var httpsCN string
	resp, err := tlsClient(&httpsCN).Get("https://" + tr.HTTPAddr + "/announce?info_hash=" + strings.Repeat("%01", 20) + "&peer_id=" + strings.Repeat("p", 20) + "&port=6881")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "d8:complete") || httpsCN != "second.test" {
		t.Fatalf("https announce: %q (certificate %q)", body, httpsCN)
	}

	// A broken renewal is refused and the working certificate stays.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tr.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(tr.Logs(), "TLS certificate not reloaded") {
		if time.Now().After(deadline) {
			t.Fatal("no log line about the failed reload")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, cn = dialWSS(t, wss); cn != "second.test" {
		t.Fatalf("after a broken renewal the certificate is %q", cn)
	}
}
