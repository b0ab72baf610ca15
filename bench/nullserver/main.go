// Command nullserver is a do-nothing tracker for measuring the load
// generator's own ceiling (bench/generator-ceiling.sh): it answers every
// request at once, keeps no swarm, and makes the generator do all the work
// it does against a real tracker.
//
// WebSocket (-ws): an announce gets an announce response, and its offers
// are sent straight back to the same connection as relayed offers (from a
// fixed fake peer id), so the generator receives as many offers as it
// sends and answers its share of them; each answer is sent back as a
// relayed answer. A scrape gets an empty scrape response. Messages are
// decoded and encoded with the tracker's own codec (package signaling);
// framing is a minimal RFC 6455 server.
//
// HTTP (-http): a fixed announce or scrape response; with -http-close the
// connection is closed after every response, as opentracker does.
//
// UDP (-udp): connect, announce (no peers) and scrape responses.
//
//	go run ./bench/nullserver -ws 127.0.0.1:18100 -http 127.0.0.1:18101 -udp 127.0.0.1:18102
package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

func main() {
	wsAddr := flag.String("ws", "", "WebSocket listen address (host:port; empty: off)")
	httpAddr := flag.String("http", "", "HTTP listen address (host:port; empty: off)")
	httpClose := flag.Bool("http-close", false, "close every HTTP connection after one response (like opentracker)")
	udpAddr := flag.String("udp", "", "UDP listen address (host:port; empty: off)")
	reflect := flag.Bool("reflect", true, "WebSocket: send each announce's offers and each answer back to the sender")
	flag.Parse()
	if *wsAddr == "" && *httpAddr == "" && *udpAddr == "" {
		log.Fatal("nullserver: give at least one of -ws, -http, -udp")
	}
	if *wsAddr != "" {
		ln, err := net.Listen("tcp", *wsAddr)
		if err != nil {
			log.Fatal(err)
		}
		go acceptLoop(ln, func(c net.Conn) { serveWS(c, *reflect) })
	}
	if *httpAddr != "" {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			log.Fatal(err)
		}
		go acceptLoop(ln, func(c net.Conn) { serveHTTP(c, *httpClose) })
	}
	if *udpAddr != "" {
		a, err := net.ResolveUDPAddr("udp", *udpAddr)
		if err != nil {
			log.Fatal(err)
		}
		uc, err := net.ListenUDP("udp", a)
		if err != nil {
			log.Fatal(err)
		}
		go serveUDP(uc)
	}
	fmt.Println("listening")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

func acceptLoop(ln net.Listener, serve func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			serve(c)
		}()
	}
}

// --- WebSocket ---

var fakePeer = bittorrent.PeerID{'-', 'N', 'U', 'L', 'L', '0', '1', '-', 'r', 'e', 'f', 'l', 'e', 'c', 't', 'e', 'd', 'p', 'e', 'r'}

