// Mitra staff inbox, and the orders page. The page works without this
// script (links and forms); the script keeps it live and sends the
// forms in the background.
//
// Live updates come as Server-Sent Events from /console/events, read with
// fetch so the script sees the heartbeat comments and the status of a
// refused stream. Each event carries the whole state of the queue, of
// the open conversation or of the orders page's list as HTML that
// html/template escaped on the server; nothing else goes into the page
// but through textContent. When the stream is down for 20 s the script
// polls /console/snapshot (with the stream's query) and says so in a
// banner: the page is never quietly stale. On the orders page the script
// tag names the tab listed: data-orders="<state>" (or all).
(() => {
  'use strict';

  const STALE_MS = 20000; // without a stream this long: poll, and say so
  const SILENT_MS = 40000; // no byte this long (a comment every 15 s): the stream is dead
  const POLL_MS = 5000;
  const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
  const NOTIFY_GAP_MS = 5000; // at most one notification this often
  const MAX_TEXT = 4096;

  document.documentElement.classList.add('js');
  const body = document.body;
  const ordersTab = (document.currentScript && document.currentScript.dataset.orders) || '';
  const contact = body.dataset.contact || '';
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const banner = document.getElementById('banner');
  const composer = document.getElementById('composer');
  const input = document.getElementById('text');
  const counter = document.getElementById('counter');
  const errorBox = document.getElementById('composer-error');
  const notifyButton = document.getElementById('notify');
  const baseTitle = document.title;
  const touch = matchMedia('(pointer: coarse)'); // a phone: Enter is a new line
  const q = ordersTab ? '?orders=' + encodeURIComponent(ordersTab) : contact ? '?c=' + encodeURIComponent(contact) : '';

  // ---- small helpers ----

  function ago(ms) {
    if (ms < 60e3) return 'baru saja';
    if (ms < 3600e3) return Math.floor(ms / 60e3) + ' mnt';
    if (ms < 86400e3) return Math.floor(ms / 3600e3) + ' jam';
    return Math.floor(ms / 86400e3) + ' hari';
  }

  function clock(d) {
    return d.toLocaleTimeString('id-ID', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function refreshTimes() {
    const now = Date.now();
    for (const t of document.querySelectorAll('time.rel')) {
      const at = Date.parse(t.dateTime);
      if (!Number.isNaN(at)) t.textContent = (t.dataset.prefix || '') + ago(Math.max(0, now - at));
    }
  }

  function isJSON(res) {
    return (res.headers.get('Content-Type') || '').includes('application/json');
  }

  // ---- the queue ----

  let shown = (document.querySelector('.tab[aria-selected="true"]') || {}).dataset?.view || 'waiting';

  function showTab(view) {
    shown = view;
    for (const t of document.querySelectorAll('.tab')) {
      const on = t.dataset.view === view;
      t.setAttribute('aria-selected', String(on));
      const list = document.getElementById('list-' + t.dataset.view);
      if (list) list.hidden = !on;
    }
  }

  document.addEventListener('click', (e) => {
    const tab = e.target.closest('.tab');
    if (tab) {
      e.preventDefault();
      showTab(tab.dataset.view);
      const u = new URL(location.href);
      u.searchParams.set('view', tab.dataset.view);
      history.replaceState(null, '', u);
      return;
    }
    const row = e.target.closest('a.row');
    if (row && shown !== 'waiting') {
      // The conversation's page shows the same list beside it.
      row.href = '/console/c/' + encodeURIComponent(row.dataset.id) + '?view=' + encodeURIComponent(shown);
    }
  });

  function setCount(id, n) {
    const c = document.getElementById(id);
    if (c) {
      c.textContent = String(n);
      c.dataset.n = String(n);
    }
  }

  function applyQueue(p) {
    for (const [id, html] of Object.entries(p.html || {})) {
      const list = document.getElementById(id);
      if (list) list.innerHTML = html; // escaped by html/template
    }
    setCount('count-waiting', p.waiting);
    setCount('count-held', p.held);
    document.title = (p.waiting ? '(' + p.waiting + ') ' : '') + baseTitle;
    noticeWaiting(p.waiting_rows || []);
    refreshTimes();
  }

  // ---- the orders page ----

  function applyOrders(p) {
    for (const [id, html] of Object.entries(p.html || {})) {
      const list = document.getElementById(id);
      if (list) list.innerHTML = html; // escaped by html/template
    }
  }

  // ---- notifications ----

  let known = new Set(Array.from(document.querySelectorAll('#list-waiting a.row'), (a) => a.dataset.id));
  let pending = [];
  let pendingTimer = 0;
  let lastNotified = 0;
  let worker = null;

  function canNotify() {
    return 'Notification' in window && window.isSecureContext;
  }

  function showNotifyButton() {
    if (!notifyButton) return;
    if (!canNotify()) {
      notifyButton.hidden = true;
      return;
    }
    notifyButton.hidden = Notification.permission === 'granted';
    notifyButton.disabled = Notification.permission === 'denied';
    if (Notification.permission === 'denied') {
      notifyButton.textContent = 'Notifikasi diblokir browser';
    }
  }

  async function registerWorker() {
    if (!('serviceWorker' in navigator)) return;
    try {
      // A phone's browser shows notifications only through a worker.
      worker = await navigator.serviceWorker.register('/static/console-sw.js');
    } catch {
      worker = null;
    }
  }

  if (notifyButton) {
    notifyButton.addEventListener('click', async () => {
      const p = await Notification.requestPermission();
      if (p === 'granted') await registerWorker();
      showNotifyButton();
    });
  }

  // noticeWaiting raises a notification for conversations that started
  // waiting since the last state, a few at once, not one per event.
  function noticeWaiting(rows) {
    for (const r of rows) {
      if (!known.has(r.id)) pending.push(r);
    }
    known = new Set(rows.map((r) => r.id));
    if (pending.length && !pendingTimer) {
      pendingTimer = setTimeout(flushNotifications, Math.max(1500, lastNotified + NOTIFY_GAP_MS - Date.now()));
    }
  }

  function flushNotifications() {
    pendingTimer = 0;
    const rows = pending.filter((r) => known.has(r.id));
    pending = [];
    if (!rows.length || !canNotify() || Notification.permission !== 'granted') return;
    lastNotified = Date.now();
    const one = rows.length === 1;
    const title = one ? 'Pelanggan menunggu: ' + rows[0].title : rows.length + ' pelanggan menunggu';
    const opts = {
      body: one ? rows[0].words || 'Minta bicara dengan staf' : rows.map((r) => r.title).join(', '),
      tag: 'mitra-waiting',
      renotify: true,
      data: { url: one ? '/console/c/' + encodeURIComponent(rows[0].id) : '/console' },
    };
    if (worker) {
      worker.showNotification(title, opts).catch(() => {});
      return;
    }
    try {
      const n = new Notification(title, opts);
      n.onclick = () => {
        window.focus();
        location.href = opts.data.url;
        n.close();
      };
    } catch {
      // Only a worker may show one here, and it did not register.
    }
  }

  showNotifyButton();
  if (canNotify() && Notification.permission === 'granted') registerWorker();

  // ---- the open conversation ----

  let windowTimer = 0;

  function scrollToEnd() {
    const tl = document.getElementById('conv-timeline');
    if (tl) tl.scrollTop = tl.scrollHeight;
  }

  function applyConversation(c) {
    if (!contact || c.id !== contact) return;
    if (c.gone) {
      showBanner(c.gone, true);
      if (composer) composer.hidden = true;
      const holder = document.getElementById('conv-holder');
      if (holder) holder.hidden = true;
      return;
    }
    const tl = document.getElementById('conv-timeline');
    const atEnd = !tl || tl.scrollHeight - tl.scrollTop - tl.clientHeight < 80;
    const flow = document.getElementById('flow');
    const picked = flow ? flow.value : null;
    for (const [id, html] of Object.entries(c.html || {})) {
      const n = document.getElementById(id);
      if (!n) continue;
      const kept = keepTyped(n);
      n.innerHTML = html; // escaped by html/template
      kept();
    }
    const again = document.getElementById('flow');
    if (again && picked !== null && Array.from(again.options).some((o) => o.value === picked)) again.value = picked;
    if (composer) composer.dataset.canReply = c.why_not ? 'no' : 'yes';
    watchWindow(c.window_ends);
    if (atEnd) scrollToEnd();
    refreshTimes();
  }

  // keepTyped remembers what staff are in the middle of in a part of
  // the page about to be swapped — text typed in a field (a resi, a
  // fee, a reason), an open <details>, the field with the focus — and
  // the refusal shown beside an order, and returns what puts them back
  // where the new part still has them. A refusal stays only while its
  // order is the version it was refused in.
  function keepTyped(node) {
    const typed = [];
    for (const f of node.querySelectorAll('input[id]:not([type=hidden]), textarea[id]')) {
      if (f.value !== f.defaultValue) typed.push([f.id, f.value]);
    }
    const open = Array.from(node.querySelectorAll('details[open]'), (d) => {
      const card = d.closest('[data-number]');
      return card ? card.dataset.number : '';
    });
    const focused = node.contains(document.activeElement) ? document.activeElement.id : '';
    const refusals = Array.from(node.querySelectorAll('.order-refusal'), (p) => {
      const card = p.closest('[data-number]');
      return card ? [card.dataset.number, card.dataset.version, p.textContent] : null;
    }).filter(Boolean);
    return () => {
      for (const [id, value] of typed) {
        const f = document.getElementById(id);
        if (f && node.contains(f)) f.value = value;
      }
      for (const card of node.querySelectorAll('[data-number]')) {
        const d = card.querySelector('details');
        if (d && open.includes(card.dataset.number)) d.open = true;
        for (const [number, version, text] of refusals) {
          if (card.dataset.number !== number || card.dataset.version !== version || card.querySelector('.order-refusal')) continue;
          const p = document.createElement('p');
          p.className = 'form-error order-refusal';
          p.setAttribute('role', 'alert');
          p.textContent = text;
          const actions = card.querySelector('.order-actions');
          card.insertBefore(p, actions);
        }
      }
      const f = focused && document.getElementById(focused);
      if (f && node.contains(f)) f.focus();
    };
  }

  // watchWindow reads the conversation again when its reply window
  // closes, so the page says so without anything else changing.
  function watchWindow(ends) {
    clearTimeout(windowTimer);
    const at = ends ? Date.parse(ends) : 0;
    if (at && at - Date.now() < 864e5) {
      windowTimer = setTimeout(refreshNow, Math.max(0, at - Date.now()) + 1000);
    }
  }

  function showError(text) {
    if (!errorBox) {
      showBanner(text, true);
      return;
    }
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  function clearError() {
    if (errorBox) errorBox.hidden = true;
  }

  // post sends a form of the page as the page's script; it reports
  // whether the server took it, and shows why not otherwise.
  async function post(url, form, button) {
    if (button) button.disabled = true;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: new URLSearchParams(new FormData(form)),
        credentials: 'same-origin',
      });
      if (!isJSON(res)) {
        if (res.redirected) {
          loggedOut();
          return false;
        }
        showError((await res.text()).trim() || 'HTTP ' + res.status);
        return false;
      }
      const v = await res.json();
      if (v.conversation) applyConversation(v.conversation);
      if (!v.ok) {
        showError(v.error || 'HTTP ' + res.status);
        return false;
      }
      clearError();
      return true;
    } catch {
      showError('Tidak tersambung ke server; coba lagi. (Could not reach the server.)');
      return false;
    } finally {
      if (button) button.disabled = false;
    }
  }

  function mode() {
    const m = composer && composer.querySelector('input[name="mode"]:checked');
    return m ? m.value : 'reply';
  }

  function setMode() {
    const m = mode();
    composer.classList.toggle('mode-reply', m === 'reply');
    composer.classList.toggle('mode-note', m === 'note');
    input.placeholder = m === 'note'
      ? 'Catatan pribadi, tidak dikirim ke pelanggan…'
      : touch.matches ? 'Tulis balasan…' : 'Tulis balasan… (Enter mengirim, Shift+Enter baris baru)';
    clearError();
  }

  function fit() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 4, window.innerHeight * 0.4) + 'px';
    const n = Array.from(input.value.trim()).length;
    counter.textContent = n > MAX_TEXT - 500 ? n + '/' + MAX_TEXT : '';
    counter.classList.toggle('over', n > MAX_TEXT);
  }

  async function submitComposer() {
    const note = mode() === 'note';
    const button = document.getElementById(note ? 'save-note' : 'send');
    const ok = await post('/console/c/' + encodeURIComponent(contact) + (note ? '/note' : '/reply'), composer, button);
    if (ok) {
      input.value = '';
      fit();
      scrollToEnd();
    }
    input.focus();
  }

  // ---- canned replies ----

  const canned = document.getElementById('canned');

  // pickCanned puts a canned reply, written for this contact on the
  // server, into the reply box in place of what is selected there (all
  // of an empty box), to be edited before it is sent.
  function pickCanned(pick) {
    const text = (pick.querySelector('.canned-text') || {}).textContent || '';
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    canned.open = false;
    clearError();
    fit();
    input.focus();
    input.setSelectionRange(start + text.length, start + text.length);
  }

  if (canned) {
    canned.addEventListener('click', (e) => {
      const pick = e.target.closest('.canned-pick');
      if (pick) {
        e.preventDefault();
        pickCanned(pick);
      }
    });
    canned.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && canned.open) {
        canned.open = false;
        canned.querySelector('summary').focus();
      }
    });
    // A tap elsewhere closes the list.
    document.addEventListener('click', (e) => {
      if (canned.open && !canned.contains(e.target)) canned.open = false;
    });
  }

  // ---- linking one's own chat for alerts ----

  const linkPanel = document.getElementById('link-panel');

  async function linkChat(form) {
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const res = await fetch(form.action, {
        method: 'POST',
        headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: new URLSearchParams(new FormData(form)),
        credentials: 'same-origin',
      });
      if (!isJSON(res)) {
        if (res.redirected) loggedOut();
        else showBanner((await res.text()).trim() || 'HTTP ' + res.status, true);
        return;
      }
      const v = await res.json();
      if (!v.ok) {
        showBanner(v.error || 'HTTP ' + res.status, true);
        return;
      }
      linkPanel.innerHTML = v.html; // escaped by html/template
      linkPanel.hidden = false;
    } catch {
      showBanner('Tidak tersambung ke server; coba lagi. (Could not reach the server.)', true);
    } finally {
      button.disabled = false;
    }
  }

  if (linkPanel) {
    linkPanel.addEventListener('click', (e) => {
      if (e.target.closest('.link-close')) {
        e.preventDefault();
        linkPanel.hidden = true;
      }
    });
  }

  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (form === composer) {
      e.preventDefault();
      submitComposer();
    } else if (form.id === 'link-form' && linkPanel) {
      e.preventDefault();
      linkChat(form);
    } else if (form.classList && form.classList.contains('js-action')) {
      e.preventDefault();
      post(form.action, form, form.querySelector('button'));
    }
  });

  if (composer) {
    composer.addEventListener('change', (e) => {
      if (e.target.name === 'mode') setMode();
    });
    input.addEventListener('input', fit);
    input.addEventListener('keydown', (e) => {
      // Enter sends on a desk; on a phone it is a new line, and the
      // button sends.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !touch.matches) {
        e.preventDefault();
        submitComposer();
      }
    });
    setMode();
    fit();
    scrollToEnd();
    const facts = document.getElementById('facts-box');
    if (facts && matchMedia('(min-width: 1100px)').matches) facts.open = true;
  }

  // ---- live updates ----

  let ctrl = null; // the stream's, while one is open or opening
  let streaming = false; // bytes came on the current stream
  let lastByte = 0;
  let downSince = Date.now(); // without a stream since; 0 while one flows
  let attempt = 0;
  let pollTimer = 0;
  let pollReason = '';
  let lastState = 0; // when the page last had the server's state
  let stopped = false;
  let storeTrouble = false; // the server said it cannot read the store

  function showBanner(text, bad) {
    banner.textContent = text;
    banner.classList.toggle('bad', !!bad);
    banner.hidden = false;
  }

  function loggedOut() {
    stopped = true;
    stopPolling();
    if (ctrl) ctrl.abort();
    banner.textContent = 'Sesi Anda berakhir; pembaruan berhenti. ';
    const a = document.createElement('a');
    a.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
    a.textContent = 'Masuk lagi (log in again)';
    banner.append(a);
    banner.classList.add('bad');
    banner.hidden = false;
  }

  function sayPaused() {
    const when = lastState ? ' Data terakhir pukul ' + clock(new Date(lastState)) + '.' : '';
    if (pollReason === 'busy') {
      showBanner('Terlalu banyak tab terbuka untuk akun ini: halaman ini diperbarui tiap 5 detik.' + when + ' (Too many tabs: this one polls.)');
    } else if (pollReason === 'failing') {
      showBanner('Tidak tersambung ke server; pembaruan terhenti — menyambung ulang…' + when + ' (Offline: updates paused — reconnecting.)', true);
    } else {
      showBanner('Pembaruan langsung terhenti — menyambung ulang… Sementara itu diperbarui tiap 5 detik.' + when + ' (Updates paused — reconnecting.)');
    }
  }

  async function refreshNow() {
    const res = await fetch('/console/snapshot' + q, {
      headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin',
    });
    if (!isJSON(res)) {
      if (res.redirected) loggedOut();
      throw new Error('HTTP ' + res.status);
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const v = await res.json();
    if (v.queue) applyQueue(v.queue);
    if (v.conversation) applyConversation(v.conversation);
    if (v.orders) applyOrders(v.orders);
    lastState = Date.now();
  }

  async function poll() {
    if (stopped) return;
    try {
      await refreshNow();
      if (pollReason === 'failing') pollReason = 'paused';
    } catch {
      pollReason = pollReason === 'busy' ? 'busy' : 'failing';
    }
    if (pollTimer && !stopped) sayPaused();
  }

  function startPolling(reason) {
    if (pollReason !== 'busy') pollReason = reason;
    sayPaused();
    if (!pollTimer) {
      pollTimer = setInterval(poll, POLL_MS);
      poll();
    }
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = 0;
    pollReason = '';
  }

  function up() {
    streaming = true;
    downSince = 0;
    attempt = 0;
    if (pollTimer) stopPolling();
    // A new stream says first when the server still cannot read.
    storeTrouble = false;
    if (!stopped) banner.hidden = true;
  }

  // lost handles a stream that ended: at once again after the server's
  // planned end, else after a growing, jittered wait.
  function lost(why) {
    ctrl = null;
    streaming = false;
    if (stopped) return;
    if (why === 'bye') {
      setTimeout(connect, 0);
      return;
    }
    if (!downSince) downSince = Date.now();
    let wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] * (0.8 + Math.random() * 0.4);
    attempt++;
    if (why === 'busy') {
      startPolling('busy');
      wait = 30000;
    }
    setTimeout(connect, wait);
    checkStale();
  }

  function checkStale() {
    if (!stopped && downSince && Date.now() - downSince >= STALE_MS) startPolling('paused');
  }

  function dispatch(block) {
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
    if (!data) return '';
    let v;
    try {
      v = JSON.parse(data);
    } catch {
      return '';
    }
    if (name === 'queue') applyQueue(v);
    else if (name === 'conversation') applyConversation(v);
    else if (name === 'orders') applyOrders(v);
    else if (name === 'status') {
      storeTrouble = !v.ok;
      if (storeTrouble) {
        showBanner('Server sedang tidak bisa membaca data; pembaruan terhenti — mencoba lagi… (Updates paused: the server cannot read its data.)', true);
      } else if (!pollTimer) {
        banner.hidden = true;
      }
      return '';
    }
    lastState = Date.now();
    return '';
  }

  async function connect() {
    if (stopped || ctrl) return;
    const c = new AbortController();
    ctrl = c;
    lastByte = Date.now();
    let res;
    try {
      res = await fetch('/console/events' + q, {
        headers: { Accept: 'text/event-stream' }, cache: 'no-store', credentials: 'same-origin', signal: c.signal,
      });
    } catch {
      lost('');
      return;
    }
    const type = res.headers.get('Content-Type') || '';
    if (!type.startsWith('text/event-stream')) {
      if (res.redirected) {
        ctrl = null;
        loggedOut();
        return;
      }
      lost(res.status === 429 ? 'busy' : '');
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
        if (!streaming) up();
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          if (dispatch(buf.slice(0, i)) === 'bye') end = 'bye';
          buf = buf.slice(i + 2);
        }
      }
    } catch {
      // cut, or aborted by the watchdog
    }
    lost(end);
  }

  // The watchdog: a stream that says nothing, not even its heartbeat, is
  // dead even when the connection looks open (a proxy holding it).
  setInterval(() => {
    if (ctrl && Date.now() - lastByte > SILENT_MS) ctrl.abort();
    checkStale();
  }, 2000);
  setInterval(refreshTimes, 30000);

  // A phone back on the network tries at once.
  window.addEventListener('online', () => {
    attempt = 0;
    connect();
  });
  window.addEventListener('pagehide', () => {
    if (ctrl) ctrl.abort();
  });
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && !stopped) connect();
  });

  connect();
})();
