import { register } from 'node:module'

register('./wrtc-hooks.mjs', import.meta.url)
