// Mitra's orders page, kept up to date. The page works without this
// script; with it, the list of the tab shown is swapped in whenever an
// order is filed or changed anywhere (another staff member, the CLI,
// the API, a customer's proof of payment), from the console's live
// stream: /console/events?orders=<state>. Each event carries the whole
// list as HTML that html/template escaped on the server. When the
// stream is down for 20 s a banner says the list may be old, and the
// script keeps reconnecting with backoff.
(() => {
  'use strict';

  const STALE_MS = 20000;
  const SILENT_MS = 40000; // no byte this long (a comment every 15 s): the stream is dead
  const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];

  const me = document.currentScript;
  const state = (me && me.dataset.state) || 'all';
  const list = document.getElementById('orders-list');
  const banner = document.getElementById('orders-live');
  if (!list || !banner) return;

  let ctrl = null;
  let attempt = 0;
  let downSince = 0;
  let lastByte = 0;

  function say(text) {
    banner.textContent = text;
    banner.hidden = !text;
  }

  function apply(block) {
    let name = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue; // a comment: the heartbeat
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let value = c < 0 ? '' : line.slice(c + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
    }
    if (name === 'bye') return 'bye';
    let v;
    try {
      v = JSON.parse(data);
    } catch {
      return '';
    }
    if (name === 'orders' && v.html && typeof v.html['orders-list'] === 'string') {
      list.innerHTML = v.html['orders-list']; // escaped by html/template
    } else if (name === 'status') {
      say(v.ok ? '' : 'Server sedang tidak bisa membaca data; daftar ini mungkin sudah lama. (The server cannot read its data: this list may be old.)');
    }
    return '';
  }

  function lost(why) {
    ctrl = null;
    if (why === 'bye') {
      setTimeout(connect, 0);
      return;
    }
    if (!downSince) downSince = Date.now();
    const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] * (0.8 + Math.random() * 0.4);
    attempt++;
    setTimeout(connect, wait);
  }

  async function connect() {
    if (ctrl) return;
    const c = new AbortController();
    ctrl = c;
    lastByte = Date.now();
    let res;
    try {
      res = await fetch('/console/events?orders=' + encodeURIComponent(state), {
        headers: { Accept: 'text/event-stream' }, cache: 'no-store', credentials: 'same-origin', signal: c.signal,
      });
    } catch {
      lost('');
      return;
    }
    if (!(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
      if (res.redirected) {
        say('Sesi Anda berakhir; masuk lagi untuk melihat pesanan terbaru. (Logged out.)');
        ctrl = null;
        return;
      }
      lost('');
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let end = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        lastByte = Date.now();
        if (downSince || attempt) {
          downSince = 0;
          attempt = 0;
          say('');
        }
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          if (apply(buf.slice(0, i)) === 'bye') end = 'bye';
          buf = buf.slice(i + 2);
        }
      }
    } catch {
      // cut, or aborted by the watchdog
    }
    lost(end);
  }

  setInterval(() => {
    if (ctrl && Date.now() - lastByte > SILENT_MS) ctrl.abort();
    if (downSince && Date.now() - downSince >= STALE_MS) {
      say('Pembaruan langsung terhenti — menyambung ulang… Daftar ini mungkin sudah lama; muat ulang halaman untuk yang terbaru. (Updates paused: reload for the latest.)');
    }
  }, 2000);
  window.addEventListener('pagehide', () => {
    if (ctrl) ctrl.abort();
  });
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) connect();
  });
  connect();
})();
