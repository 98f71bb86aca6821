// CharWeb's browser console: xterm.js on a SignalR (MessagePack) stream of the chardev's bytes.
// Flow control: every byte xterm has rendered is acknowledged, so the server never floods this tab.
(() => {
  'use strict';

  const params = new URLSearchParams(location.search);
  // A read-only link is the viewer's own choice; whether this console may type at all is the server's.
  const readOnlyLink = params.get('readonly') === '1';
  const keyStorage = 'charweb.apiKey';
  let apiKey = localStorage.getItem(keyStorage);
  const ackEvery = 64 * 1024;
  const encoder = new TextEncoder();
  const $ = id => document.getElementById(id);

  const connection = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/console' + (readOnlyLink ? '?readonly=1' : ''), { accessTokenFactory: () => apiKey || '' })
    .withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol())
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: c => Math.min(500 * 2 ** c.previousRetryCount, 10000) })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  // Match the server's KeepAliveSeconds (5) and ClientTimeoutSeconds (15).
  connection.keepAliveIntervalInMilliseconds = 5000;
  connection.serverTimeoutInMilliseconds = 15000;

  const term = new Terminal({
    cursorBlink: true,
    scrollback: 10000,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
    fontSize: 14,
    theme: { background: '#0b0e11', foreground: '#d7dde4', cursor: '#4fb3ff', selectionBackground: '#2d4356' },
  });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);

  const state = { current: params.get('console'), chardevs: new Map(), subscription: null, stream: null,
                  lost: 0, gap: 0, device: '', consoles: 0, opened: false, me: null,
                  writer: null, self: false, awaitOwner: null };
  // For people debugging in devtools, and for the browser tests.
  window.charweb = { term, connection, state };

  // ---- chardev list --------------------------------------------------------------------------
  /** Whether a chardev matches the filter: every word in its id, backend (filename), state or node. */
  function matches(c, filter) {
    const text = `${c.id} ${c.filename} ${c.state} ${c.node || ''}`.toLowerCase();
    return filter.toLowerCase().split(/\s+/).filter(Boolean).every(word => text.includes(word));
  }

  function renderList(list) {
    state.all = list;
    state.chardevs = new Map(list.map(c => [c.id, c]));
    const shown = list.filter(c => matches(c, $('filter').value));
    $('count').textContent = !list.length ? '' : shown.length === list.length ? `(${list.length})` : `(${shown.length} of ${list.length})`;
    $('empty-list').hidden = list.length > 0;
    $('no-match').hidden = !list.length || shown.length > 0;
    $('chardevs').replaceChildren(...shown.map(c => {
      const li = document.createElement('li');
      li.dataset.id = c.id;
      li.className = c.id === state.current ? 'active' : '';
      li.title = c.lastError ? `${c.state}: ${c.lastError}` : c.state;
      const dot = document.createElement('span');
      dot.className = 'dot ' + c.state;
      const id = document.createElement('span');
      id.className = 'id';
      id.textContent = c.id;
      const viewers = document.createElement('span');
      viewers.className = 'viewers';
      viewers.textContent = c.consoles ? String(c.consoles) : '';
      viewers.title = `${c.consoles} console${c.consoles === 1 ? '' : 's'} attached`;
      const meta = document.createElement('span');
      meta.className = 'meta mono';
      meta.textContent = `${c.filename} · out ${bytes(c.outputBytes)} · dropped ${bytes(c.outputDropped)}`;
      // Only a cluster's chardevs carry a node: a single server's list stays as it was.
      if (c.node) {
        const node = document.createElement('span');
        node.className = 'node';
        node.textContent = c.node;
        node.title = `on node ${c.node}`;
        meta.prepend(node, ' · ');
      }
      li.append(dot, id, viewers, meta);
      li.addEventListener('click', () => open(c.id));
      return li;
    }));
    const current = state.current && state.chardevs.get(state.current);
    if (current) {
      state.device = current.state;
      state.consoles = current.consoles;
      $('filename').textContent = current.filename;
      $('dot').className = 'dot ' + current.state;
      const download = $('download');
      download.href = `/api/chardevs/${encodeURIComponent(current.id)}/${current.logfile ? 'log' : 'history'}`;
      download.textContent = current.logfile ? 'Download log' : 'Download history';
      $('replay-open').hidden = !current.record;
      if (current.writers !== 'one') state.writer = null;
      renderSeat();
      renderStatus();
      reattach.ifBack();
    }
  }

  function watchList() {
    connection.stream('WatchChardevs').subscribe({
      next: renderList,
      error: err => message(`chardev list: ${err.message}`),
      complete: () => {},
    });
  }

  $('filter').addEventListener('input', () => renderList(state.all || []));

  // ---- one console ---------------------------------------------------------------------------
  function open(id) {
    $('manage').hidden = true;
    if (state.subscription && state.current === id) {
      $('welcome').hidden = true;
      $('view').hidden = false;
      return;
    }
    detach();
    if (state.awaitOwner?.id !== id) reattach.stop();
    CharWebReplay.close();
    state.current = id;
    const url = new URL(location.href);
    url.searchParams.set('console', id);
    history.replaceState(null, '', url);
    for (const li of $('chardevs').children) li.classList.toggle('active', li.dataset.id === id);
    $('welcome').hidden = true;
    $('view').hidden = false;
    $('title').textContent = id;
    Object.assign(state, { writer: null, self: false });
    renderSeat();
    const ro = new URL(location.href);
    ro.searchParams.set('readonly', '1');
    $('readonly-link').href = ro.toString();
    if (!state.opened) {
      term.open($('terminal'));
      state.opened = true;
      new ResizeObserver(() => fitToWindow()).observe($('terminal'));
    }
    attach();
    term.focus();
  }

  /** Attaches the open chardev; a reattach keeps the screen until the owner answers (then its history replaces it). */
  function attach(again) {
    if (!state.current || connection.state !== signalR.HubConnectionState.Connected) return;
    const id = state.current;
    if (!again) term.reset();
    Object.assign(state, { lost: 0, gap: 0 });
    message('');
    // Each stream counts its own bytes: xterm may still be rendering an old stream's output (after a
    // switch or a reconnect), and its callbacks must neither count nor acknowledge bytes for this one.
    const stream = { id, rendered: 0, acked: 0, pending: 0 };
    state.stream = stream;
    state.subscription = connection.stream('Attach', id).subscribe({
      next: data => {
        if (state.stream !== stream) return;
        reattach.back(id);
        markGap();
        stream.pending++;
        term.write(data, () => {
          stream.pending--;
          stream.rendered += data.length;
          if (state.stream === stream && (stream.rendered - stream.acked >= ackEvery || stream.pending === 0)) {
            stream.acked = stream.rendered;
            connection.send('Ack', id, stream.rendered).catch(() => {});
          }
        });
      },
      complete: () => { if (state.stream !== stream) return; markGap(); state.subscription = null; renderStatus(); },
      error: err => {
        if (state.stream !== stream) return;
        state.subscription = null;
        message(err.message);
        renderStatus();
        if (state.awaitOwner?.id === id) reattach.later(id);
      },
    });
    fitToWindow(true);
    renderSeat();
    renderStatus();
  }

  // A cluster's console whose owner node stopped answering is attached again until it is back (reattach.js).
  const reattach = CharWebReattach({ state, attach, current, term });

  /** Writes the pending gap's marker into the terminal, where the missing output would have been. */
  function markGap() {
    if (!state.gap) return;
    term.write(`\r\n\x1b[0;7m[charweb: ${bytes(state.gap)} of output lost here]\x1b[0m\r\n`);
    state.gap = 0;
  }

  function detach() {
    if (state.subscription) {
      state.subscription.dispose();
      state.subscription = null;
    }
  }

  function fitToWindow(always) {
    if (!state.opened) return;
    const before = `${term.cols}x${term.rows}`;
    fit.fit();
    if ((always || `${term.cols}x${term.rows}` !== before) && state.subscription) {
      connection.invoke('Resize', state.current, term.cols, term.rows).catch(err => message(err.message));
    }
    renderStatus();
  }

  // ---- who may type: the role on this chardev, then the writer seat ------------------------------
  function current() { return state.current && state.chardevs.get(state.current); }
  function mayOperate() { const c = current(); return !readOnlyLink && !!c && (c.role === 'operator' || c.role === 'admin'); }
  function seated() { const c = current(); return !c || c.writers !== 'one' || state.self; }
  function canType() { return mayOperate() && seated(); }

  function renderSeat() {
    const c = current();
    const operate = mayOperate();
    $('ro-badge').hidden = operate;
    for (const b of ['break', 'paste']) $(b).disabled = !canType();
    const one = c && c.writers === 'one';
    $('take').hidden = !(one && operate && !state.self && state.subscription);
    const writer = $('writer');
    writer.className = state.self ? 'self' : 'muted';
    writer.textContent = !one ? '' : state.self ? 'you hold the writer seat'
      : state.writer ? `writer: ${state.writer} (you watch)` : 'writer seat free';
  }

  function write(bytesToSend) {
    if (!state.current) return;
    if (!canType()) {
      message(!mayOperate() ? 'this console is read-only' : `${state.writer || 'nobody'} holds the writer seat; Take over to type`);
      return;
    }
    connection.invoke('Write', state.current, bytesToSend)
      .then(accepted => { if (accepted < bytesToSend.length) message(`device not connected: ${bytesToSend.length - accepted} bytes dropped`); })
      .catch(err => message(err.message));
  }

  term.onData(text => write(encoder.encode(text)));
  term.onBinary(text => write(Uint8Array.from(text, c => c.charCodeAt(0) & 0xff)));

  connection.on('ChardevEvent', (id, e) => {
    if (id !== state.current) return;
    if (e.kind === 'unreachable') {
      // Sent by the node relaying this console just before the stream ends.
      state.device = 'unreachable';
      reattach.ownerLost(id);
      message(e.reason);
      renderStatus();
      return;
    }
    reattach.back(id);
    switch (e.kind) {
      case 'overrun':
        // The event sits exactly where the bytes are missing. Overruns with no output between them are
        // one gap (a tab far behind gets many): it is marked once, just before the output after it.
        state.lost = e.total ?? state.lost + (e.bytes ?? 0);
        state.gap += e.bytes ?? 0;
        break;
      case 'opened': case 'closed': case 'changed': case 'failed': state.device = e.state ?? state.device; if (e.reason) message(e.reason); break;
      case 'consoles': state.consoles = e.consoles; break;
      case 'inputDropped': message(`device not connected: ${e.bytes} bytes of input dropped`); break;
      case 'break': message('break'); break;
      case 'removed': message('this chardev was removed'); state.device = 'removed'; break;
      case 'writer': state.writer = e.name ?? null; state.self = !!e.self; renderSeat(); break;
    }
    renderStatus();
  });

  // ---- status line ---------------------------------------------------------------------------
  function renderStatus() {
    const link = connection.state === signalR.HubConnectionState.Connected ? ['connected', 'ok']
      : connection.state === signalR.HubConnectionState.Reconnecting ? ['reconnecting…', 'warn'] : ['disconnected', 'bad'];
    $('link').textContent = link[0];
    $('link').className = 'pill ' + link[1];
    $('st-link').textContent = state.subscription ? `● ${link[0]}` : `○ ${link[0] === 'connected' ? 'not attached' : link[0]}`;
    $('st-link').className = state.subscription ? link[1] : 'warn';
    $('st-device').textContent = state.device ? `device ${state.device}` : '';
    $('st-device').className = state.device === 'open' ? 'ok' : state.device === 'failed' || state.device === 'removed' ? 'bad' : 'warn';
    $('st-consoles').textContent = `${state.consoles} console${state.consoles === 1 ? '' : 's'}`;
    $('st-lost').textContent = `lost ${bytes(state.lost)}`;
    $('st-lost').className = state.lost ? 'warn' : '';
    $('st-size').textContent = state.opened ? `${term.cols}×${term.rows}` : '';
  }

  function message(text) { $('st-message').textContent = text; }

  function bytes(n) {
    if (n == null) return '';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${i ? n.toFixed(1) : n} ${units[i]}`;
  }

  // ---- buttons ------------------------------------------------------------------------------
  $('break').addEventListener('click', () => connection.invoke('SendBreak', state.current).catch(err => message(err.message)));
  $('take').addEventListener('click', () => connection.invoke('TakeWriter', state.current).catch(err => message(err.message)));
  $('download').addEventListener('click', event => {
    // A link carries the login cookie but not a key from storage: fetch it with the key instead.
    if (!apiKey) return;
    event.preventDefault();
    const link = event.currentTarget;
    api(link.getAttribute('href')).then(r => r.ok ? r.blob() : Promise.reject(new Error(`download: ${r.status}`))).then(blob => {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = link.getAttribute('href').split('/').slice(-2).join('-');
      a.click();
      URL.revokeObjectURL(a.href);
    }).catch(err => message(err.message));
  });
  $('replay-open').addEventListener('click', () => CharWebReplay.open(state.current, api).catch(err => message(err.message)));
  $('copy').addEventListener('click', () => navigator.clipboard.writeText(term.getSelection()).catch(err => message(err.message)));
  $('paste').addEventListener('click', () => navigator.clipboard.readText().then(t => term.paste(t)).catch(err => message(err.message)));

  // ---- connection ---------------------------------------------------------------------------
  connection.onreconnecting(() => { state.subscription = null; renderStatus(); });
  connection.onreconnected(() => { watchList(); attach(); });
  connection.onclose(() => { state.subscription = null; renderStatus(); setTimeout(start, 2000); });

  // ---- who you are ----------------------------------------------------------------------------
  function api(path, init = {}) {
    const headers = new Headers(init.headers || {});
    if (apiKey) headers.set('Authorization', `Bearer ${apiKey}`);
    return fetch(path, { ...init, headers, credentials: 'same-origin' });
  }

  /** Answers who the server says we are, or shows the sign-in panel and answers null. */
  async function whoAmI() {
    const response = await api('/api/me');
    if (response.ok) {
      state.me = await response.json();
      $('me').textContent = `${state.me.name} · ${state.me.role || 'no role'}`;
      $('me').title = `signed in via ${state.me.via}${state.me.groups.length ? ' · groups ' + state.me.groups.join(', ') : ''}`;
      $('me').hidden = false;
      $('logout').hidden = state.me.via === 'loopback';
      $('signin').hidden = true;
      return state.me;
    }
    const problem = await response.json().catch(() => ({}));
    if (apiKey && response.status === 401) {
      localStorage.removeItem(keyStorage);
      apiKey = null;
      $('signin-reason').textContent = 'That API key is not valid (unknown or revoked).';
    }
    $('login-row').hidden = !problem.login;
    $('login').href = `${problem.login || '/auth/login'}?returnUrl=${encodeURIComponent(location.pathname + location.search)}`;
    $('signin').hidden = false;
    $('welcome').hidden = true;
    $('view').hidden = true;
    return null;
  }

  $('key-form').addEventListener('submit', event => {
    event.preventDefault();
    apiKey = $('key-input').value.trim();
    $('key-input').value = '';
    if (!apiKey) return;
    localStorage.setItem(keyStorage, apiKey);
    start();
  });

  $('logout').addEventListener('click', async () => {
    localStorage.removeItem(keyStorage);
    apiKey = null;
    if (state.me && state.me.via === 'oidc') await api('/auth/logout', { method: 'POST' }).catch(() => {});
    location.reload();
  });

  async function start() {
    try {
      if (!await whoAmI()) return;
      $('welcome').hidden = !!state.current;
      await CharWebAdmin.init({ me: state.me, api, open, message, current: () => state.current });
      await connection.start();
      watchList();
      if (state.current) {
        const id = state.current;
        state.current = null;
        open(id);
      }
    } catch (err) {
      renderStatus();
      setTimeout(start, 2000);
    }
    renderStatus();
  }

  start();
})();
