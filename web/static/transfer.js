// One card per torrent on the page: what is shared or received, progress,
// speed, peers, time left, the tracker's swarm counts, the share link and
// the files (save links and previews).

import { h, announce, copyText } from './dom.js'
import { bytes, speed, duration, plural } from './format.js'
import { magnetFor, shareURL } from './magnet.js'
import { kindOf, mediaElement, streamFile } from './media.js'

const NO_PEERS_HINT_MS = 10000
let seq = 0

export class Transfer {
  // role is 'seed' (files from this device) or 'receive' (from a link).
  constructor (torrent, { role, name = '', client, tracker, localFiles = [], onRemove }) {
    this.torrent = torrent
    this.role = role
    this.client = client
    this.tracker = tracker
    this.localFiles = localFiles
    this.onRemove = onRemove
    this.id = ++seq
    this.zeroSince = Date.now()
    this.samples = []
    this.hadPeer = false
    this.announcedDone = false
    this.urls = []
    this.finishers = []
    this.swarm = null
    this.build(name)
    this.watch()
  }

  get infoHash () { return this.torrent.infoHash }

  build (name) {
    const id = this.id
    const receiving = this.role === 'receive'
    this.nameEl = h('h3', { class: 'transfer-name', id: `t${id}-name` }, name || (receiving ? 'Looking for the file…' : 'Preparing…'))
    this.sizeEl = h('span', { class: 'transfer-size' })
    this.badge = h('span', { class: 'badge' })
    this.progress = h('progress', { max: 100, value: 0, class: 'bar', 'aria-label': 'Download progress' })
    this.pct = h('span', { class: 'pct', 'aria-hidden': 'true' }, '0%')
    this.metrics = {}
    const metric = (key, label) => h('div', { class: 'metric' },
      h('dt', {}, label), this.metrics[key] = h('dd', { 'data-metric': key }, '—'))
    this.hint = h('p', { class: 'hint', role: 'status' })
    this.files = h('ul', { class: 'files', 'aria-label': 'Files' })
    this.shareBox = h('div', { class: 'share-box', hidden: true })
    this.el = h('li', { class: 'transfer card', 'data-role': this.role, 'aria-labelledby': `t${id}-name` },
      h('div', { class: 'transfer-head' }, this.badge, this.nameEl, this.sizeEl),
      receiving ? h('div', { class: 'progress-row' }, this.progress, this.pct) : null,
      h('dl', { class: 'metrics' },
        receiving
          ? [metric('speed', 'Speed'), metric('eta', 'Time left'), metric('peers', 'Peers')]
          : [metric('peers', 'Peers'), metric('seeders', 'Seeders'), metric('leechers', 'Leechers'), metric('completed', 'Completed')]),
      receiving ? this.metrics.swarm = h('p', { class: 'swarm-line', 'data-metric': 'swarm' }) : null,
      this.hint,
      this.shareBox,
      this.files,
      h('div', { class: 'transfer-actions' },
        h('button', { type: 'button', class: 'button subtle', onclick: () => this.remove() },
          receiving ? 'Remove' : 'Stop sharing')))
    this.setState(receiving ? 'connecting' : 'preparing')
  }

  setState (state) {
    this.state = state
    this.el.dataset.state = state
    this.badge.textContent = {
      preparing: 'Preparing',
      connecting: 'Receiving',
      seeding: 'Sharing',
      done: 'Received',
      failed: 'Failed'
    }[state]
  }

  watch () {
    const t = this.torrent
    t.on('infoHash', () => this.showShareLink())
    t.on('metadata', () => this.onMetadata())
    t.on('ready', () => this.onMetadata())
    t.on('wire', () => {
      if (!this.hadPeer) announce(`Connected to a peer for ${this.displayName()}.`)
      this.hadPeer = true
    })
    t.on('done', () => this.onDone())
    t.on('warning', err => {
      if (/tracker|websocket|connect/i.test(String(err?.message || err))) this.tracker.check()
    })
    t.on('error', err => this.fail(err))
    if (t.infoHash) this.showShareLink()
    if (t.ready) this.onMetadata()
  }

