// An echo server on the ws package, the independent RFC 6455
// implementation the conformance suite compares the tracker's engine with
// (signaling/internal/wsconformance). Usage: node echo.mjs MAX_PAYLOAD
// MAX_FRAGMENTS.
// It listens on 127.0.0.1 on a free port, prints "listening on PORT", and
// exits when its standard input ends.
import { WebSocketServer } from 'ws'

const maxPayload = Number(process.argv[2])
const maxFragments = Number(process.argv[3])
if (!(maxPayload > 0) || !(maxFragments > 0)) {
  console.error('usage: node echo.mjs MAX_PAYLOAD MAX_FRAGMENTS')
  process.exit(2)
}

// The defaults otherwise: no permessage-deflate unless a client asks (the
// suite never does), UTF-8 validation on, pongs sent automatically.
// maxPendingAutoPongs is ws's own flood guard, not RFC 6455: by default it
// drops a connection, without a close frame, that has 60 pongs waiting to
// be written, which a hundred pipelined pings reach (case 8.2.1). The
// tracker bounds pongs by its send queue instead (Config.SendQueueLen), so
// the guard is off here to compare the protocols, not the flood limits.
// maxFragments is set to the tracker's bound on the frames of a message.
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload, maxFragments, maxPendingAutoPongs: 0 })
wss.on('connection', (ws) => {
  // ws fails the connection itself on a protocol error (close frame,
  // then the end of the socket); the error event only reports it.
  ws.on('error', () => {})
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
})
wss.on('listening', () => console.log(`listening on ${wss.address().port}`))

process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
