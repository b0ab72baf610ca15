// Small DOM helpers shared by the page's modules.

export const $ = (sel, root = document) => root.querySelector(sel)

// h builds an element: h('p', { class: 'x', onclick: fn }, 'text', child).
export function h (tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k in el && k !== 'list' && k !== 'form') el[k] = v
    else el.setAttribute(k, v === true ? '' : v)
  }
  el.append(...children.flat().filter(c => c != null && c !== false))
  return el
}

// announce tells screen reader users about something that happened.
export function announce (text) {
  const live = $('#announcer')
  live.textContent = ''
  setTimeout(() => { live.textContent = text }, 50)
}

// showAlert puts a plain-words problem at the top of the page (role=alert);
// the same id replaces its previous message. clearAlert removes it.
export function showAlert (id, title, ...body) {
  clearAlert(id)
  $('#alerts').append(h('div', { class: 'alert', 'data-alert': id },
    h('p', { class: 'alert-title' }, title), ...body.map(b => h('p', {}, b))))
}

export function clearAlert (id) {
  $(`#alerts [data-alert="${id}"]`)?.remove()
}

// copyText copies the text of a read-only input or of an element. When
// the clipboard API is refused it selects the text so the user can press
// Ctrl+C.
export async function copyText (el, status) {
  const isField = 'value' in el && typeof el.select === 'function'
  try {
    await navigator.clipboard.writeText(isField ? el.value : el.textContent)
    status.textContent = 'Copied to the clipboard.'
  } catch {
    if (isField) {
      el.focus()
      el.select()
    } else {
      getSelection().selectAllChildren(el)
    }
    status.textContent = 'Selected — press Ctrl+C (⌘C on a Mac) to copy.'
  }
  clearTimeout(status._t)
  status._t = setTimeout(() => { status.textContent = '' }, 6000)
}