  displayName () {
    return this.torrent.name || this.nameEl.textContent
  }

  onMetadata () {
    if (this.filesShown || !this.torrent.files?.length) return
    this.filesShown = true
    this.nameEl.textContent = this.torrent.name
    this.sizeEl.textContent = bytes(this.torrent.length)
    for (const file of this.torrent.files) this.addFile(file)
    this.update()
  }

  // seeded is called once the files are hashed and offered to peers.
  seeded () {
    this.setState('seeding')
    this.showShareLink()
    this.update()
    announce(`Sharing ${this.displayName()}. Copy the share link and send it.`)
  }

  showShareLink () {
    if (!this.infoHash || this.linkShown) return
    if (this.role === 'seed' && this.state !== 'seeding') return
    this.linkShown = true
    const link = shareURL(magnetFor(this.infoHash, this.torrent.name || ''))
    const inputId = `t${this.id}-link`
    const input = h('input', { id: inputId, class: 'share-url', type: 'text', readOnly: true, value: link, spellcheck: 'false', onfocus: e => e.target.select() })
    const status = h('p', { class: 'copy-status', role: 'status' })
    this.shareBox.replaceChildren(
      h('label', { for: inputId }, this.role === 'seed' ? 'Share link — send it to anyone' : 'Pass it on — share link'),
      h('div', { class: 'row' }, input,
        h('button', { type: 'button', class: 'button', onclick: () => copyText(input, status) }, 'Copy link')),
      status,
      h('p', { class: 'infohash' }, 'Info hash ', h('code', {}, this.infoHash)),
      ...(this.role === 'seed'
        ? [h('p', { class: 'note' }, 'Keep this tab open: the file goes straight from your browser to theirs.')]
        : []))
    this.shareBox.hidden = false
  }

  addFile (file) {
    const kind = kindOf(file.name, file.type)
    const actions = h('div', { class: 'file-actions' })
    const preview = h('div', { class: 'preview' })
    const li = h('li', { class: 'file' },
      h('div', { class: 'file-info' },
        h('span', { class: 'file-name' }, file.name),
        h('span', { class: 'file-size' }, bytes(file.length))),
      actions, preview)
    this.files.append(li)

    if (this.role === 'seed') {
      const local = this.localFiles.find(f => f.name === file.name)
      if (local && kind) preview.append(mediaElement(kind, file.name, this.objectURL(local)))
      return
    }
    const waiting = h('span', { class: 'waiting' }, kind ? 'Save and preview when complete' : 'Save when complete')
    actions.append(waiting)
    let streaming = false
    if (kind === 'video' || kind === 'audio') {
      const el = mediaElement(kind, file.name)
      streamFile(this.client, file, el).then(ok => {
        if (ok && !li.dataset.ready) {
          streaming = true
          preview.replaceChildren(el)
          waiting.textContent = 'Plays while downloading · save when complete'
        }
      })
    }

    const finish = async () => {
      if (li.dataset.ready) return
      li.dataset.ready = 'true'
      try {
        const blob = await file.blob()
        const url = this.objectURL(blob)
        actions.replaceChildren(h('a', { class: 'button save', href: url, download: file.name }, 'Save ', h('span', { class: 'visually-hidden' }, file.name)))
        if (kind && !streaming) preview.replaceChildren(mediaElement(kind, file.name, url))
      } catch (err) {
        actions.replaceChildren(h('span', { class: 'error-text' }, `Couldn't read ${file.name}: ${err.message || err}`))
      }
    }
    this.finishers.push(finish)
    if (file.done) finish()
    else file.once('done', finish)
  }

  objectURL (blob) {
    const url = URL.createObjectURL(blob)
    this.urls.push(url)
    return url
  }

