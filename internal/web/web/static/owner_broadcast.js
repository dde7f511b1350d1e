// Mitra: a broadcast's page keeps its figures live. It asks for the
// campaign's status every few seconds and says when it last heard; when
// the answers stop, it says since when the figures are old, never
// showing them as current.
(function () {
  'use strict';
  var live = document.getElementById('live');
  if (!live || !window.fetch) return;
  var url = live.dataset.status;
  var every = parseInt(live.dataset.every, 10) || 5000;
  var shown = live.dataset.state;
  var lastOK = Date.now();
  var timer = 0;
  var finished = false;

  function clock(t) {
    return t.toLocaleTimeString('id-ID', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
  function set(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }
  function show(id, on) {
    var el = document.getElementById(id);
    if (el) el.hidden = !on;
  }

  function apply(s) {
    var t = s.totals || {};
    set('state', s.state_label);
    document.getElementById('state').className = 'pill state-' + s.state;
    set('progress', (t.sent || 0) + '/' + (t.planned || 0));
    var bar = document.getElementById('bar');
    if (bar) {
      bar.max = t.planned || 1;
      bar.value = s.done || 0;
    }
    live.querySelectorAll('[data-k]').forEach(function (el) {
      var k = el.dataset.k;
      el.textContent = k === 'done' ? (s.done || 0) : (t[k] || 0);
    });
    var auto = s.state === 'paused' && s.auto;
    show('auto-pause', auto);
    if (auto) {
      set('auto-reason', s.reason || '');
      set('auto-until', s.resume_at ? 'Lanjut sendiri ' + new Date(s.resume_at).toLocaleString('id-ID') + '.' : '');
    }
    show('reason', !!s.reason && !auto);
    set('reason-text', s.reason || '');
    if (s.state !== shown) {
      set('changed-to', s.state_label);
      show('changed', true);
    }
    var now = new Date();
    var at = document.getElementById('updated-at');
    at.textContent = clock(now);
    at.setAttribute('datetime', now.toISOString());
    show('stale', false);
    live.classList.remove('is-stale');
    return s.state === 'cancelled' || s.state === 'done';
  }

  function stale() {
    if (finished || Date.now() - lastOK < every * 2.5) return;
    set('stale-since', clock(new Date(lastOK)));
    show('stale', true);
    live.classList.add('is-stale');
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('status ' + r.status);
        return r.json();
      })
      .then(function (s) {
        lastOK = Date.now();
        var final = apply(s);
        if (final) {
          finished = true;
          set('updated', 'Angka akhir, diperbarui ' + clock(new Date()));
          return;
        }
        timer = setTimeout(poll, every);
      })
      .catch(function () {
        stale();
        timer = setTimeout(poll, every);
      });
  }

  // A page left in the background for a while checks at once on return.
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && timer) {
      clearTimeout(timer);
      poll();
    }
  });
  setInterval(stale, 1000);
  timer = setTimeout(poll, 0);
})();
