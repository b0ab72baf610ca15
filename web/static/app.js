// Entry point of the demo page: checks what the browser can do, loads the
// WebTorrent bundle and wires the panels together.

import { $, showAlert, h } from './dom.js'
import { watchTracker } from './tracker.js'
import { startStats } from './stats.js'
import { fillDeveloperPanel } from './developer.js'
import { createTransfers } from './transfers.js'
import { setUpShare } from './share.js'
import { setUpReceive } from './receive.js'
import { setUpStreaming } from './media.js'

// WebTorrent adds the trackers in this global to every torrent; the page
// announces to this tracker only.
delete globalThis.WEBTORRENT_ANNOUNCE

fillDeveloperPanel()
const tracker = watchTracker()
let transfers = null
const stats = startStats({
  hashes: () => transfers?.hashes() ?? [],
  names: () => transfers?.names() ?? new Map(),
  onTorrents: counts => transfers?.setSwarm(counts),
  onFailure: () => tracker.check()
})

function disable (reason) {
  document.body.dataset.disabled = reason
  for (const el of document.querySelectorAll('#share button, #receive-form input, #receive-form button')) el.disabled = true
  $('#share-help').textContent = 'Sharing is not available in this browser (see above).'
}

async function main () {
  if (typeof RTCPeerConnection === 'undefined') {
    showAlert('webrtc', "This browser can't make peer-to-peer connections.",
      'WebRTC is missing or turned off here, and files travel browser to browser over WebRTC. ' +
      'Try a recent Firefox, Chrome, Edge or Safari, or turn WebRTC back on. The live swarm numbers below still work.')
    disable('webrtc')
    return
  }
  let WebTorrent
  try {
    ({ default: WebTorrent } = await import('/vendor/webtorrent.min.js'))
  } catch {
    showAlert('bundle', 'The file-sharing code of this page is missing.',
      h('span', {}, 'The tracker was built without the WebTorrent browser bundle (',
        h('code', {}, '/vendor/webtorrent.min.js'), '). If you run this tracker, run ',
        h('code', {}, 'make web'), ' and rebuild or restart it.'))
    disable('bundle')
    return
  }
  const client = new WebTorrent()
  client.on('error', err => showAlert('client', 'Something went wrong.', String(err?.message || err)))
  transfers = createTransfers({ client, tracker, onChange: () => stats.refresh() })
  setUpShare({ client, transfers })
  setUpReceive({ client, transfers })
  setUpStreaming()
  document.body.dataset.ready = 'true'
}

main()
