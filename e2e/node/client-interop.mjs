// Two bittorrent-tracker clients (the WebTorrent reference client) meet
// through the tracker given as argv[2] and exchange data over WebRTC.
// Exits 0 when everything a user of the client would see is right.
import Client from 'bittorrent-tracker/client'
import wrtc from '@roamhq/wrtc'
import crypto from 'node:crypto'

const base = process.argv[2]
const infoHash = crypto.randomBytes(20).toString('hex')
const events = []
const log = (...a) => { events.push(a.join(' ')); console.error(...a) }
const deadline = setTimeout(() => finish('timed out'), 60000)

function peerId () {
  return Buffer.concat([Buffer.from('-WW0300-'), crypto.randomBytes(12)]).toString('hex')
}

function makeClient (name, path, left) {
  // Different paths give each client its own socket (the client pools
  // sockets by URL) and check that any path is accepted.
  const c = new Client({ infoHash, peerId: peerId(), announce: [base + path], port: 6881, wrtc, getAnnounceOpts: () => ({ left }) })
  const st = { name, updates: [], received: '', scrapes: [], warnings: [], errors: [] }
  c.on('error', e => { st.errors.push(e.message); log(name, 'error', e.message) })
  c.on('warning', e => { st.warnings.push(e.message); log(name, 'warning', e.message) })
  c.on('update', d => { st.updates.push({ complete: d.complete, incomplete: d.incomplete }); log(name, 'update', d.complete, d.incomplete) })
  c.on('scrape', d => { st.scrapes.push({ complete: d.complete, incomplete: d.incomplete }); log(name, 'scrape', d.complete, d.incomplete) })
  c.on('peer', p => {
    log(name, 'peer')
    const hello = () => p.send('hello from ' + name)
    p.on('data', d => { st.received += Buffer.from(d).toString(); log(name, 'data', Buffer.from(d).toString()); check() })
    p.on('error', e => log(name, 'peer error', e.message))
    if (p.connected) hello(); else p.on('connect', hello)
  })
  st.client = c
  return st
}

const a = makeClient('A', '/', 0)
const b = makeClient('B', '/announce', 100)
a.client.start()
// B joins once A is in the swarm, so B's offers have a target.
const waitA = setInterval(() => {
  if (a.updates.length > 0) { clearInterval(waitA); b.client.start() }
}, 50)

let scraped = false
function check () {
  if (a.received === 'hello from B' && b.received === 'hello from A' && !scraped) {
    scraped = true
    b.client.scrape()
    const waitScrape = setInterval(() => {
      if (b.scrapes.length > 0) { clearInterval(waitScrape); finish(null) }
    }, 50)
  }
}

function finish (why) {
  clearTimeout(deadline)
  const problems = []
  if (why) problems.push(why)
  for (const st of [a, b]) {
    if (st.errors.length) problems.push(st.name + ' errors: ' + st.errors.join('; '))
    if (st.warnings.length) problems.push(st.name + ' warnings: ' + st.warnings.join('; '))
    if (!st.updates.length) problems.push(st.name + ' got no announce response')
  }
  const s = b.scrapes[0]
  if (!s || s.complete !== 1 || s.incomplete !== 1) problems.push('scrape ' + JSON.stringify(s) + ', want 1 seeder and 1 leecher')
  a.client.stop(); b.client.stop()
  setTimeout(() => {
    a.client.destroy(); b.client.destroy()
    console.log(JSON.stringify({ ok: problems.length === 0, problems, events }))
    process.exit(problems.length === 0 ? 0 : 1)
  }, 500)
}
