// Mitra chat simulator. The page works without this script (a plain form
// post); the script makes it live: it sends the visitor's messages as JSON,
// retries them while the server is unavailable, polls for the bot's replies
// and keeps the visitor's own lines in sessionStorage so a reload shows
// them. Message text only ever goes into the page as textContent.
(() => {
  'use strict';

  const stateEl = document.getElementById('state');
  const state = stateEl ? JSON.parse(stateEl.textContent || '{}') : {};
  const form = document.getElementById('composer');
  if (!state || !state.user || !form) return;

  const POLL_MS = 700;
  const MAX_WAIT_MS = 8000;
  const TYPING_MS = 10000;
  const RETRY = new Set([0, 502, 503, 504]);
  const RECONNECTING = 'menyambung ulang…';

  const input = document.getElementById('text');
  const sendButton = document.getElementById('send');
  const log = document.getElementById('log');
  const scroller = document.getElementById('scroller');
  const status = document.getElementById('status');
  const sub = document.getElementById('chat-sub');
  const attach = document.getElementById('attach');
  const storeKey = `mitra.sim.${state.channel}.${state.user}`;

  let last = Number(state.last) || 0;
  const mine = load();
  const nodes = new Map();
  const queue = [];
  let pumping = false;
  let sendTrouble = false;
  let pollTrouble = false;
  let typing = null;
  let typingTimer = 0;
  let pollTimer = 0;
  let polling = false;
  let pollAgain = false;
  let pollWait = POLL_MS;

  // ---- small helpers ----

  function el(tag, className, text) {
    const n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function clock(d) {
    return d.toLocaleTimeString('id-ID', { hour: '2-digit', minute: '2-digit' });
  }

  function timeEl(d) {
    const t = el('time', '', clock(d));
    t.dateTime = d.toISOString();
    return t;
  }

  // newId returns a random message id. crypto.randomUUID needs a secure
  // context, which a LAN address over http is not; getRandomValues does not.
  function newId() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return 'w-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function load() {
    try {
      const v = JSON.parse(sessionStorage.getItem(storeKey));
      return Array.isArray(v) ? v : [];
    } catch {
      return [];
    }
  }

  function save() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify(mine.slice(-200)));
    } catch {
      // Storage full or disabled: the lines just won't survive a reload.
    }
  }

  function setStatus() {
    const text = sendTrouble || pollTrouble ? RECONNECTING : '';
    if (text || status.dataset.server !== 'kept') {
      status.textContent = text;
      status.hidden = !text;
    }
  }

  function nearBottom() {
    // The scroller is column-reverse: 0 is the bottom, upwards is negative.
    return Math.abs(scroller.scrollTop) < 120;
  }

  function add(li, follow) {
    const empty = document.getElementById('empty');
    if (empty) empty.remove();
    const stick = follow || nearBottom();
    log.insertBefore(li, typing && typing.isConnected ? typing : null);
    if (stick) scroller.scrollTop = 0;
  }

  // ---- bubbles ----

  const CLASS_LABELS = { transactional: 'transaksi', promotional: 'promosi' };

  function botBubble(m) {
    const li = el('li', 'msg bot');
    li.dataset.seq = String(m.seq);
    const bubble = el('div', 'bubble');
    if (CLASS_LABELS[m.class]) bubble.append(el('span', 'tag', CLASS_LABELS[m.class]));
    bubble.append(el('p', 'text', m.text));
    const choices = m.choices || [];
    if (choices.length) {
      const ol = el('ol', 'numbered');
      choices.forEach((c, i) => ol.append(el('li', '', `${i + 1}. ${c.label}`)));
      bubble.append(ol);
    }
    bubble.append(timeEl(new Date(m.at)));
    li.append(bubble);
    if (choices.length) {
      const group = el('div', 'choices');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', 'Pilihan');
      for (const c of choices) {
        const b = el('button', '', c.label);
        b.type = 'submit';
        b.name = 'choice';
        b.value = c.id;
        b.setAttribute('form', 'composer');
        group.append(b);
      }
      li.append(group);
    }
    return li;
  }

  function myBubble(item) {
    const li = el('li', 'msg me');
    li.dataset.id = item.id;
    if (item.media) li.classList.add('media');
    const bubble = el('div', 'bubble');
    bubble.append(el('p', 'text', item.shown));
    const meta = el('span', 'meta');
    meta.append(timeEl(new Date(item.at)), el('span', 'tick'));
    bubble.append(meta);
    li.append(bubble);
    nodes.set(item.id, li);
    paint(item);
    return li;
  }

  const TICKS = {
    pending: ['🕓', 'mengirim'],
    sent: ['✓✓', 'terkirim'],
    failed: ['!', 'gagal'],
  };

  function paint(item) {
    const li = nodes.get(item.id);
    if (!li) return;
    const [mark, label] = TICKS[item.state] || TICKS.pending;
    const tick = li.querySelector('.tick');
    tick.textContent = mark;
    tick.setAttribute('aria-label', label);
    tick.title = label;
    li.classList.toggle('sent', item.state === 'sent');
    li.classList.toggle('failed', item.state === 'failed');
    const old = li.querySelector('.fail');
    if (old) old.remove();
    if (item.state === 'failed') li.append(el('p', 'fail', `Tidak terkirim: ${item.error || 'ditolak server'}`));
  }

  function showTyping() {
    if (!typing) {
      typing = el('li', 'msg bot typing');
      const bubble = el('div', 'bubble');
      bubble.append(el('span', 'dot'), el('span', 'dot'), el('span', 'dot'), el('span', 'visually-hidden', 'mengetik…'));
      typing.append(bubble);
    }
    if (!typing.isConnected) {
      const stick = nearBottom();
      log.append(typing);
      if (stick) scroller.scrollTop = 0;
    }
    sub.textContent = 'mengetik…';
    sub.classList.add('typing');
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_MS);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    if (typing) typing.remove();
    sub.textContent = sub.dataset.idle;
    sub.classList.remove('typing');
  }

  // ---- sending ----

  async function errorText(res) {
    try {
      const body = await res.json();
      return body.error || `HTTP ${res.status}`;
    } catch {
      return `HTTP ${res.status}`;
    }
  }

  // pump sends the queued messages one at a time, in order. A message the
  // server could not take now (network down, 503) is retried with backoff
  // under the same id, so it is processed once however often it is sent.
  async function pump() {
    if (pumping) return;
    pumping = true;
    let wait = 500;
    while (queue.length) {
      const item = queue[0];
      showTyping();
      let res = null;
      try {
        res = await fetch('/api/sim/messages', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ user: state.user, channel: state.channel, id: item.id, ...item.body }),
        });
      } catch {
        // Offline or the server is restarting: retried below.
      }
      const code = res ? res.status : 0;
      if (RETRY.has(code)) {
        sendTrouble = true;
        setStatus();
        const after = Number(res && res.headers.get('Retry-After')) * 1000 || 0;
        await sleep(Math.max(wait, after));
        wait = Math.min(wait * 2, MAX_WAIT_MS);
        continue;
      }
      queue.shift();
      wait = 500;
      sendTrouble = false;
      setStatus();
      if (res.ok) {
        item.state = 'sent';
        poll();
      } else {
        item.state = 'failed';
        item.error = await errorText(res);
        hideTyping();
      }
      paint(item);
      save();
    }
    pumping = false;
  }

  function send(body, shown, media) {
    const item = { id: newId(), body, shown, media, after: last, at: Date.now(), state: 'pending' };
    mine.push(item);
    save();
    add(myBubble(item), true);
    queue.push(item);
    pump();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const by = e.submitter;
    if (by && by.name === 'choice') {
      send({ choice: by.value }, by.textContent.trim(), false);
    } else if (by && by.name === 'kind') {
      attach.open = false;
      send({ kind: by.value }, by.dataset.label || by.value, true);
    } else {
      const text = input.value.trim();
      if (text) {
        input.value = '';
        grow();
        send({ text }, text, false);
      }
      input.focus();
    }
  });

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit(sendButton);
    }
  });

  function grow() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, 140)}px`;
  }
  input.addEventListener('input', grow);

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && attach.open) {
      attach.open = false;
      attach.querySelector('summary').focus();
    }
  });
  document.addEventListener('click', (e) => {
    if (attach.open && !attach.contains(e.target)) attach.open = false;
  });

  // ---- polling ----

  function schedule(ms) {
    clearTimeout(pollTimer);
    if (document.visibilityState === 'visible') pollTimer = setTimeout(poll, ms);
  }

  async function poll() {
    clearTimeout(pollTimer);
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    try {
      const q = new URLSearchParams({ user: state.user, channel: state.channel, after: String(last) });
      const res = await fetch(`/api/sim/messages?${q}`, { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const data = await res.json();
      const fresh = data.messages.filter((m) => m.seq > last);
      for (const m of fresh) {
        add(botBubble(m), false);
        last = m.seq;
      }
      if (fresh.length) hideTyping();
      if (data.messages.length >= 100) pollAgain = true;
      pollTrouble = false;
      pollWait = POLL_MS;
      status.dataset.server = '';
    } catch {
      pollTrouble = true;
      pollWait = Math.min(pollWait * 2, MAX_WAIT_MS);
    }
    setStatus();
    polling = false;
    const again = pollAgain;
    pollAgain = false;
    schedule(again ? 0 : pollWait);
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') poll();
    else clearTimeout(pollTimer);
  });

  // ---- start ----

  // Times in the browser's own zone.
  for (const t of log.querySelectorAll('time[datetime]')) {
    t.textContent = clock(new Date(t.dateTime));
  }

  // The visitor's own lines, each after the bot message it followed.
  const bots = Array.from(log.querySelectorAll('li.msg.bot'));
  for (const item of mine) {
    const next = bots.find((n) => Number(n.dataset.seq) > item.after) || null;
    const empty = document.getElementById('empty');
    if (empty) empty.remove();
    log.insertBefore(myBubble(item), next);
    if (item.state === 'pending') queue.push(item);
  }

  grow();

  // A notice the server rendered stays until the first poll succeeds.
  if (!status.hidden) status.dataset.server = 'kept';
  if (queue.length) pump();
  poll();
})();
