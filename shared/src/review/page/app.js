// ocsfmap review page: queue, detail, corrections and dashboard over the review API
// (docs/review.md). Plain ES2020, no dependencies, no build step.
//
// Security rules this file keeps (the page runs under a strict CSP and shows attacker-
// controlled log records): every API value reaches the DOM through textContent or
// setAttribute on non-URL attributes (the el()/svg() helpers refuse href, src, style and
// on* names); no string is ever parsed as HTML or run as code; no URL is built from API
// values except the OIDC endpoints of our own config, which must be https (or http on
// loopback).
'use strict';

(() => {
  // ---------------------------------------------------------------------------------------
  // Basics

  // The page lives at "<stage>/review" (see the comment in index.html); the API is beside it.
  const BASE = location.pathname.replace(/\/review\/?$/, '');
  const STORE = {
    key: 'ocsfmap.review.key',
    token: 'ocsfmap.review.access_token',
    verifier: 'ocsfmap.review.pkce_verifier',
    state: 'ocsfmap.review.oidc_state',
  };
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const QUEUE_PAGE = 50;
  const BULK_MAX = 100;
  const SIG_RE = /^[0-9a-f]{16}$/;

  const $ = (id) => document.getElementById(id);

  const S = {
    config: null,
    auth: null, // bearer value (review key or access token)
    classes: [],
    classById: new Map(),
    options: [], // picker options, built once from /v1/classes
    items: [],
    cursor: null,
    window: null,
    selected: -1,
    detail: null, // the item shown in the detail pane (queue item, then the detail answer)
    sample: 0,
    bulk: new Map(), // signature -> source
    tab: 'queue',
    queueSeq: 0,
    detailAbort: null,
    busy: false,
    gPending: false,
    picker: { mode: 'single', filtered: [], highlight: 0, returnFocus: null },
    toastTimer: 0,
    filterTimer: 0,
  };

  // Attribute names that could turn text into code or a request: never set from here.
  const REFUSED_ATTR = /^(on.*|href|src|srcdoc|xlink:href|action|formaction|style|poster|data)$/i;

  function setProps(node, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'className') node.setAttribute('class', v);
      else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv);
      else if (REFUSED_ATTR.test(k)) throw new Error('refused attribute ' + k);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function fill(node, kids) {
    for (const c of kids.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      // Strings become text nodes: markup in them stays text.
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  // replaceChildren would turn a null into the text "null"; this skips it like el() does.
  function setKids(node, ...kids) {
    node.replaceChildren();
    return fill(node, kids);
  }

  function el(tag, props, ...kids) {
    const n = document.createElement(tag);
    setProps(n, props);
    return fill(n, kids);
  }

  function svg(tag, props, ...kids) {
    const n = document.createElementNS(SVG_NS, tag);
    setProps(n, props);
    return fill(n, kids);
  }

  function setState(s) { document.body.dataset.state = s; }
  function show(node, on) { node.hidden = !on; }

  const numFmt = new Intl.NumberFormat();
  const fmtInt = (n) => (typeof n === 'number' && isFinite(n) ? numFmt.format(n) : '—');
  const fmtPct = (x, digits = 0) =>
    (typeof x === 'number' && isFinite(x) ? (x * 100).toFixed(digits) + '%' : '—');

  function fmtCompact(n) {
    if (n >= 1e9) return (n / 1e9).toFixed(n >= 1e10 ? 0 : 1) + 'G';
    if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
    if (n >= 1e3) return (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + 'k';
    return String(Math.round(n));
  }

  // Times are shown in UTC, like the rest of a SOC's tooling, so analysts can compare
  // them with the raw records without converting.
  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    return d.toISOString().slice(0, 16).replace('T', ' ') + 'Z';
  }

  function fmtHour(iso) {
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toISOString().slice(11, 16);
  }

  function fmtAgo(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const s = Math.max(0, (Date.now() - d.getTime()) / 1000);
    if (s < 90) return 'just now';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 129600) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function clampInt(value, lo, hi, dflt) {
    const n = Number.parseInt(value, 10);
    if (!Number.isFinite(n)) return dflt;
    return Math.min(hi, Math.max(lo, n));
  }

  function activityName(classUid, activityId) {
    if (activityId === null || activityId === undefined) return null;
    const c = S.classById.get(classUid);
    const a = c && Array.isArray(c.activities) ? c.activities.find((x) => x.id === activityId) : null;
    return a ? `${a.name} (${activityId})` : `activity ${activityId}`;
  }

  function classLabel(name, uid, activityId) {
    const act = activityName(uid, activityId);
    return `${name || 'class ' + uid} (${uid})` + (act ? ' · ' + act : '');
  }

  // ---------------------------------------------------------------------------------------
  // Pretty printing

  const isJsonSpace = (ch) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';

  // Re-indents JSON text the way JSON.stringify(v, null, 2) would, but token by token, so
  // the record is shown exactly as received: 64-bit ids keep their digits (JSON.parse would
  // round them), duplicate keys and escapes stay. Only called on text JSON.parse accepted.
  function reindentJson(text) {
    let out = '';
    let depth = 0;
    const nl = () => '\n' + '  '.repeat(depth);
    for (let i = 0; i < text.length; ) {
      const ch = text[i];
      if (ch === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j + 1;
      } else if (isJsonSpace(ch)) {
        i++;
      } else if (ch === '{' || ch === '[') {
        let j = i + 1;
        while (j < text.length && isJsonSpace(text[j])) j++;
        const close = ch === '{' ? '}' : ']';
        if (text[j] === close) {
          out += ch + close;
          i = j + 1;
        } else {
          depth++;
          out += ch + nl();
          i++;
        }
      } else if (ch === '}' || ch === ']') {
        depth--;
        out += nl() + ch;
        i++;
      } else if (ch === ',') {
        out += ',' + nl();
        i++;
      } else if (ch === ':') {
        out += ': ';
        i++;
      } else {
        out += ch;
        i++;
      }
    }
    return out;
  }

  function pretty(value) {
    if (value === null || value === undefined) return '';
    if (typeof value !== 'string') return JSON.stringify(value, null, 2);
    try {
      JSON.parse(value);
    } catch {
      return value; // not JSON (syslog, CEF, key=value ...): as received
    }
    return reindentJson(value);
  }

  // ---------------------------------------------------------------------------------------
  // API

  class ApiError extends Error {
    constructor(status, code, message, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  async function api(method, path, body, signal) {
    const headers = { Accept: 'application/json' };
    if (S.auth) headers.Authorization = 'Bearer ' + S.auth;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', 'The API could not be reached (' + e.message + ').');
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (res.status === 401 && path !== '/v1/review/config') {
      dropCredential();
      showSignin('The credential was refused or has expired: sign in again.');
      throw new ApiError(401, 'unauthorized', 'Not signed in.');
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(res.status, err.code || 'http_' + res.status,
        err.message || `The API answered ${res.status}.`, err.field);
    }
    return data;
  }

  function showError(e) {
    if (!e || e.name === 'AbortError' || e.status === 401) return; // 401: sign-in is shown
    let text = e.message || String(e);
    if (e.field) text += ` (field: ${e.field})`;
    if (e.status) text += ` [${e.status}${e.code ? ' ' + e.code : ''}]`;
    $('error-text').textContent = text;
    show($('error'), true);
  }

  function clearError() {
    show($('error'), false);
    $('error-text').textContent = '';
  }

  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    show(t, true);
    clearTimeout(S.toastTimer);
    S.toastTimer = setTimeout(() => show(t, false), 8000);
  }

  // ---------------------------------------------------------------------------------------
  // Sign-in

  function dropCredential() {
    S.auth = null;
    sessionStorage.removeItem(STORE.key);
    sessionStorage.removeItem(STORE.token);
  }

  function showSignin(message) {
    S.auth = null;
    closePicker();
    show($('help'), false);
    show($('boot'), false);
    show($('app'), false);
    show($('signout'), false);
    show($('signin'), true);
    const oidc = S.config && S.config.auth === 'oidc';
    show($('signin-key-form'), !!S.config && !oidc);
    $('signin-button').textContent = !S.config ? 'Retry' : oidc ? 'Sign in with single sign-on' : 'Sign in';
    $('signin-message').textContent = message || '';
    setState('signin');
    if (S.config && !oidc) $('review-key').focus();
  }

  function b64url(bytes) {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  const randomToken = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

  // The OIDC endpoints come from our own config, not from analysts' data, but a
  // misconfiguration must still not send the browser (or the code) to a script: URL.
  function endpointUrl(value, what) {
    let u;
    try {
      u = new URL(String(value));
    } catch {
      throw new ApiError(0, 'config', `The ${what} in the sign-in settings is not a URL.`);
    }
    const loopback = u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]';
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
      throw new ApiError(0, 'config', `The ${what} in the sign-in settings must be https.`);
    }
    return u;
  }

  // The redirect URI is the page itself; the identity provider must have it registered.
  const redirectUri = () => location.origin + location.pathname;

  async function startOidc() {
    const cfg = S.config;
    const url = endpointUrl(cfg.authorization_endpoint, 'authorization endpoint');
    const verifier = randomToken(32);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const state = randomToken(16);
    sessionStorage.setItem(STORE.verifier, verifier);
    sessionStorage.setItem(STORE.state, state);
    const p = url.searchParams;
    p.set('response_type', 'code');
    p.set('client_id', cfg.client_id);
    p.set('redirect_uri', redirectUri());
    p.set('scope', cfg.scope || 'openid');
    p.set('state', state);
    p.set('code_challenge', b64url(new Uint8Array(digest)));
    p.set('code_challenge_method', 'S256');
    location.assign(url.href);
  }

  // Handles the redirect back from the identity provider. Returns a message for the sign-in
  // form when it failed, or null when a token is now stored.
  async function finishOidc(params) {
    const cfg = S.config;
    const code = params.get('code');
    const state = params.get('state');
    const idpError = params.get('error');
    // The code is single-use and the URL should not keep it (history, screenshots).
    const rest = new URLSearchParams(location.search);
    for (const k of ['code', 'state', 'session_state', 'iss', 'error', 'error_description', 'error_uri']) rest.delete(k);
    const q = rest.toString();
    history.replaceState(history.state, '', location.pathname + (q ? '?' + q : '') + location.hash);

    const expected = sessionStorage.getItem(STORE.state);
    const verifier = sessionStorage.getItem(STORE.verifier);
    sessionStorage.removeItem(STORE.state);
    sessionStorage.removeItem(STORE.verifier);

    if (idpError) return `Sign-in failed: ${params.get('error_description') || idpError}`;
    if (!code || !state || !expected || !verifier || state !== expected) {
      return 'The sign-in answer does not belong to this browser session: sign in again.';
    }
    let res;
    try {
      res = await fetch(endpointUrl(cfg.token_endpoint, 'token endpoint').href, {
        method: 'POST',
        headers: { Accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri(),
          client_id: cfg.client_id,
          code_verifier: verifier,
        }),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      return 'The token endpoint could not be reached (' + e.message + ').';
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok || !data || typeof data.access_token !== 'string') {
      const why = (data && (data.error_description || data.error)) || `status ${res.status}`;
      return `The token exchange failed: ${why}`;
    }
    sessionStorage.setItem(STORE.token, data.access_token);
    return null;
  }

  async function onSigninButton() {
    clearError();
    if (!S.config) {
      boot();
      return;
    }
    if (S.config.auth === 'oidc') {
      try {
        await startOidc();
      } catch (e) {
        showError(e);
      }
      return;
    }
    const key = $('review-key').value.trim();
    if (!key) {
      $('signin-message').textContent = 'Enter the review key.';
      $('review-key').focus();
      return;
    }
    sessionStorage.setItem(STORE.key, key);
    $('review-key').value = '';
    S.auth = key;
    startApp();
  }

  function signOut() {
    dropCredential();
    S.queueSeq++; // answers still in flight belong to the old session
    if (S.detailAbort) S.detailAbort.abort();
    S.items = [];
    S.bulk.clear();
    S.detail = null;
    S.selected = -1;
    $('queue').replaceChildren();
    renderDetail(null);
    showSignin('Signed out.');
  }

  async function boot() {
    setState('loading');
    show($('boot'), false);
    try {
      S.config = await api('GET', '/v1/review/config');
    } catch (e) {
      S.config = null;
      showSignin('The sign-in settings could not be loaded: ' + (e.message || e));
      return;
    }
    if (S.config.auth === 'oidc') {
      const params = new URLSearchParams(location.search);
      if (params.has('code') || params.has('error')) {
        const failed = await finishOidc(params);
        if (failed) {
          showSignin(failed);
          return;
        }
      }
      S.auth = sessionStorage.getItem(STORE.token);
    } else {
      S.auth = sessionStorage.getItem(STORE.key);
    }
    if (S.auth) startApp();
    else showSignin('');
  }

  function startApp() {
    show($('signin'), false);
    show($('app'), true);
    show($('signout'), true);
    $('signin-message').textContent = '';
    setState('loading');
    switchTab(S.tab);
    loadClasses();
    loadQueue({ keep: false });
  }

  // ---------------------------------------------------------------------------------------
  // Classes (filter and picker)

  async function loadClasses() {
    let data;
    try {
      data = await api('GET', '/v1/classes');
    } catch (e) {
      showError(e);
      return;
    }
    S.classes = Array.isArray(data && data.classes) ? data.classes : [];
    S.classById = new Map(S.classes.map((c) => [c.class_uid, c]));

    const sel = $('filter-class');
    const keep = sel.value;
    sel.replaceChildren(el('option', { value: '' }, 'any class'));
    const byCat = new Map();
    for (const c of S.classes) {
      const cat = c.category || 'other';
      if (!byCat.has(cat)) byCat.set(cat, []);
      byCat.get(cat).push(c);
    }
    for (const [cat, list] of byCat) {
      const g = el('optgroup', { label: cat });
      for (const c of list) g.append(el('option', { value: c.class_uid }, `${c.name} (${c.class_uid})`));
      sel.append(g);
    }
    sel.value = keep;

    // One option per class ("engine picks the activity") and one per activity; the search
    // text is precomputed so filtering is a few substring tests per option.
    S.options = [];
    for (const c of S.classes) {
      const base = `${c.name} ${c.class_uid} ${c.category || ''}`.toLowerCase();
      S.options.push({ c, a: null, hay: base });
      for (const a of c.activities || []) {
        S.options.push({ c, a, hay: `${c.name} ${c.class_uid} ${a.name} ${a.id}`.toLowerCase() });
      }
    }
    if (!$('picker').hidden) renderPicker();
    if (S.detail) renderDetail(S.detail);
  }

  // ---------------------------------------------------------------------------------------
  // Queue

  function queueParams() {
    const p = new URLSearchParams();
    const days = clampInt($('filter-days').value, 1, 90, 7);
    $('filter-days').value = days;
    p.set('days', days);
    const source = $('filter-source').value.trim();
    if (source) p.set('source', source);
    const cls = $('filter-class').value;
    if (cls) p.set('class_uid', cls);
    const min = clampInt($('filter-min-count').value, 1, Number.MAX_SAFE_INTEGER, 1);
    $('filter-min-count').value = min;
    if (min > 1) p.set('min_count', min);
    if ($('filter-include-corrected').checked) p.set('include_corrected', 'true');
    p.set('limit', QUEUE_PAGE);
    return p;
  }

  const itemKey = (it) => it.signature + '\u0000' + it.source;

  // keep: after a refresh, stay on the same shape if it is still listed, otherwise on the
  // same position (so confirming a shape moves on to the next one).
  async function loadQueue({ append = false, keep = true } = {}) {
    const seq = ++S.queueSeq;
    const p = queueParams();
    if (append) {
      if (!S.cursor) return;
      p.set('cursor', S.cursor);
    } else {
      setState('loading');
    }
    $('queue').classList.add('loading');
    let data;
    try {
      data = await api('GET', '/v1/review?' + p.toString());
    } catch (e) {
      if (seq === S.queueSeq) {
        $('queue').classList.remove('loading');
        showError(e);
        if (S.auth) setState('ready');
      }
      return;
    }
    if (seq !== S.queueSeq || !S.auth) return; // a newer load, or signed out meanwhile
    $('queue').classList.remove('loading');

    const prev = S.items[S.selected];
    const prevKey = prev ? itemKey(prev) : null;
    const prevIndex = S.selected;
    const items = Array.isArray(data.items) ? data.items.filter((it) => SIG_RE.test(it.signature)) : [];
    S.items = append ? S.items.concat(items) : items;
    S.cursor = data.next_cursor || null;
    S.window = data.window || null;
    if (data.kb_version) $('kb-version').textContent = 'KB ' + data.kb_version;

    if (!append) {
      // A bulk selection only holds shapes the analyst can see.
      const listed = new Set(S.items.map((it) => it.signature));
      for (const sig of [...S.bulk.keys()]) if (!listed.has(sig)) S.bulk.delete(sig);
    }
    renderQueue();

    if (append) {
      // Same selection, new list elements: mark it again without reloading the detail.
      const li = queueLi(S.selected);
      if (li) {
        li.classList.add('selected');
        li.setAttribute('aria-current', 'true');
      }
      return;
    }
    let next = -1;
    if (keep && prevKey) {
      next = S.items.findIndex((it) => itemKey(it) === prevKey);
      if (next < 0) next = Math.min(prevIndex, S.items.length - 1);
    } else next = S.items.length ? 0 : -1;
    S.selected = -1;
    selectIndex(next);
    setState('ready');
  }

  function stateBadge(correction) {
    if (!correction) return null;
    const st = (correction.state && correction.state.status) || (correction.withdrawn ? 'withdrawn' : 'pending');
    const labels = { pending: 'pending', in_kb: 'in KB', refused: 'refused', withdrawn: 'withdrawn' };
    const known = Object.prototype.hasOwnProperty.call(labels, st);
    return el('span', {
      className: 'state badge ' + (known ? 'state-' + st : 'state-other'),
      title: `corrected to ${classLabel(correction.class_name, correction.class_uid, correction.activity_id)}`,
    }, known ? labels[st] : String(st));
  }

  function confClass(c) {
    if (typeof c !== 'number') return 'conf-none';
    return c < 0.4 ? 'conf-low' : c < 0.7 ? 'conf-mid' : 'conf-high';
  }

  function queueItem(it, i) {
    const d = it.decision || {};
    const differs = it.now && d.class_uid !== undefined && it.now.class_uid !== d.class_uid;
    const cb = el('input', {
      type: 'checkbox',
      className: 'bulk-select',
      'aria-label': `bulk-select ${it.source} ${it.signature}`,
    });
    cb.checked = S.bulk.has(it.signature);
    return el('li', {
      className: 'queue-item',
      dataset: { signature: it.signature, source: it.source, index: i },
    },
    cb,
    el('button', { type: 'button', className: 'item-main' },
      el('span', { className: 'row' },
        el('span', { className: 'source', title: it.source }, it.source),
        el('span', { className: 'count', title: 'records in the window' }, fmtInt(it.count))),
      el('span', { className: 'row' },
        el('span', { className: 'class', title: classLabel(d.class_name, d.class_uid, d.activity_id) },
          d.class_name || (d.class_uid !== undefined ? 'class ' + d.class_uid : 'no decision')),
        el('span', { className: 'confidence ' + confClass(d.confidence), title: 'confidence' }, fmtPct(d.confidence)),
        differs ? el('span', { className: 'badge now-differs', title: `the KB in use decides ${it.now.class_name} (${it.now.class_uid})` }, 'KB differs') : null,
        stateBadge(it.correction)),
      el('span', { className: 'row meta' },
        el('span', { className: 'mono' }, it.signature),
        el('span', { className: 'last-seen', title: 'last seen ' + fmtTime(it.last_seen) }, fmtAgo(it.last_seen)))));
  }

  function renderQueue() {
    const list = $('queue');
    list.replaceChildren(...S.items.map(queueItem));
    show($('queue-empty'), S.items.length === 0);
    show($('more'), !!S.cursor);
    renderQueueBar();
  }

  function renderQueueBar() {
    const n = S.items.length;
    const days = S.window && S.window.days;
    let text = `${n}${S.cursor ? '+' : ''} shape${n === 1 ? '' : 's'}` + (days ? ` · ${days} d` : '');
    if (S.bulk.size) text += ` · ${S.bulk.size} selected`;
    $('queue-summary').textContent = text;
    $('bulk-apply').disabled = S.bulk.size === 0 || S.busy;
    $('bulk-apply').textContent = S.bulk.size ? `Bulk apply (${S.bulk.size})…` : 'Bulk apply…';
    show($('bulk-clear'), S.bulk.size > 0);
  }

  function queueLi(i) {
    return $('queue').children[i] || null;
  }

  function selectIndex(i) {
    if (i === S.selected) return;
    const old = queueLi(S.selected);
    if (old) {
      old.classList.remove('selected');
      old.removeAttribute('aria-current');
    }
    S.selected = i >= 0 && i < S.items.length ? i : -1;
    const li = queueLi(S.selected);
    if (li) {
      li.classList.add('selected');
      li.setAttribute('aria-current', 'true');
      li.scrollIntoView({ block: 'nearest' });
    }
    loadDetail(S.items[S.selected] || null);
  }

  async function moveSelection(delta) {
    if (!S.items.length) return;
    let i = S.selected < 0 ? 0 : S.selected + delta;
    if (i >= S.items.length && S.cursor) {
      await loadQueue({ append: true });
      i = Math.min(S.selected + delta, S.items.length - 1);
    }
    selectIndex(Math.max(0, Math.min(S.items.length - 1, i)));
  }

  function toggleBulk(i) {
    const it = S.items[i];
    if (!it) return;
    if (S.bulk.has(it.signature)) S.bulk.delete(it.signature);
    else if (S.bulk.size >= BULK_MAX) showError({ message: `A bulk correction holds at most ${BULK_MAX} shapes.` });
    else S.bulk.set(it.signature, it.source);
    // The same signature may be listed under several sources: keep their boxes in step.
    for (const li of $('queue').children) {
      if (li.dataset.signature === it.signature) li.querySelector('.bulk-select').checked = S.bulk.has(it.signature);
    }
    renderQueueBar();
  }

  // ---------------------------------------------------------------------------------------
  // Detail

  async function loadDetail(item) {
    if (S.detailAbort) S.detailAbort.abort();
    S.detailAbort = null;
    S.sample = 0;
    S.detail = item;
    if (!item) {
      renderDetail(null);
      return;
    }
    // The queue item is the same shape minus the OCSF events: show it at once so j/k stay
    // quick, then complete it.
    renderDetail(item);
    const ctrl = new AbortController();
    S.detailAbort = ctrl;
    $('detail').classList.add('loading');
    const p = new URLSearchParams({ source: item.source, days: clampInt($('filter-days').value, 1, 90, 7) });
    try {
      const d = await api('GET', `/v1/review/${encodeURIComponent(item.signature)}?${p}`, undefined, ctrl.signal);
      if (S.detail !== item) return;
      S.detail = d;
      renderDetail(d, S.sample);
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (S.detail !== item) return;
      $('ocsf-origin').textContent = '';
      if (e.status === 404) $('ocsf-event').textContent = 'The window no longer holds a record of this shape.';
      else {
        $('ocsf-event').textContent = 'The detail could not be loaded.';
        showError(e);
      }
    } finally {
      if (S.detailAbort === ctrl) {
        S.detailAbort = null;
        $('detail').classList.remove('loading');
      }
    }
  }

  function renderDetail(d, sample = 0) {
    show($('detail-empty'), !d);
    show($('detail-body'), !!d);
    updateActionButtons();
    if (!d) return;
    $('d-source').textContent = d.source;
    $('d-signature').textContent = d.signature;
    $('d-format').textContent = d.format || '—';
    $('d-count').textContent = fmtInt(d.count);
    $('d-first-seen').textContent = fmtTime(d.first_seen);
    $('d-last-seen').textContent = fmtTime(d.last_seen);
    const dec = d.decision;
    const confirm = $('confirm');
    confirm.textContent = dec ? `Confirm ${dec.class_name || dec.class_uid}` : 'Confirm';
    confirm.title = dec
      ? `Confirm the engine's answer: ${classLabel(dec.class_name, dec.class_uid, dec.activity_id)} (c)`
      : 'No engine decision to confirm';
    renderDecision(d);
    renderCorrection(d.correction);
    renderCandidates(d);
    renderSample(d, sample);
  }

  // Two lines per answer (class and activity, then confidence, method and KB) so the box
  // stays readable when the detail pane is narrow.
  function decisionRow(label, x, missing) {
    const body = x
      ? el('div', null,
        el('div', { className: 'dec-class' }, classLabel(x.class_name, x.class_uid, x.activity_id)),
        el('div', { className: 'dec-meta' },
          el('span', { className: 'confidence ' + confClass(x.confidence), title: 'confidence' }, fmtPct(x.confidence, 1)),
          x.decided_by ? el('span', { className: 'muted' }, x.decided_by) : null,
          x.kb_version ? el('span', { className: 'muted mono', title: 'KB version' }, 'KB ' + x.kb_version) : null))
      : el('div', { className: 'muted' }, missing);
    return el('div', { className: 'dec-row' }, el('span', { className: 'dec-label' }, label), body);
  }

  function renderDecision(d) {
    const dec = d.decision;
    const now = d.now;
    const differs = dec && now && (now.class_uid !== dec.class_uid || now.activity_id !== dec.activity_id);
    setKids($('decision'),
      decisionRow('stored', dec, 'no decision stored'),
      decisionRow('KB in use', now, 'the KB in use could not be loaded'),
      differs ? el('p', { className: 'note-differs' }, 'The KB in use already decides differently from the stored answer.') : null);
  }

  function renderCorrection(c) {
    const box = $('correction-body');
    const withdraw = $('withdraw');
    if (!c) {
      box.replaceChildren(el('p', { className: 'muted' }, 'No correction for this shape.'));
      show(withdraw, false);
      return;
    }
    const st = c.state || {};
    const status = st.status || (c.withdrawn ? 'withdrawn' : 'pending');
    let stateText;
    if (status === 'pending') stateText = 'pending (waits for the next KB build)';
    else if (status === 'in_kb') stateText = `in KB version ${st.kb_version || '?'}`;
    else if (status === 'refused') stateText = `refused: ${st.reason || 'no reason given'}`;
    else if (status === 'withdrawn') stateText = 'withdrawn';
    else stateText = String(status);
    const known = ['pending', 'in_kb', 'refused', 'withdrawn'].includes(status);
    setKids(box,
      el('p', null, el('span', { className: `state badge state-long state-${known ? status : 'other'}` }, stateText)),
      el('p', null, el('strong', null, classLabel(c.class_name, c.class_uid, c.activity_id)),
        c.activity_id === null || c.activity_id === undefined ? el('span', { className: 'muted' }, ' · engine picks the activity') : null),
      el('p', { className: 'muted' }, `by ${c.who || 'unknown'} at ${fmtTime(c.at)}`),
      c.note ? el('blockquote', { className: 'note-text' }, c.note) : null);
    show(withdraw, !c.withdrawn && status !== 'withdrawn');
  }

  function probBar(p, title) {
    const w = typeof p === 'number' && isFinite(p) ? Math.max(0, Math.min(1, p)) * 100 : 0;
    return svg('svg', { className: 'bar', viewBox: '0 0 100 8', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
      svg('title', null, title),
      svg('rect', { className: 'bar-bg', x: 0, y: 0, width: 100, height: 8 }),
      svg('rect', { className: 'bar-fg', x: 0, y: 0, width: w.toFixed(2), height: 8 }));
  }

  function candidateRow(c, mark) {
    const label = `${c.class_name || 'class ' + c.class_uid} (${c.class_uid})`;
    return el('div', { className: 'cand' + (mark === c.class_uid ? ' is-decision' : '') },
      el('span', { className: 'cand-name', title: label }, label),
      probBar(c.probability, `${label}: ${fmtPct(c.probability, 1)}`),
      el('span', { className: 'cand-p num' }, fmtPct(c.probability, 1)));
  }

  function renderCandidates(d) {
    const box = $('candidates');
    const stored = Array.isArray(d.candidates) ? d.candidates : [];
    const parts = [
      el('h4', null, 'stored with the newest record', d.decision && d.decision.kb_version
        ? el('span', { className: 'muted mono' }, ' ' + d.decision.kb_version) : null),
      stored.length ? stored.map((c) => candidateRow(c, d.decision && d.decision.class_uid))
        : el('p', { className: 'muted' }, 'none stored'),
    ];
    const now = d.now;
    parts.push(el('h4', null, 'KB in use', now && now.kb_version ? el('span', { className: 'muted mono' }, ' ' + now.kb_version) : null));
    if (!now) parts.push(el('p', { className: 'muted' }, 'The KB in use could not be loaded.'));
    else {
      for (const c of now.candidates || []) {
        parts.push(candidateRow(c, now.class_uid));
        const ev = Array.isArray(c.evidence) ? c.evidence : [];
        if (ev.length) {
          parts.push(el('ul', { className: 'evidence' }, ev.map((e) =>
            el('li', null,
              el('span', { className: 'badge kind' }, e.kind || '?'),
              el('span', { className: 'ev-title', title: e.title || '' }, e.title || ''),
              el('span', { className: 'ev-source muted', title: e.source || '' }, e.source || ''),
              el('span', { className: 'num muted', title: 'retrieval score' },
                typeof e.score === 'number' ? e.score.toFixed(2) : '')))));
        }
      }
    }
    setKids(box, parts);
  }

  function renderSample(d, i) {
    const samples = Array.isArray(d.samples) ? d.samples : [];
    S.sample = Math.max(0, Math.min(i, samples.length - 1));
    const s = samples[S.sample];
    $('sample-pos').textContent = samples.length ? `${S.sample + 1} / ${samples.length}` : '0 / 0';
    $('sample-prev').disabled = S.sample <= 0;
    $('sample-next').disabled = S.sample >= samples.length - 1;
    $('sample-meta').textContent = s ? `${s.event_id || ''} · received ${fmtTime(s.received_at)}` : '';
    $('raw').textContent = s ? pretty(s.raw) : 'No sample in the window.';

    // now.ocsf_event is what the KB in use builds for the FIRST sample only; for the other
    // samples the stored event is the one that describes them.
    let ev = null;
    let origin = '';
    if (S.sample === 0 && d.now && d.now.ocsf_event !== undefined && d.now.ocsf_event !== null) {
      ev = d.now.ocsf_event;
      origin = 'as the KB in use builds it';
    } else if (s && s.ocsf_event !== undefined && s.ocsf_event !== null) {
      ev = s.ocsf_event;
      origin = 'as stored';
    }
    $('ocsf-origin').textContent = origin;
    const loading = !('ocsf_event' in (s || {})) && !(d.now && 'ocsf_event' in d.now);
    $('ocsf-event').textContent = ev !== null ? pretty(ev) : loading ? 'loading…' : 'No OCSF event.';
  }

  // ---------------------------------------------------------------------------------------
  // Corrections

  function updateActionButtons() {
    const d = S.detail;
    $('confirm').disabled = S.busy || !d || !d.decision;
    $('correct').disabled = S.busy || !d;
    $('withdraw').disabled = S.busy;
    renderQueueBar();
  }

  function setBusy(on) {
    S.busy = on;
    updateActionButtons();
  }

  function rebuildText(r) {
    if (r === 'requested') return 'KB rebuild requested: the change takes effect within minutes.';
    if (r === 'not_configured') return 'No rebuild queue is configured: the change takes effect at the next scheduled build.';
    return '';
  }

  // Every mutating call goes through here so the test hook (lastAction) and the refresh
  // behave the same for confirm, correct, bulk and withdraw.
  async function mutate(method, path, body, describe) {
    if (S.busy) return;
    document.body.dataset.lastAction = '';
    clearError();
    setBusy(true);
    try {
      const res = await api(method, path, body);
      toast(describe(res));
      if (method === 'POST') $('note').value = '';
      updateNoteCount();
      if (body && body.signatures) S.bulk.clear();
      await loadQueue({ keep: true });
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
      document.body.dataset.lastAction = 'posted';
    }
  }

  function postCorrection(payload, verb) {
    const note = $('note').value.trim();
    if (note) payload.note = note;
    const target = `${classLabel(S.classById.has(payload.class_uid) ? S.classById.get(payload.class_uid).name : null,
      payload.class_uid, payload.activity_id)}`;
    return mutate('POST', '/v1/corrections', payload, (res) => {
      const list = (res && res.corrections) || [];
      const records = list.reduce((n, c) => n + (Number(c.records_in_window) || 0), 0);
      const what = list.length === 1 ? `${list[0].source} ${list[0].signature}` : `${list.length} shapes`;
      return `${verb} ${what} as ${target}: ${fmtInt(records)} record${records === 1 ? '' : 's'} in the window. ${rebuildText(res && res.rebuild)}`;
    });
  }

  function confirmCurrent() {
    const d = S.detail;
    if (!d || !d.decision || S.busy) return;
    postCorrection({
      signature: d.signature,
      class_uid: d.decision.class_uid,
      activity_id: d.decision.activity_id ?? null,
    }, 'Confirmed');
  }

  function withdrawCurrent() {
    const d = S.detail;
    if (!d || S.busy) return;
    mutate('DELETE', `/v1/corrections/${encodeURIComponent(d.signature)}`, undefined,
      (res) => `Withdrew the correction of ${d.source} ${d.signature}. ${rebuildText(res && res.rebuild)}`);
  }

  // ---------------------------------------------------------------------------------------
  // Picker

  function openPicker(mode) {
    if (S.busy) return;
    if (mode === 'single' && !S.detail) return;
    if (mode === 'bulk' && S.bulk.size === 0) {
      showError({ message: 'Select shapes first (checkbox or x).' });
      return;
    }
    if (!S.classes.length) loadClasses();
    S.picker.mode = mode;
    S.picker.returnFocus = document.activeElement;
    $('picker-target').textContent = mode === 'bulk'
      ? `Apply to ${S.bulk.size} selected shape${S.bulk.size === 1 ? '' : 's'}.`
      : `Correct ${S.detail.source} ${S.detail.signature}.`;
    $('picker-title').textContent = mode === 'bulk' ? 'Bulk correction: pick the class' : 'Correction: pick the class';
    $('picker-search').value = '';
    show($('picker'), true);
    renderPicker();
    $('picker-search').focus();
  }

  function closePicker() {
    if ($('picker').hidden) return;
    show($('picker'), false);
    const f = S.picker.returnFocus;
    S.picker.returnFocus = null;
    if (f && f.isConnected && f !== document.body) f.focus();
  }

  function renderPicker() {
    const terms = $('picker-search').value.toLowerCase().split(/\s+/).filter(Boolean);
    const P = S.picker;
    P.filtered = S.options.filter((o) => terms.every((t) => o.hay.includes(t)));
    P.highlight = 0;
    const list = $('picker-list');
    list.replaceChildren(...P.filtered.map((o, i) => el('li', {
      id: 'picker-opt-' + i,
      className: 'picker-option' + (o.a ? '' : ' class-option'),
      role: 'option',
      dataset: { classUid: o.c.class_uid, activityId: o.a ? o.a.id : '', index: i },
    },
    el('span', { className: 'opt-class' }, o.c.name),
    el('span', { className: 'opt-uid mono' }, String(o.c.class_uid)),
    o.a ? el('span', { className: 'opt-act' }, `${o.a.name} (${o.a.id})`)
      : el('span', { className: 'opt-act muted' }, 'engine picks the activity'))));
    if (!P.filtered.length) list.append(el('li', { className: 'muted empty' }, S.classes.length ? 'No class or activity matches.' : 'Loading classes…'));
    highlight(0);
  }

  function highlight(i, scroll = true) {
    const P = S.picker;
    const list = $('picker-list');
    const old = list.querySelector('.picker-option.highlighted');
    if (old) {
      old.classList.remove('highlighted');
      old.setAttribute('aria-selected', 'false');
    }
    if (!P.filtered.length) {
      $('picker-search').removeAttribute('aria-activedescendant');
      return;
    }
    P.highlight = Math.max(0, Math.min(P.filtered.length - 1, i));
    const li = list.children[P.highlight];
    li.classList.add('highlighted');
    li.setAttribute('aria-selected', 'true');
    if (scroll) li.scrollIntoView({ block: 'nearest' });
    $('picker-search').setAttribute('aria-activedescendant', li.id);
  }

  function applyPicked(i) {
    const o = S.picker.filtered[i];
    if (!o) return;
    const mode = S.picker.mode;
    closePicker();
    const pick = { class_uid: o.c.class_uid, activity_id: o.a ? o.a.id : null };
    if (mode === 'bulk') {
      postCorrection({ signatures: [...S.bulk.keys()], ...pick }, 'Corrected');
    } else if (S.detail) {
      postCorrection({ signature: S.detail.signature, ...pick }, 'Corrected');
    }
  }

  function pickerKey(ev) {
    const P = S.picker;
    switch (ev.key) {
      case 'ArrowDown': highlight(P.highlight + 1); break;
      case 'ArrowUp': highlight(P.highlight - 1); break;
      case 'PageDown': highlight(P.highlight + 10); break;
      case 'PageUp': highlight(P.highlight - 10); break;
      case 'Enter': applyPicked(P.highlight); break;
      case 'Escape': closePicker(); break;
      default: return; // typing goes to the search field
    }
    ev.preventDefault();
  }

  // ---------------------------------------------------------------------------------------
  // Dashboard

  async function loadStats() {
    let data;
    try {
      data = await api('GET', '/v1/stats');
    } catch (e) {
      showError(e);
      return;
    }
    if (data.kb_version) $('kb-version').textContent = 'KB ' + data.kb_version;
    renderFigures(data);
    renderClassChart(data);
    renderReviewChart(data);
    renderTopSources(data);
  }

  function figure(label, value, sub, cls) {
    return el('div', { className: 'figure' + (cls ? ' ' + cls : '') },
      el('span', { className: 'figure-label' }, label),
      el('span', { className: 'figure-value' }, value),
      sub ? el('span', { className: 'figure-sub' }, sub) : null);
  }

  function renderFigures(d) {
    const c = d.corrections || {};
    const b = d.last_build || null;
    const buildSub = b ? [fmtTime(b.at), b.kb_version ? 'KB ' + b.kb_version : '', b.reason || ''].filter(Boolean).join(' · ') : '';
    setKids($('figures'),
      figure('records, 24 h', fmtInt(d.records_24h)),
      figure('needing review, 24 h', fmtPct(d.review_share_24h, 1), `${fmtInt(d.needs_review_24h)} records`),
      figure('corrections active', fmtInt(c.active), `${fmtInt(c.last_24h)} in 24 h · ${fmtInt(c.pending)} pending`),
      figure('KB version', d.kb_version || '—', null, 'figure-mono'),
      figure('last build', b ? String(b.outcome || '?') : 'none', buildSub,
        b ? (b.outcome === 'published' ? 'good' : 'warn') : null));
  }

  // A tick step of 1, 2, 2.5 or 5 times a power of ten, about four steps to the top, so the
  // axis reads 0 / 500 / 1k / 1.5k rather than 0 / 1.3k / 2.5k.
  function niceAxis(v) {
    if (!(v > 0)) return { max: 4, step: 1 };
    const raw = v / 4;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= raw);
    return { max: Math.ceil(v / step) * step, step };
  }

  function viewSize(chart) {
    const vb = chart.viewBox.baseVal;
    return [vb.width, vb.height];
  }

  function noData(chart, w, h, text) {
    chart.append(svg('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle', className: 'chart-empty' }, text));
  }

  const truncate = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

  function renderClassChart(d) {
    const chart = $('chart-classes');
    chart.replaceChildren();
    const [W, H] = viewSize(chart);
    const L = 48, R = 230, T = 12, B = 28;
    const hours = Array.isArray(d.hours) ? d.hours : [];
    const n = hours.length;
    const per = (Array.isArray(d.per_class) ? d.per_class : []).map((c) => ({
      name: c.class_name || 'class ' + c.class_uid,
      uid: c.class_uid,
      counts: hours.map((_, i) => Number((c.counts || [])[i]) || 0),
    }));
    per.forEach((c) => { c.total = c.counts.reduce((a, b) => a + b, 0); });
    per.sort((a, b) => b.total - a.total);
    // Eight classes plus "other" keep the colours tellable apart.
    const series = per.slice(0, 8);
    const rest = per.slice(8);
    if (rest.length) {
      const counts = hours.map((_, i) => rest.reduce((a, c) => a + c.counts[i], 0));
      series.push({ name: `other (${rest.length} classes)`, uid: null, counts, total: counts.reduce((a, b) => a + b, 0), other: true });
    }
    const totals = hours.map((_, i) => series.reduce((a, s) => a + s.counts[i], 0));
    const { max, step } = niceAxis(Math.max(0, ...totals));
    if (!n || !totals.some((t) => t > 0)) {
      noData(chart, (W - R) / 2, H / 2, 'No records in the last 24 hours.');
      return;
    }
    const pw = W - L - R, ph = H - T - B;
    const slot = pw / n, bw = Math.max(2, slot * 0.78);
    const y = (v) => T + ph - (v / max) * ph;

    const grid = svg('g', { className: 'grid' });
    for (let v = 0; v <= max + step / 2; v += step) {
      grid.append(
        svg('line', { x1: L, x2: L + pw, y1: y(v), y2: y(v) }),
        svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtCompact(v)));
    }
    chart.append(grid);

    const bars = svg('g', null);
    hours.forEach((h, i) => {
      const x = L + i * slot + (slot - bw) / 2;
      const col = svg('g', null,
        svg('rect', { className: 'hover-col', x: L + i * slot, y: T, width: slot, height: ph },
          svg('title', null, `${fmtTime(h)}: ${fmtInt(totals[i])} records`)));
      let acc = 0;
      series.forEach((s, k) => {
        const v = s.counts[i];
        if (!v) return;
        col.append(svg('rect', {
          className: 'series-' + (s.other ? 'other' : k), x: x.toFixed(1), y: y(acc + v).toFixed(1),
          width: bw.toFixed(1), height: Math.max(0.5, y(acc) - y(acc + v)).toFixed(1),
        }, svg('title', null, `${fmtTime(h)} · ${s.name}: ${fmtInt(v)} of ${fmtInt(totals[i])}`)));
        acc += v;
      });
      bars.append(col);
      if (i % 3 === 0) {
        bars.append(svg('text', { className: 'tick', x: L + i * slot + slot / 2, y: H - B + 16, 'text-anchor': 'middle' }, fmtHour(h)));
      }
    });
    chart.append(bars, svg('line', { className: 'axis', x1: L, x2: L + pw, y1: T + ph, y2: T + ph }));

    const legend = svg('g', { className: 'legend' });
    series.forEach((s, k) => {
      const ly = T + 6 + k * 22;
      legend.append(svg('g', null,
        svg('title', null, `${s.name}${s.uid !== null ? ' (' + s.uid + ')' : ''}: ${fmtInt(s.total)} records in 24 h`),
        svg('rect', { className: 'series-' + (s.other ? 'other' : k), x: W - R + 16, y: ly, width: 12, height: 12, rx: 2 }),
        svg('text', { x: W - R + 34, y: ly + 10 }, truncate(s.name, 24)),
        svg('text', { x: W - 4, y: ly + 10, 'text-anchor': 'end', className: 'legend-num' }, fmtCompact(s.total))));
    });
    chart.append(legend);
  }

  function renderReviewChart(d) {
    const chart = $('chart-review');
    chart.replaceChildren();
    const [W, H] = viewSize(chart);
    const L = 40, R = 10, T = 10, B = 28;
    const hours = Array.isArray(d.hours) ? d.hours : [];
    const share = Array.isArray(d.review_share_per_hour) ? d.review_share_per_hour : [];
    const n = hours.length;
    if (!n) {
      noData(chart, W, H, 'No data.');
      return;
    }
    const pw = W - L - R, ph = H - T - B;
    const slot = pw / n, bw = Math.max(2, slot * 0.7);
    // A healthy share is a few percent: on a fixed 0-100% axis the bars would be flat, so
    // the axis goes from 0 to a round value above the highest hour (at least 10%, at most 100%).
    const top = Math.max(0.1, ...share.filter((v) => typeof v === 'number' && isFinite(v)));
    const axis = top >= 0.5 ? { max: 1, step: 0.25 } : niceAxis(top);
    const y = (v) => T + ph - (Math.min(v, axis.max) / axis.max) * ph;
    const grid = svg('g', { className: 'grid' });
    for (let v = 0; v <= axis.max + axis.step / 2; v += axis.step) {
      grid.append(
        svg('line', { x1: L, x2: L + pw, y1: y(v), y2: y(v) }),
        svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtPct(v, Math.round(axis.step * 1000) % 10 ? 1 : 0)));
    }
    chart.append(grid);
    const bars = svg('g', null);
    hours.forEach((h, i) => {
      const v = share[i];
      const x = L + i * slot + (slot - bw) / 2;
      if (typeof v === 'number' && isFinite(v)) {
        const c = Math.max(0, Math.min(1, v));
        bars.append(svg('rect', {
          className: 'share-bar', x: x.toFixed(1), y: y(c).toFixed(1), width: bw.toFixed(1),
          height: Math.max(0.5, y(0) - y(c)).toFixed(1),
        }, svg('title', null, `${fmtTime(h)}: ${fmtPct(v, 1)} needing review`)));
      } else {
        bars.append(svg('rect', { className: 'share-none', x: x.toFixed(1), y: y(0) - 2, width: bw.toFixed(1), height: 2 },
          svg('title', null, `${fmtTime(h)}: no records`)));
      }
      if (i % 3 === 0) {
        bars.append(svg('text', { className: 'tick', x: L + i * slot + slot / 2, y: H - B + 16, 'text-anchor': 'middle' }, fmtHour(h)));
      }
    });
    chart.append(bars);
    if (typeof d.review_share_24h === 'number') {
      const ay = y(Math.max(0, Math.min(1, d.review_share_24h)));
      chart.append(svg('g', { className: 'avg' },
        svg('title', null, `24 h: ${fmtPct(d.review_share_24h, 1)} needing review`),
        svg('line', { x1: L, x2: L + pw, y1: ay, y2: ay }),
        svg('text', { x: L + pw - 2, y: ay - 4, 'text-anchor': 'end' }, `24 h ${fmtPct(d.review_share_24h, 1)}`)));
    }
    chart.append(svg('line', { className: 'axis', x1: L, x2: L + pw, y1: T + ph, y2: T + ph }));
  }

  function renderTopSources(d) {
    const rows = (Array.isArray(d.top_sources) ? d.top_sources : []).map((s) => el('tr', null,
      el('td', { className: 'source-cell', title: s.source }, s.source),
      el('td', { className: 'num' }, fmtInt(s.records)),
      el('td', { className: 'num' }, fmtInt(s.needs_review)),
      el('td', { className: 'num muted' }, s.records ? fmtPct(s.needs_review / s.records, 1) : '—')));
    if (!rows.length) rows.push(el('tr', null, el('td', { colspan: 4, className: 'muted' }, 'No records in the last 24 hours.')));
    $('top-sources').tBodies[0].replaceChildren(...rows);
  }

  // ---------------------------------------------------------------------------------------
  // Tabs, help, keyboard

  function switchTab(tab) {
    S.tab = tab;
    const q = tab === 'queue';
    $('tab-queue').setAttribute('aria-selected', String(q));
    $('tab-dashboard').setAttribute('aria-selected', String(!q));
    show($('queue-view'), q);
    show($('dashboard-view'), !q);
    if (!q && S.auth) loadStats();
  }

  function toggleHelp(on) {
    show($('help'), on === undefined ? $('help').hidden : on);
  }

  function refresh() {
    clearError();
    if (S.tab === 'dashboard') loadStats();
    else loadQueue({ keep: true });
  }

  function isTyping(t) {
    if (!t || !t.tagName) return false;
    if (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') return true;
    if (t.tagName !== 'INPUT') return false;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(t.type);
  }

  function onKey(ev) {
    if (!$('picker').hidden) {
      pickerKey(ev);
      return;
    }
    if (ev.key === 'Escape') {
      if (!$('help').hidden) toggleHelp(false);
      else if (isTyping(ev.target)) ev.target.blur();
      else clearError();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev.target)) return;
    if (document.body.dataset.state === 'signin' || $('app').hidden) return;
    if (ev.key === '?') {
      toggleHelp();
      ev.preventDefault();
      return;
    }
    if (!$('help').hidden) return;
    if (S.gPending) {
      S.gPending = false;
      if (ev.key === 'q') switchTab('queue');
      else if (ev.key === 'd') switchTab('dashboard');
      ev.preventDefault();
      return;
    }
    const onQueue = S.tab === 'queue';
    switch (ev.key) {
      case 'j': if (onQueue) moveSelection(1); break;
      case 'k': if (onQueue) moveSelection(-1); break;
      case 'c': if (onQueue) confirmCurrent(); break;
      case 'e': if (onQueue) openPicker('single'); break;
      case 'x': if (onQueue) toggleBulk(S.selected); break;
      case 'b': if (onQueue) openPicker('bulk'); break;
      case 'r': refresh(); break;
      case '/':
        if (!onQueue) switchTab('queue');
        $('filter-source').focus();
        $('filter-source').select();
        break;
      case 'g':
        S.gPending = true;
        setTimeout(() => { S.gPending = false; }, 1500);
        break;
      default: return;
    }
    ev.preventDefault();
  }

  function updateNoteCount() {
    const n = $('note').value.length;
    $('note-count').textContent = n ? `${n} / 2000` : '';
  }

  // ---------------------------------------------------------------------------------------
  // Wiring

  function wire() {
    $('signin-button').addEventListener('click', onSigninButton);
    $('signin-key-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      onSigninButton();
    });
    $('signout').addEventListener('click', signOut);
    $('tab-queue').addEventListener('click', () => switchTab('queue'));
    $('tab-dashboard').addEventListener('click', () => switchTab('dashboard'));
    $('error-close').addEventListener('click', clearError);
    $('help-button').addEventListener('click', () => toggleHelp());
    $('help-close').addEventListener('click', () => toggleHelp(false));
    $('help').addEventListener('click', (ev) => { if (ev.target === $('help')) toggleHelp(false); });

    // Text filters reload after a pause in typing (or at once on Enter); the others on change.
    const later = () => {
      clearTimeout(S.filterTimer);
      S.filterTimer = setTimeout(() => loadQueue({ keep: false }), 350);
    };
    for (const id of ['filter-source', 'filter-min-count', 'filter-days']) {
      $(id).addEventListener('input', later);
      $(id).addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
          clearTimeout(S.filterTimer);
          loadQueue({ keep: false });
        }
      });
    }
    for (const id of ['filter-class', 'filter-include-corrected']) {
      $(id).addEventListener('change', () => loadQueue({ keep: false }));
    }

    $('queue').addEventListener('click', (ev) => {
      const li = ev.target.closest('.queue-item');
      if (!li) return;
      const i = Number(li.dataset.index);
      // The browser has already flipped the box; toggleBulk sets it to what the selection
      // holds (it may refuse past the bulk limit).
      if (ev.target.classList.contains('bulk-select')) toggleBulk(i);
      else selectIndex(i);
    });
    $('more').addEventListener('click', () => loadQueue({ append: true }));
    $('refresh').addEventListener('click', refresh);
    $('bulk-apply').addEventListener('click', () => openPicker('bulk'));
    $('bulk-clear').addEventListener('click', () => {
      S.bulk.clear();
      for (const cb of $('queue').querySelectorAll('.bulk-select')) cb.checked = false;
      renderQueueBar();
    });

    $('confirm').addEventListener('click', confirmCurrent);
    $('correct').addEventListener('click', () => openPicker('single'));
    $('withdraw').addEventListener('click', withdrawCurrent);
    $('note').addEventListener('input', updateNoteCount);
    $('sample-prev').addEventListener('click', () => S.detail && renderSample(S.detail, S.sample - 1));
    $('sample-next').addEventListener('click', () => S.detail && renderSample(S.detail, S.sample + 1));

    $('picker-search').addEventListener('input', renderPicker);
    $('picker-close').addEventListener('click', closePicker);
    $('picker').addEventListener('click', (ev) => {
      if (ev.target === $('picker')) {
        closePicker();
        return;
      }
      const opt = ev.target.closest('.picker-option');
      if (opt) applyPicked(Number(opt.dataset.index));
    });
    $('picker-list').addEventListener('mousemove', (ev) => {
      const opt = ev.target.closest('.picker-option');
      if (opt && Number(opt.dataset.index) !== S.picker.highlight) highlight(Number(opt.dataset.index), false);
    });

    document.addEventListener('keydown', onKey);
  }

  wire();
  boot();
})();
