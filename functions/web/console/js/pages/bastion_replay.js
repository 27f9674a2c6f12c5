// A session's replay (会话回放): the recording in asciinema-player (its link from
// DescribeSessionRecording), the commands beside it (SearchCommandBySid; a click seeks the player to
// the command's TimeOffset) and the session's file operations (SearchFileBySid).
import { call } from '../api.js';
import { t } from '../i18n.js';
import { h, table, errorBox } from '../ui.js';
import { SVC, VER } from '../bastion/crud.js';
import { shown } from '../bastion/times.js';
import { loadScript, loadStyle } from '../bastion/vendor.js';

const PLAYER = 'vendor/asciinema-player/asciinema-player.min.js';

async function all(action, params, set) {
  const out = [];
  for (let offset = 0; ; offset += 200) {
    const r = await call(SVC, VER, action, { ...params, Offset: offset, Limit: 200 });
    out.push(...r[set]);
    if (!r[set].length || out.length >= r.TotalCount) return out;
  }
}

const clock = (ms) => {
  const s = Math.floor(ms / 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
};

const FILE_COLUMNS = [
  { label: 'bastion.c.time', render: (f) => shown(f.Time) },
  { label: 'bastion.c.protocol', key: 'Protocol' },
  { label: 'bastion.c.method', render: (f) => t(`bastion.fm.${f.Method}`) },
  { label: 'bastion.c.file', key: 'FileCurr' },
  { label: 'bastion.c.fileNew', key: 'FileNew' },
  { label: 'bastion.c.size', key: 'Size' },
  { label: 'bastion.c.result', render: (f) => t(`bastion.fa.${f.Action}`) },
];

export default {
  path: 'bastion-replay',
  title: 'nav.bastionReplay',
  menu: false,
  who: ['admin'],
  async render(el, { query }) {
    loadStyle('js/bastion/bastion.css');
    const sid = query.get('sid') || '';
    const info = h('div', { id: 'replay-info' });
    const holder = h('div', { id: 'replay-player' });
    const cmds = h('ol', { id: 'replay-commands' });
    const files = h('div', { id: 'replay-files' });
    el.append(h('h1', {}, t('bastion.replay.title'), ' ', h('code', {}, sid)),
      h('p', {}, h('a', { href: '#/bastion-sessions' }, t('bastion.replay.back'))), info,
      h('div', { class: 'replay' }, holder,
        h('aside', { class: 'replay-side' }, h('h2', {}, t('bastion.replay.commands')), cmds)),
      h('h2', {}, t('bastion.replay.files')), files);
    if (!sid) { info.append(errorBox(new Error(t('bastion.replay.noSid')))); return; }

    try {
      const s = (await call(SVC, VER, 'SearchSession', { Id: sid })).SessionSet[0];
      if (s) {
        info.append(h('p', { class: 'hint' }, `${s.UserName} (${s.RealName || ''}) → ${s.Account}@${s.DeviceName || ''} ${s.PrivateIp || s.PublicIp || ''}`
          + ` · ${s.Protocol} · ${shown(s.StartTime)} – ${shown(s.EndTime)} · ${s.Status ? t(`bastion.ss.${s.Status}`) : ''}`));
      }
    } catch (err) { info.append(errorBox(err)); }

    let player = null;
    const playing = (async () => {
      const rec = await call(SVC, VER, 'DescribeSessionRecording', { Sid: sid });
      loadStyle('vendor/asciinema-player/asciinema-player.css');
      await loadScript(PLAYER);
      if (!window.AsciinemaPlayer) throw new Error(t('bastion.replay.noPlayer'));
      player = window.AsciinemaPlayer.create(rec.Url, holder, { preload: true, fit: 'width', controls: true });
      holder.player = player;             // for whoever drives the page (tests read its current time)
      holder.dataset.ready = '1';
    })().catch((err) => holder.replaceChildren(errorBox(err)));

    const listing = (async () => {
      const found = await all('SearchCommandBySid', { Sid: sid }, 'CommandSet');
      found.sort((a, b) => a.TimeOffset - b.TimeOffset);
      cmds.replaceChildren(...(found.length ? found.map((c) => h('li', {},
        h('button', { type: 'button', class: `link cmd${c.Action === 2 ? ' denied' : ''}`, 'data-offset': c.TimeOffset,
          title: t(`bastion.ca.${c.Action}`), onclick: async () => {
            await playing;
            if (!player) return;
            await player.seek(c.TimeOffset / 1000);
            for (const b of cmds.querySelectorAll('button.current')) b.classList.remove('current');
            cmds.querySelector(`button[data-offset="${c.TimeOffset}"]`)?.classList.add('current');
            holder.dataset.seeked = String(c.TimeOffset);
          } }, h('span', { class: 'at' }, clock(c.TimeOffset)), ' ', c.Cmd))) : [h('li', { class: 'empty' }, t('common.none'))]));
    })().catch((err) => cmds.replaceChildren(errorBox(err)));

    const fileListing = (async () => {
      const found = await all('SearchFileBySid', { Sid: sid }, 'SearchFileBySidResult');
      files.replaceChildren(found.length ? table(FILE_COLUMNS, found) : h('p', { class: 'empty' }, t('common.none')));
    })().catch((err) => files.replaceChildren(errorBox(err)));

    await Promise.all([playing, listing, fileListing]);
  },
};
