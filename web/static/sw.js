// Service worker of the demo page. It lets audio and video play while
// they download: WebTorrent's worker (web/node_modules/webtorrent/dist/
// sw.min.js, copied to /vendor/ by `make web`) answers /webtorrent/…
// requests from the page's torrents. Without that file it does nothing
// and the page plays media once the download is complete.
let streaming = false
try {
  importScripts('/vendor/sw.min.js')
  streaming = true
} catch {}

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()))
self.addEventListener('message', event => {
  if (event.data?.type === 'swarmbridge:streaming?') event.ports[0]?.postMessage({ streaming })
})
