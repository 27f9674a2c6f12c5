// The console shell: hash routes (#/<path>?<query>), the menu, language switch and sign-out.
// A page module exports default {
//   path: 'audit',              // #/audit ; '' is not allowed
//   title: 'nav.audit',         // i18n key of its menu entry and heading
//   menu: true,                 // listed in the top menu (false: reached by links only)
//   who: ['admin', 'bastion'],  // the sessions that see it in the menu (session.kind); omit: both
//   public: false,              // true: no session needed (sign-in)
//   async render(el, {query, session}) { ... }   // fill el; query is a URLSearchParams
// }
import pages from './pages/index.js';
import * as session from './session.js';
import { lang, setLang, t, translate } from './i18n.js';
import { h } from './ui.js';

const byPath = new Map(pages.map((p) => [p.path, p]));
const DEFAULT = { admin: 'audit', bastion: 'hosts' };

function visible(page, s) {
  return page.menu && !page.public && s && (!page.who || page.who.includes(s.kind));
}

function drawShell(s, active) {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...pages.filter((p) => visible(p, s)).map((p) =>
    h('a', { href: `#/${p.path}`, class: p.path === active ? 'active' : '', 'data-page': p.path }, t(p.title))));
  document.getElementById('who').textContent = s ? `${s.userName || s.secretIdHint || ''} · ${s.region || ''}` : '';
  const out = document.getElementById('signout');
  out.hidden = !s;
  out.textContent = t('nav.signout');
  document.title = `Guardzone · ${t(byPath.get(active)?.title || 'nav.console')}`;
}

export function go(path, query = {}) {
  const q = new URLSearchParams(query).toString();
  location.hash = `#/${path}${q ? '?' + q : ''}`;
}

async function route() {
  const [path, qs] = location.hash.replace(/^#\/?/, '').split('?');
  let s = session.current();
  if (s && session.isExpired(s)) {
    session.end(t('signin.expired'));
    s = null;
  }
  let page = byPath.get(path);
  if (!page || (!page.public && !s)) {
    const target = s ? (DEFAULT[s.kind] || 'audit') : 'signin';
    if (path !== target) { location.hash = `#/${target}`; return; }
    page = byPath.get(target);
  }
  drawShell(s, page.path);
  const view = document.getElementById('view');
  const el = h('section', { class: `page page-${page.path}`, 'data-page': page.path });
  view.replaceChildren(el);
  try {
    await page.render(el, { query: new URLSearchParams(qs || ''), session: s });
    translate(el);
  } catch (e) {
    el.append(h('div', { class: 'error', role: 'alert' }, String(e && e.message || e)));
  }
}

function init() {
  setLang(lang());
  const sel = document.getElementById('lang');
  sel.value = lang();
  sel.addEventListener('change', () => { setLang(sel.value); route(); });
  document.getElementById('signout').addEventListener('click', () => { session.end(); go('signin'); });
  window.addEventListener('hashchange', route);
  // A key that expires while a page is open: back to sign-in at once.
  setInterval(() => {
    const s = session.current();
    if (s && session.isExpired(s)) { session.end(t('signin.expired')); go('signin'); route(); }
  }, 5000);
  route();
}

init();
