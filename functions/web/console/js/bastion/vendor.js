// Loading the vendored player (a classic UMD script and its stylesheet), once per page load.
const loaded = new Map();

export function loadScript(src) {
  if (!loaded.has(src)) {
    loaded.set(src, new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;          // relative to the console root (index.html)
      s.onload = resolve;
      s.onerror = () => { loaded.delete(src); reject(new Error(`${src} could not be loaded (run make console-vendor)`)); };
      document.head.append(s);
    }));
  }
  return loaded.get(src);
}

export function loadStyle(href) {
  if (!document.querySelector(`link[href="${href}"]`)) {
    const l = document.createElement('link');
    l.rel = 'stylesheet';
    l.href = href;
    document.head.append(l);
  }
}
