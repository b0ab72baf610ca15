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
// decoded and encoded with the tracker's own codec (package
// signaling/wire), and framed with its RFC 6455 primitives (package
// signaling/wsproto).
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
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
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
	resp := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	resp = wsproto.AppendAcceptKey(resp, key)
	if _, err := c.Write(append(resp, "\r\n\r\n"...)); err != nil {
		return
	}
	s := &wsSession{reflect: reflect}
	var fr wsproto.FrameReader
	defer fr.Release()
	buf := make([]byte, 64<<10)
	for {
		// What net/http read past the request comes first, then the socket.
		n, err := br.Read(buf)
		if n > 0 {
			s.out = s.out[:0]
			ferr := fr.Feed(buf[:n], 16<<20, s)
			if len(s.out) > 0 {
				if _, err := c.Write(s.out); err != nil {
					return
				}
			}
			if ferr != nil || s.closed {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// wsSession answers the messages of one connection (a wsproto.FrameSink):
// the frames for what one read brought are collected in out and written
// with one system call.
type wsSession struct {
	reflect bool
	dec     wire.Decoder
	r       wire.Request
	body    []byte // one message, behind wsproto.MaxServerHeader bytes of room
	out     []byte // frames to write
	closed  bool
}

// frame appends the message in s.body as a frame of opcode op to s.out.
func (s *wsSession) frame(op wsproto.Opcode) {
	off := wsproto.PutServerHeader(s.body, op)
	s.out = append(s.out, s.body[off:]...)
}

// startBody returns s.body emptied behind the header room.
func (s *wsSession) startBody() []byte {
	var room [wsproto.MaxServerHeader]byte
	return append(s.body[:0], room[:]...)
}

func (s *wsSession) FrameMessage(_ wsproto.Opcode, payload []byte) bool {
	r := &s.r
	if err := s.dec.Decode(payload, r); err != nil {
		var ih *bittorrent.InfoHash
		if r.HasInfoHash {
			ih = &r.InfoHash
		}
		s.body = wire.AppendFailure(s.startBody(), r.Action, ih, err.Error())
		s.frame(wsproto.OpText)
		return true
	}
	switch {
	case r.Action == bittorrent.ActionScrape:
		s.body = wire.AppendScrapeResponse(s.startBody(), r.ScrapeHashes, nil, 0)
		s.frame(wsproto.OpText)
	case r.HasAnswer:
		if s.reflect {
			s.body = wire.AppendAnswer(s.startBody(), r.InfoHash, r.PeerID, r.OfferID, r.Answer)
			s.frame(wsproto.OpText)
		}
	default:
		s.body = wire.AppendAnnounceResponse(s.startBody(), r.InfoHash, 120, bittorrent.Counts{Incomplete: 1})
		s.frame(wsproto.OpText)
		if s.reflect {
			for _, o := range r.Offers {
				s.body = wire.AppendOffer(s.startBody(), r.InfoHash, fakePeer, o.ID, o.SDP)
				s.frame(wsproto.OpText)
			}
		}
	}
	return true
}

func (s *wsSession) FrameControl(op wsproto.Opcode, payload []byte) bool {
	switch op {
	case wsproto.OpPing:
		s.body = append(s.startBody(), payload...)
		s.frame(wsproto.OpPong)
	case wsproto.OpClose:
		s.body = append(s.startBody(), payload...)
		s.frame(wsproto.OpClose)
		s.closed = true
		return false
	}
	return true
}

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
