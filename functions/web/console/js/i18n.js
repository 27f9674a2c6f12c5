// Strings: one file per language (i18n/zh.js, i18n/en.js), flat keys "<page>.<what>".
//   t('audit.search')                 -> the string in the current language (the key itself if missing)
//   t('audit.count', {n: 3})          -> "{n}" replaced
//   <span data-i18n="audit.search">   -> filled by translate(root) (data-i18n-placeholder, data-i18n-title too)
import zh from './i18n/zh.js';
import en from './i18n/en.js';

const TABLES = { zh, en };
const KEY = 'gz.lang';

export function lang() {
  const saved = localStorage.getItem(KEY);
  if (saved && TABLES[saved]) return saved;
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function setLang(l) {
  if (TABLES[l]) localStorage.setItem(KEY, l);
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
}

export function t(key, vars = {}) {
  const s = TABLES[lang()][key] ?? TABLES.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}
