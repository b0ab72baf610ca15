// bittorrent-tracker (the WebTorrent reference tracker, v11.2.3) for the
// side-by-side benchmarks in bench/*.sh.
//
//   node bench/node/bt-server.mjs --host 127.0.0.1 --tcp-port 18001 --udp-port 16971 \
//        --transports ws,http,udp [--stats]
//
// ws and http share the TCP port, as in the reference server; --stats
// turns on its /stats pages (off by default, as for the HTTP comparison).
// Prints "listening" on stdout once every socket is bound; exits on
// SIGINT/SIGTERM.
//
// Only the server is imported: the package root also loads the client,
// which pulls a native WebRTC module that `npm ci --ignore-scripts` does
// not build.
import Server from 'bittorrent-tracker/server'

function arg (name, def) {
  const i = process.argv.indexOf('--' + name)
  if (i < 0) return def
  const v = process.argv[i + 1]
  if (v === undefined || v.startsWith('--')) return true
  return v
}

const host = arg('host', '127.0.0.1')
const tcpPort = Number(arg('tcp-port', 18001))
const udpPort = Number(arg('udp-port', 16971))
const transports = new Set(String(arg('transports', 'ws,http,udp')).split(',').map(s => s.trim()))
const stats = arg('stats', false) === true

for (const t of transports) {
  if (!['ws', 'http', 'udp'].includes(t)) {
    console.error(`bt-server: unknown transport ${t} (want ws, http, udp)`)
    process.exit(2)
  }
}

const server = new Server({
  http: transports.has('http'),
  udp: transports.has('udp'),
  ws: transports.has('ws'),
  stats
})

server.on('error', err => {
  console.error('bt-server: error:', err.message)
})
server.on('warning', () => {}) // per-request warnings (bad requests) are the generator's to count

server.listen({ http: tcpPort, udp: udpPort }, { http: host, udp: host, udp6: '::1' }, () => {
  console.log(`listening tcp ${host}:${tcpPort} udp ${host}:${udpPort} transports ${[...transports].join(',')} stats ${stats}`)
})

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  })
}
