// bittorrent-tracker's peers (simple-peer) import 'webrtc-polyfill', which
// in Node loads node-datachannel, a native module whose install script
// downloads a prebuilt binary from GitHub. @roamhq/wrtc ships its binary in
// npm packages instead, so resolve 'webrtc-polyfill' to it. The tracker
// client itself runs unmodified.
export async function resolve (specifier, context, next) {
  if (specifier === 'webrtc-polyfill') {
    return { url: new URL('./wrtc-shim.mjs', import.meta.url).href, shortCircuit: true }
  }
  return next(specifier, context)
}
