// <input type="datetime-local"> values <-> the bastion API's ISO 8601 times.
export function isoOf(local) {
  const d = new Date(local);
  return `${d.toISOString().slice(0, 19)}+00:00`;
}
export function localNow(offsetSec = 0) {
  const d = new Date(Date.now() + offsetSec * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
export function shown(iso) { return iso ? new Date(iso).toLocaleString() : ''; }
