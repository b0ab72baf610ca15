// The "use this tracker in your app" panel, filled in with this tracker's
// addresses.

import { $, copyText } from './dom.js'
import { trackerURL, httpAnnounceURL } from './tracker.js'

export function fillDeveloperPanel () {
  $('#snippet').textContent = `import WebTorrent from 'webtorrent'

const client = new WebTorrent()
const announce = ['${trackerURL}']

// Share files (from an <input>, say)
client.seed(files, { announce }, t => {
  console.log('Send:', t.magnetURI)
})

// Download a magnet link
client.add(magnet, { announce }, t => {
  t.on('done', () => console.log('Done'))
})`
  for (const el of document.querySelectorAll('[data-fill="ws"]')) el.textContent = trackerURL
  for (const el of document.querySelectorAll('[data-fill="http"]')) el.textContent = httpAnnounceURL
  $('#snippet-copy').addEventListener('click', () => copyText($('#snippet'), $('#snippet-copy-status')))
}
