// easproxy live view: flows pushed by the proxy over Server-Sent Events (/api/events), the
// detail of one flow (/api/flows/ID: its trace record), devices (/api/devices) and redirect
// bindings (/api/bindings, cleared with a POST carrying the page's CSRF token).
// Served from the binary itself; loads nothing from anywhere else.
'use strict';

(function () {
  const meta = (name) => document.querySelector('meta[name="' + name + '"]').content;
  const csrf = meta('easproxy-csrf');
  const maxFlows = parseInt(meta('easproxy-max-flows'), 10) || 2000;

  const $ = (sel, root) => (root || document).querySelector(sel);
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  };

  // --- formatting ----------------------------------------------------------------------------
  const clock = (iso) => {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const p = (n, w) => String(n).padStart(w || 2, '0');
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()) + '.' + p(d.getMilliseconds(), 3);
  };
  const size = (n) => {
    if (n === undefined || n === null) return '';
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
    return (n / 1024 / 1024).toFixed(1) + ' MB';
  };
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  // Indented XML from the decoder, coloured: tags, attributes, values, text, comments (the Status
  // words). Everything is escaped: the document came from a device or a server.
  function highlightXml(xml) {
    let out = '';
    const token = /<!--[\s\S]*?-->|<[^>]*>|[^<]+/g;
    let m;
    while ((m = token.exec(xml)) !== null) {
      const t = m[0];
      if (t.startsWith('<!--')) {
        out += '<span class="x-comment">' + escapeHtml(t) + '</span>';
      } else if (t.startsWith('<')) {
        const parts = /^<(\/?|\?)([^\s/>?]*)([\s\S]*?)(\/?|\?)>$/.exec(t);
        if (!parts) { out += escapeHtml(t); continue; }
        out += '<span class="x-punct">&lt;' + escapeHtml(parts[1]) + '</span><span class="x-tag">' + escapeHtml(parts[2]) + '</span>';
        const attr = /([^\s=]+)(\s*=\s*)("[^"]*"|'[^']*')/g;
        let last = 0, a;
        while ((a = attr.exec(parts[3])) !== null) {
          out += escapeHtml(parts[3].slice(last, a.index));
          out += '<span class="x-attr">' + escapeHtml(a[1]) + '</span>' + escapeHtml(a[2]) + '<span class="x-value">' + escapeHtml(a[3]) + '</span>';
          last = attr.lastIndex;
        }
        out += escapeHtml(parts[3].slice(last));
        out += '<span class="x-punct">' + escapeHtml(parts[4]) + '&gt;</span>';
      } else {
        out += '<span class="x-text">' + escapeHtml(t) + '</span>';
      }
    }
    return out;
  }

  // --- views ---------------------------------------------------------------------------------
  let currentView = 'flows';
  function show(view) {
    currentView = view;
    for (const b of document.querySelectorAll('nav .tab')) b.classList.toggle('active', b.dataset.view === view);
    for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== 'view-' + view;
    if (view === 'devices') loadDevices();
    if (view === 'bindings') loadBindings();
  }
  for (const b of document.querySelectorAll('nav .tab')) b.addEventListener('click', () => show(b.dataset.view));

  // --- flows ---------------------------------------------------------------------------------
  const rows = [];  // oldest first, at most maxFlows
  const tbody = $('#flows tbody');
  const filters = $('#filters');

  function filterValues() {
    const f = {};
    for (const input of filters.querySelectorAll('input')) {
      f[input.name] = input.type === 'checkbox' ? input.checked : input.value.trim().toLowerCase();
    }
    return f;
  }
  const contains = (value, wanted) => !wanted || String(value || '').toLowerCase().includes(wanted);
  function matches(r, f) {
    if (!contains(r.user, f.user) || !contains(r.device_id, f.device_id) ||
        !contains(r.device_type, f.device_type) || !contains(r.command, f.command)) return false;
    if (f.status && !String(r.status).startsWith(f.status)) return false;
    if (f.eas_status && String(r.eas_status === undefined ? '' : r.eas_status) !== f.eas_status) return false;
    if (f.redirects && !(r.status === 451 || r.x_ms_location || r.redirect_decision)) return false;
    return true;
  }

  function rowClass(r) {
    const c = [];
    if (r.status === 451) c.push('s451');
    if (r.redirect_decision === 'followed') c.push('followed');
    else if (r.redirect_decision === 'rewritten') c.push('rewritten');
    else if (r.redirect_decision && r.redirect_decision.startsWith('refused')) c.push('refused');
    if (r.error || r.status === 0 || r.status >= 500) c.push('err');
    else if (r.status >= 400 && r.status !== 451) c.push('warn');
    return c.join(' ');
  }

  function rowElement(r) {
    const redirect = r.redirect_decision ? r.redirect_decision + (r.x_ms_location ? ' → ' + r.x_ms_location : '') : (r.error ? r.error_stage + ': ' + r.error : '');
    const tr = el('tr', { class: rowClass(r), 'data-id': r.id, 'data-device': r.device_id || '', title: r.error || '' },
      el('td', { class: 'num', text: r.id }),
      el('td', { text: clock(r.time) }),
      el('td', { text: r.user || '' }),
      el('td', { text: r.device_id || '' }),
      el('td', { text: r.device_type || '' }),
      el('td', { text: r.command || '' }),
      el('td', { class: 'num status', text: r.status || '—' }),
      el('td', { text: r.eas_status === undefined ? '' : r.eas_status + (r.eas_status_words ? ' ' + r.eas_status_words : '') }),
      el('td', { class: 'num', text: Math.round(r.ms) }),
      el('td', { class: 'num', text: size(r.bytes_up) }),
      el('td', { class: 'num', text: size(r.bytes_down) }),
      el('td', { class: 'redirect', text: redirect }),
      el('td', { class: 'upstream', text: r.upstream || '' }));
    tr.addEventListener('click', () => openDetail(r.id));
    return tr;
  }

  function updateCounts() {
    const shown = tbody.children.length;
    $('#counts').textContent = shown === rows.length ? rows.length + ' flows' : shown + ' of ' + rows.length + ' flows';
    $('#empty').hidden = rows.length > 0;
  }

  function renderAll() {
    const f = filterValues();
    const frag = document.createDocumentFragment();
    for (let i = rows.length - 1; i >= 0; i--) if (matches(rows[i], f)) frag.append(rowElement(rows[i]));
    tbody.replaceChildren(frag);
    updateCounts();
  }

  let pending = [];
  let scheduled = false;
  function addRow(r) {
    pending.push(r);
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(flush);
  }
  function flush() {
    scheduled = false;
    const f = filterValues();
    const frag = document.createDocumentFragment();
    for (const r of pending) {
      rows.push(r);
      if (matches(r, f)) frag.prepend(rowElement(r));
    }
    pending = [];
    tbody.prepend(frag);
    while (rows.length > maxFlows) {
      const gone = rows.shift();
      const tr = tbody.querySelector('tr[data-id="' + gone.id + '"]');
      if (tr) tr.remove();
    }
    updateCounts();
    if (currentView === 'devices') scheduleDevices();
    if (currentView === 'bindings') scheduleBindings();
  }

  filters.addEventListener('input', renderAll);
  filters.addEventListener('reset', () => setTimeout(renderAll, 0));
  filters.addEventListener('submit', (e) => e.preventDefault());

  // --- live connection -------------------------------------------------------------------------
  const status = $('#status');
  function connect() {
    const source = new EventSource('/api/events');
    source.addEventListener('open', () => { status.textContent = 'live'; status.className = 'live-status live'; });
    source.addEventListener('error', () => { status.textContent = 'reconnecting…'; status.className = 'live-status down'; });
    source.addEventListener('flow', (e) => {
      try { addRow(JSON.parse(e.data)); } catch (err) { console.error('bad flow event', err); }
    });
    source.addEventListener('gap', () => { status.textContent = 'live (skipped flows the proxy no longer keeps)'; });
  }

  // --- flow detail ---------------------------------------------------------------------------
  const detail = $('#detail');
  const detailBody = $('#detail-body');
  $('#detail-close').addEventListener('click', () => { detail.hidden = true; selectRow(null); });

  function selectRow(id) {
    for (const tr of tbody.querySelectorAll('tr.selected')) tr.classList.remove('selected');
    if (id !== null) {
      const tr = tbody.querySelector('tr[data-id="' + id + '"]');
      if (tr) tr.classList.add('selected');
    }
  }

  function kvTable(pairs, cls) {
    const t = el('table', { class: 'kv ' + (cls || '') });
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === '') continue;
      t.append(el('tr', {}, el('th', { text: k }), el('td', { text: typeof v === 'object' ? JSON.stringify(v) : v })));
    }
    return t;
  }
  function headersTable(headers) {
    return kvTable((headers || []).map((h) => [h[0], h[1]]), 'headers');
  }
  function bodyBlock(title, body) {
    const box = el('div', { class: 'body-block' }, el('h4', { text: title }));
    if (!body) return box;
    const facts = [['bytes', body.bytes], ['kind', body.kind], ['content encoding', body.content_encoding ? body.content_encoding.join(', ') : ''],
      ['note', body.note], ['decode error', body.decode_error ? body.decode_error.stage + ' at byte ' + body.decode_error.offset + ': ' + body.decode_error.reason : '']];
    box.append(kvTable(facts));
    if (body.xml) {
      const pre = el('pre', { class: 'xml' });
      // Colouring a very large document would stall the page: those are shown plain.
      if (body.xml.length <= 2 * 1024 * 1024) pre.innerHTML = highlightXml(body.xml);
      else pre.textContent = body.xml;
      box.append(pre);
    }
    for (const k of ['autodiscover_request', 'autodiscover_response']) {
      if (body[k]) box.append(el('pre', { class: 'json', text: JSON.stringify(body[k], null, 2) }));
    }
    if (body.parts) box.append(kvTable(body.parts.map((p, i) => ['part ' + (i + 1), p.length + ' bytes at ' + p.offset])));
    return box;
  }

  async function openDetail(id) {
    selectRow(id);
    detail.hidden = false;
    $('#detail-title').textContent = 'Flow ' + id;
    detailBody.replaceChildren(el('p', { text: 'loading…' }));
    let data;
    try {
      const res = await fetch('/api/flows/' + id);
      data = await res.json();
      if (!res.ok) throw new Error(data.error || res.statusText);
    } catch (e) {
      detailBody.replaceChildren(el('p', { class: 'error', text: 'Could not load flow ' + id + ': ' + e.message }));
      return;
    }
    renderDetail(data.row, data.record);
  }

  function renderDetail(row, rec) {
    $('#detail-title').textContent = 'Flow ' + row.id + ': ' + (row.command || '') + ' → ' + (row.status || 'no answer');
    const parts = [];
    if (!rec) {
      parts.push(el('p', { class: 'note', text: 'The full record of this flow was dropped to bound memory; the row above is what is left.' }));
      detailBody.replaceChildren(...parts);
      return;
    }
    if (rec.redirect) {
      const r = rec.redirect;
      parts.push(el('section', { class: 'redirect-box' }, el('h3', { text: 'HTTP 451 redirect' }),
        kvTable([['X-MS-Location', r.x_ms_location], ['decision', r.decision],
          ['answered 451', r.answered_451 ? r.answered_451.join(', ') : ''], ['sent to the device', r.sent_to_device]])));
    }
    if (rec.error) {
      parts.push(el('section', { class: 'error-box' }, el('h3', { text: 'Error' }),
        kvTable([['stage', rec.error.stage], ['reason', rec.error.reason], ['easproxy answered', rec.error.answered]])));
    }
    const req = rec.request || {};
    const eas = req.eas || {};
    const params = (eas.parameters || []).map((p) => [p.name, p.value]);
    parts.push(el('section', {}, el('h3', { text: 'Request' }),
      el('pre', { class: 'request-line', text: req.method + ' ' + req.target }),
      el('h4', { text: 'Request line, decoded (' + (eas.form || 'none') + ' query)' }),
      kvTable([['command', eas.command], ['user', eas.user], ['DeviceId', eas.device_id], ['DeviceType', eas.device_type],
        ['protocol version', eas.protocol_version], ['policy key', eas.policy_key], ['locale', eas.locale],
        ['SaveInSent', eas.save_in_sent], ['AcceptMultiPart', eas.accept_multipart], ...params,
        ['warnings', eas.warnings ? eas.warnings.join('; ') : ''], ['error', eas.error ? JSON.stringify(eas.error) : '']], 'eas'),
      el('h4', { text: 'Headers' }), headersTable(req.headers),
      bodyBlock('Body', req.body)));
    if (rec.response) {
      const resp = rec.response;
      parts.push(el('section', {}, el('h3', { text: 'Response' }),
        el('pre', { class: 'status-line', text: resp.status + ' ' + (resp.reason || '') }),
        kvTable([['meaning', resp.status_meaning], ['EAS Status', resp.eas_status ? resp.eas_status.value + ' ' + resp.eas_status.words : '']]),
        el('h4', { text: 'Headers' }), headersTable(resp.headers),
        bodyBlock('Body', resp.body)));
    }
    const t = rec.timings_ms || {};
    const ms = (v) => (v === undefined ? '' : v.toFixed(1) + ' ms');
    parts.push(el('section', {}, el('h3', { text: 'Timings' }),
      kvTable([['waited for a connection', ms(t.upstream_queue)], ['upstream connect', ms(t.upstream_connect)],
        ['first response byte', ms(t.first_response_byte)], ['total', ms(t.total)]])));
    parts.push(el('section', {}, el('h3', { text: 'Parties' }),
      kvTable([['flow', rec.id], ['started', rec.time], ['client', rec.client], ['upstream', rec.upstream]])));
    detailBody.replaceChildren(...parts);
  }

  // --- devices -------------------------------------------------------------------------------
  let devicesTimer = null;
  function scheduleDevices() {
    if (devicesTimer) return;
    devicesTimer = setTimeout(() => { devicesTimer = null; loadDevices(); }, 1000);
  }
  async function loadDevices() {
    let list;
    try {
      list = await (await fetch('/api/devices')).json();
    } catch (e) { return; }
    const body = $('#devices tbody');
    body.replaceChildren(...list.map((d) => el('tr', { 'data-key': d.key, class: d.ignored_451 ? 'ignored' : '' },
      el('td', { text: d.user }), el('td', { text: d.device_id }), el('td', { text: d.device_type }),
      el('td', { class: 'ua', text: d.user_agent }),
      el('td', { text: d.last_command + ' → ' + (d.last_status || 'no answer') }),
      el('td', { text: clock(d.last_time) }),
      el('td', { class: 'num', text: d.flows }),
      el('td', { class: 'num', text: (d.error_rate * 100).toFixed(0) + ' %' }),
      el('td', { class: 'binding', text: d.binding ? d.binding.upstream : '' }),
      el('td', { class: 'ignored-cell', text: d.ignored_451 ? 'yes: ' + d.ignored_451_detail.requests_after + ' request(s) to ' + d.ignored_451_detail.upstream + ' after its 451' : (d.got_451 ? 'no (got ' + d.got_451 + ')' : '') }))));
  }

  // --- bindings ------------------------------------------------------------------------------
  let bindingsTimer = null;
  function scheduleBindings() {
    if (bindingsTimer) return;
    bindingsTimer = setTimeout(() => { bindingsTimer = null; loadBindings(); }, 1000);
  }
  async function loadBindings() {
    let list;
    try {
      list = await (await fetch('/api/bindings')).json();
    } catch (e) { return; }
    const body = $('#bindings tbody');
    body.replaceChildren(...list.map((b) => {
      const button = el('button', { type: 'button', class: 'clear', text: 'Clear' });
      button.addEventListener('click', () => clearBinding(b.key));
      return el('tr', { 'data-key': b.key }, el('td', { text: b.key }), el('td', { text: b.upstream }),
        el('td', { text: b.expires }), el('td', {}, button));
    }));
    $('#bindings-empty').hidden = list.length > 0;
  }
  async function clearBinding(key) {
    const message = $('#bindings-message');
    try {
      const res = await fetch('/api/bindings/clear', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ key }),
      });
      const data = await res.json();
      message.textContent = res.ok ? 'Cleared the binding of ' + key + ': its next request goes to the configured upstream.' : 'Not cleared: ' + (data.error || res.statusText);
    } catch (e) {
      message.textContent = 'Not cleared: ' + e.message;
    }
    loadBindings();
  }

  renderAll();
  connect();
})();