  onDone () {
    if (this.role !== 'receive' || this.announcedDone) return
    this.announcedDone = true
    this.setState('done')
    for (const finish of this.finishers) finish()
    this.update()
    announce(`Download complete: ${this.displayName()}. You can save it now.`)
  }

  setSwarm (counts) {
    this.swarm = counts
    this.update()
  }

  // update refreshes the numbers; the page calls it every half second.
  update () {
    const t = this.torrent
    if (t.destroyed) return
    const m = this.metrics
    const peers = t.numPeers || 0
    const receiving = this.role === 'receive'
    const pct = Math.floor((t.progress || 0) * 100)
    if (receiving && this.progress.value !== pct) {
      this.progress.value = pct
      this.pct.textContent = pct + '%'
    }
    m.peers.textContent = String(peers)
    if (receiving) {
      const rate = this.rate()
      if (!this.startedAt && t.downloaded > 0) this.startedAt = performance.now()
      if (t.done && !this.doneAt) this.doneAt = performance.now()
      m.speed.textContent = t.done
        ? (this.startedAt && this.doneAt > this.startedAt ? 'avg ' + speed(t.length / ((this.doneAt - this.startedAt) / 1000)) : '—')
        : speed(rate)
      m.eta.textContent = t.done ? 'Done' : (rate > 0 && t.length ? duration((t.length - t.downloaded) / rate * 1000) : '—')
      if (this.swarm) {
        const { complete, incomplete } = this.swarm
        m.swarm.textContent = `The tracker sees ${plural(complete, 'seeder')} and ${plural(incomplete, 'leecher')} in this swarm.`
      }
    } else if (this.swarm) {
      m.seeders.textContent = String(this.swarm.complete)
      m.leechers.textContent = String(this.swarm.incomplete)
      m.completed.textContent = String(this.swarm.downloaded)
    }
    if (peers > 0) this.zeroSince = Date.now()
    this.setHint(this.hintText(peers))
  }

  // rate is the download speed over the last 3 s, measured from verified
  // bytes: WebTorrent 3.0.21's own downloadSpeed stops counting WebRTC
  // traffic after the first few kilobytes.
  rate () {
    const now = performance.now()
    const s = this.samples
    s.push([now, this.torrent.downloaded || 0])
    while (s.length > 2 && now - s[0][0] > 3000) s.shift()
    const [t0, b0] = s[0]
    return now - t0 > 400 ? (s[s.length - 1][1] - b0) / ((now - t0) / 1000) : 0
  }

  hintText (peers) {
    if (this.state === 'failed') return this.hint.textContent
    if (this.tracker.state === 'down') return "Can't reach the tracker, so no peers can be found. Retrying…"
    if (peers > 0 || Date.now() - this.zeroSince < NO_PEERS_HINT_MS) return ''
    if (this.role === 'receive' && !this.torrent.done) {
      return 'No peers yet. The person who shared this must keep the sharing tab open — the file comes straight from their browser.'
    }
    if (this.state === 'seeding') return 'Nobody is downloading yet. Send the link, and keep the sharing tab open.'
    return ''
  }

  setHint (text) {
    if (this.hint.textContent !== text) this.hint.textContent = text
  }

  fail (err) {
    const msg = String(err?.message || err)
    if (/duplicate torrent/i.test(msg)) {
      this.duplicateOf(this.infoHash)
      return
    }
    this.setState('failed')
    this.setHint('Something went wrong: ' + msg)
  }

  // duplicateOf drops this card for the one of the same torrent.
  duplicateOf (infoHash) {
    this.onRemove?.(this, 'duplicate', infoHash)
    this.dispose()
  }

  remove () {
    this.onRemove?.(this, 'removed')
    this.torrent.destroy()
    this.dispose()
  }

  dispose () {
    for (const url of this.urls) URL.revokeObjectURL(url)
    this.el.remove()
  }
}