func serveWS(c net.Conn, reflect bool) {
	br := bufio.NewReaderSize(c, 64<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(req.Header.Get("Upgrade"), "websocket") || key == "" {
		_, _ = io.WriteString(c, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
		return
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	_, err = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
		base64.StdEncoding.EncodeToString(h[:])+"\r\n\r\n")
	if err != nil {
		return
	}
	var (
		dec wire.Decoder
		r   wire.Request
		msg []byte
		out []byte // frames to write, batched per message
	)
	for {
		op, payload, err := readFrame(br, &msg)
		if err != nil {
			return
		}
		switch op {
		case 0x8: // close
			_, _ = c.Write(appendFrame(nil, 0x8, payload))
			return
		case 0x9: // ping
			if _, err := c.Write(appendFrame(nil, 0xA, payload)); err != nil {
				return
			}
			continue
		case 0xA:
			continue
		}
		out = out[:0]
		var body []byte
		if err := dec.Decode(payload, &r); err != nil {
			var ih *bittorrent.InfoHash
			if r.HasInfoHash {
				ih = &r.InfoHash
			}
			out = appendTextFrame(out, wire.AppendFailure(body, r.Action, ih, err.Error()))
		} else {
			switch {
			case r.Action == wire.ActionScrape:
				out = appendTextFrame(out, wire.AppendScrapeResponse(body, r.ScrapeHashes, nil, 0))
			case r.HasAnswer:
				if reflect {
					out = appendTextFrame(out, wire.AppendAnswer(body, r.InfoHash, r.PeerID, r.OfferID, r.Answer))
				}
			default:
				out = appendTextFrame(out, wire.AppendAnnounceResponse(body, r.InfoHash, 120, bittorrent.Counts{Incomplete: 1}))
				if reflect {
					for _, o := range r.Offers {
						out = appendTextFrame(out, wire.AppendOffer(body, r.InfoHash, fakePeer, o.ID, o.SDP))
					}
				}
			}
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// readFrame reads one whole message (reassembling fragments) and unmasks
// it into *buf.
func readFrame(br *bufio.Reader, buf *[]byte) (byte, []byte, error) {
	*buf = (*buf)[:0]
	var op byte
	for {
		var hdr [14]byte
		if _, err := io.ReadFull(br, hdr[:2]); err != nil {
			return 0, nil, err
		}
		fin, fop := hdr[0]&0x80 != 0, hdr[0]&0x0F
		if fop != 0 {
			op = fop
		}
		n := uint64(hdr[1] & 0x7F)
		switch n {
		case 126:
			if _, err := io.ReadFull(br, hdr[2:4]); err != nil {
				return 0, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(hdr[2:4]))
		case 127:
			if _, err := io.ReadFull(br, hdr[2:10]); err != nil {
				return 0, nil, err
			}
			n = binary.BigEndian.Uint64(hdr[2:10])
		}
		if n > 16<<20 {
			return 0, nil, fmt.Errorf("frame of %d bytes", n)
		}
		var mask [4]byte
		if hdr[1]&0x80 != 0 {
			if _, err := io.ReadFull(br, mask[:]); err != nil {
				return 0, nil, err
			}
		}
		start := len(*buf)
		*buf = append(*buf, make([]byte, n)...)
		p := (*buf)[start:]
		if _, err := io.ReadFull(br, p); err != nil {
			return 0, nil, err
		}
		m64 := uint64(binary.LittleEndian.Uint32(mask[:]))
		m64 |= m64 << 32
		i := 0
		for ; i+8 <= len(p); i += 8 {
			binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^m64)
		}
		for ; i < len(p); i++ {
			p[i] ^= mask[i&3]
		}
		if fin {
			return op, *buf, nil
		}
	}
}

func appendFrame(dst []byte, op byte, p []byte) []byte {
	dst = append(dst, 0x80|op)
	switch n := len(p); {
	case n > 0xFFFF:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	case n > 125:
		dst = append(dst, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, byte(n))
	}
	return append(dst, p...)
}

func appendTextFrame(dst, p []byte) []byte { return appendFrame(dst, 0x1, p) }

// --- HTTP ---

const (
	announceBody = "d8:completei1e10:downloadedi0e10:incompletei1e8:intervali1800e12:min intervali900e5:peers0:6:peers60:e"
	scrapeBody   = "d5:filesdee"
)

func serveHTTP(c net.Conn, closeEach bool) {
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		scrape := strings.Contains(string(line), "/scrape")
		for { // headers
			h, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(h) <= 2 {
				break
			}
		}
		body := announceBody
		if scrape {
			body = scrapeBody
		}
		fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		if err := bw.Flush(); err != nil || closeEach {
			return
		}
	}
}

// --- UDP ---

func serveUDP(uc *net.UDPConn) {
	in := make([]byte, 2048)
	out := make([]byte, 0, 2048)
	for {
		n, from, err := uc.ReadFromUDPAddrPort(in)
		if err != nil {
			log.Fatal(err)
		}
		p := in[:n]
		if n < 16 {
			continue
		}
		action := binary.BigEndian.Uint32(p[8:])
		out = out[:0]
		out = binary.BigEndian.AppendUint32(out, action)
		out = append(out, p[12:16]...) // transaction id
		switch action {
		case 0: // connect
			out = binary.BigEndian.AppendUint64(out, 0x0123456789abcdef)
		case 1: // announce
			out = binary.BigEndian.AppendUint32(out, 1800)
			out = binary.BigEndian.AppendUint32(out, 1)
			out = binary.BigEndian.AppendUint32(out, 1)
		case 2: // scrape
			for range (n - 16) / 20 {
				out = append(out, make([]byte, 12)...)
			}
		default:
			continue
		}
		_, _ = uc.WriteToUDPAddrPort(out, from)
	}
}
