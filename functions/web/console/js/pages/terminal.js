// The H5 terminal (#/terminal?account=<device account Id>): xterm.js over a WebSocket to the
// bastion gateway. The page asks for a single-use ticket (CreateWebTerminalTicket, signed as every
// call), opens the gateway's WebSocket (Url, else ws(s)://<this host>:<Port>/), sends the ticket,
// then keystrokes as binary frames and window changes as {"type":"resize"}; output comes back as
// binary frames (a refused command's `Guardzone: command blocked` among it). The session goes
// through the gateway's own path: authorization, recording, command blocking and audit.
import { call } from '../api.js';
import { t } from '../i18n.js';
import { h, errorBox } from '../ui.js';
import { loadScript, loadStyle } from '../bastion/vendor.js';

let closeCurrent = null;      // the open terminal of this page load, closed when the page changes

export default {
  path: 'terminal',
  title: 'nav.terminal',
  menu: false,
  who: ['bastion'],
  async render(el, { query }) {
    if (closeCurrent) closeCurrent();
    const id = Number(query.get('account'));
    const host = query.get('host') || '';
    const status = h('div', { class: 'notice terminal-status', 'data-state': 'connecting' }, t('terminal.connecting'));
    const box = h('div', { class: 'terminal-box', style: 'height: 70vh; background: #000; padding: 4px;' });
    el.append(h('h1', {}, `${t('terminal.title')} ${host}`), h('p', {}, h('a', { href: '#/hosts' }, t('terminal.back'))),
      status, box);
    const setStatus = (state, text) => {
      status.dataset.state = state;
      status.className = `${state === 'lost' || state === 'refused' ? 'error' : 'notice'} terminal-status`;
      status.textContent = text;
    };
    loadStyle('vendor/xterm/xterm.css');
    try {
      await loadScript('vendor/xterm/xterm.js');
      await loadScript('vendor/xterm/addon-fit.js');
    } catch (e) {
      status.replaceWith(errorBox(e));
      return;
    }
    const term = new window.Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
    const fit = window.FitAddon ? new window.FitAddon.FitAddon() : null;
    if (fit) term.loadAddon(fit);
    term.open(box);
    if (fit) fit.fit();
    window.guardzoneTerminal = term;        // for the browser tests: what the screen shows
    let issued;
    try {
      issued = await call('bhsaas', '2019-10-18', 'CreateWebTerminalTicket',
        { DeviceAccountId: id, Cols: term.cols, Rows: term.rows });
    } catch (e) {
      status.replaceWith(errorBox(e));
      term.dispose();
      return;
    }
    const url = issued.Url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:${issued.Port}/`;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const enc = new TextEncoder();
    let ended = false;
    ws.onopen = () => ws.send(JSON.stringify({ ticket: issued.Ticket }));
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') { term.write(new Uint8Array(ev.data)); return; }
      const m = JSON.parse(ev.data);
      if (m.type === 'session') {
        status.dataset.sid = m.sid;
        setStatus('open', t('terminal.connected', { user: m.user, account: m.account, host: m.host }));
        term.focus();
      } else if (m.type === 'error') {
        ended = true;
        setStatus('refused', m.message);
      } else if (m.type === 'exit') {
        ended = true;
        setStatus('ended', t('terminal.ended', { status: m.status }));
      }
    };
    ws.onclose = () => {
      term.options.disableStdin = true;
      if (!ended) setStatus('lost', t('terminal.lost'));
    };
    term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(enc.encode(d)); });
    term.onResize(({ cols, rows }) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    });
    const refit = () => { if (fit) fit.fit(); };
    window.addEventListener('resize', refit);
    closeCurrent = () => {
      closeCurrent = null;
      ended = true;
      window.removeEventListener('resize', refit);
      try { ws.close(); } catch (e) { /* closed already */ }
      term.dispose();
    };
    window.addEventListener('hashchange', () => { if (closeCurrent) closeCurrent(); }, { once: true });
  },
};
