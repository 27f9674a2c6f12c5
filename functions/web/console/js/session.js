// The signed-in session: a temporary key, its token and expiry, kept in sessionStorage (this tab
// only, gone when it closes). A long-term SecretKey is never stored.
const KEY = 'gz.session';
const NOTICE = 'gz.notice';

export function current() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
}

// s: {secretId, secretKey, token, expiredTime, kind: 'admin'|'bastion', region, ownerUin, userName, scope}
export function start(s) { sessionStorage.setItem(KEY, JSON.stringify(s)); }

export function isExpired(s = current()) { return !s || s.expiredTime * 1000 <= Date.now(); }

export function end(notice = '') {
  sessionStorage.removeItem(KEY);
  if (notice) sessionStorage.setItem(NOTICE, notice); else sessionStorage.removeItem(NOTICE);
}

// A message for the sign-in page (why the user was sent back), read once.
export function takeNotice() {
  const n = sessionStorage.getItem(NOTICE) || '';
  sessionStorage.removeItem(NOTICE);
  return n;
}
