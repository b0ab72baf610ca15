package udptracker

import (
	"bytes"
	"testing"
)

func TestParseOptions(t *testing.T) {
	cases := []struct {
		name    string
		opts    string
		want    string
		wantOK  bool
		wantNil bool
	}{
		{name: "none", opts: "", wantNil: true, wantOK: true},
		{name: "passkey URL", opts: exURLData, want: "/announce?passkey=abc", wantOK: true},
		{name: "concatenated", opts: "02 03 2f 61 6e 01 02 02 6e 6f 00", want: "/anno", wantOK: true},
		{name: "nop only", opts: "01 01 01", wantNil: true, wantOK: true},
		{name: "end stops parsing", opts: "02 01 2f 00 02 01 78", want: "/", wantOK: true},
		{name: "end first", opts: "00 02 01 2f", wantNil: true, wantOK: true},
		{name: "unknown type skipped", opts: "07 02 aa bb 02 01 2f ff 00", want: "/", wantOK: true},
		{name: "empty urldata is present", opts: "02 00", want: "", wantOK: true},
		{name: "truncated data", opts: "02 05 2f 61", wantNil: true},
		{name: "missing length byte", opts: "02 01 2f 02", wantNil: true},
		{name: "unknown missing length", opts: "09", wantNil: true},
		{name: "truncated after good option", opts: exURLData + " 02 ff 00", wantNil: true},
		{name: "trailing zero padding", opts: "02 01 2f 00 00 00", want: "/", wantOK: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, dst := range [][]byte{nil, make([]byte, 0, 4), make([]byte, 0, 512)} {
				got, ok := parseOptions(unhex(t, c.opts), dst)
				if ok != c.wantOK {
					t.Fatalf("ok %v", ok)
				}
				if c.wantNil {
					if got != nil {
						t.Fatalf("urlData %q, want nil", got)
					}
					continue
				}
				if got == nil || string(got) != c.want {
					t.Fatalf("urlData %q (nil %v), want %q", got, got == nil, c.want)
				}
			}
		})
	}
}

func TestParseOptionsLong(t *testing.T) {
	// libtorrent splits URLs longer than 255 bytes over several options.
	url := bytes.Repeat([]byte("abcdefghij"), 60)
	var opts []byte
	for rest := url; len(rest) > 0; {
		n := min(len(rest), 255)
		opts = append(append(opts, optURLData, byte(n)), rest[:n]...)
		rest = rest[n:]
	}
	buf := make([]byte, 0, 16)
	got, ok := parseOptions(opts, buf)
	if !ok || !bytes.Equal(got, url) {
		t.Fatalf("ok %v, got %d bytes", ok, len(got))
	}
}

func TestParseOptionsNoAlloc(t *testing.T) {
	opts := unhex(t, exURLData)
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { parseOptions(opts, buf) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}
