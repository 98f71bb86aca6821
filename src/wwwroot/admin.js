// CharWeb's admin panel: create a chardev, hot-swap its backend, remove it. The form is built from
// the live OpenAPI document, so every backend kind, option, default and limit the server knows is
// shown as the server describes it, and a problem's `errors` land beside the field they name.
// The server decides who may do what; this panel is only shown to admins.
window.CharWebAdmin = (() => {
  'use strict';

  const $ = id => document.getElementById(id);
  let ctx = null;
  let doc = null;

  /** Called by app.js once it knows who we are: api(path, init), open(id), current() -> id. */
  async function init(context) {
    ctx = context;
    const admin = ctx.me && ctx.me.role === 'admin';
    $('new-chardev').hidden = !admin;
    $('manage-current').hidden = !admin;
    if (!admin) return;
    $('new-chardev').onclick = () => showCreate().catch(err => formMessage(err.message));
    $('change-backend').onclick = () => showChange().catch(err => ctx.message(err.message));
    $('remove').onclick = confirmRemove;
    $('manage-cancel').onclick = hide;
  }

  async function schemaDoc() {
    if (doc) return doc;
    const response = await ctx.api('/swagger/v1/swagger.json');
    if (!response.ok) throw new Error(`OpenAPI document: ${response.status}`);
    doc = await response.json();
    return doc;
  }

  function resolve(schema) {
    while (schema && schema.$ref) schema = schema.$ref.split('/').slice(1).reduce((node, key) => node[key], doc);
    return schema || {};
  }

  // ---- showing the form -------------------------------------------------------------------------
  async function showCreate() {
    await schemaDoc();
    const form = openForm('New chardev', 'Create');
    renderObject(form.fields, resolve({ $ref: '#/components/schemas/ChardevDefinition' }), '', {});
    form.element.onsubmit = event => {
      event.preventDefault();
      submit('POST', '/api/chardevs', collect(form.fields), '', body => ctx.open(body.id));
    };
    // A cluster's nodes, if they can be had; the plain field stays otherwise.
    await offerNodes(form.fields).catch(() => {});
  }

  async function showChange() {
    await schemaDoc();
    const id = ctx.current();
    const response = await ctx.api(`/api/chardevs/${encodeURIComponent(id)}`);
    if (!response.ok) throw new Error(`${id}: ${response.status}`);
    const chardev = await response.json();
    const form = openForm(`Change the backend of ${id}`, 'Change backend');
    form.fields.append(hint('Consoles stay attached. If the new backend cannot open, the old one stays (QEMU chardev-change).'));
    renderUnion(form.fields, resolve({ $ref: '#/components/schemas/BackendOptions' }), 'backend', chardev.backend, true);
    form.element.onsubmit = event => {
      event.preventDefault();
      const body = collect(form.fields).backend;
      submit('PUT', `/api/chardevs/${encodeURIComponent(id)}/backend`, body, 'backend.', () => ctx.open(id, true));
    };
  }

  /** In a cluster, `node` is a choice of the nodes that beat (this one first, the default); on a single node it stays as described. */
  async function offerNodes(fields) {
    const input = fields.querySelector('[data-path="node"]');
    if (!input) return;
    const response = await ctx.api('/api/cluster/nodes');
    const nodes = response.ok ? await response.json() : [];
    // The form may have been replaced (another form opened) while the nodes were asked for.
    if (!nodes.length || !input.isConnected) return;
    const select = document.createElement('select');
    select.name = select.dataset.path = 'node';
    select.dataset.kind = 'string';
    const self = nodes.find(n => n.self);
    select.append(new Option(self ? `${self.name} (this node)` : '(this node)', ''));
    for (const n of nodes.filter(n => !n.self)) {
      const option = new Option(n.state === 'up' ? n.name : `${n.name} (unreachable)`, n.name);
      option.disabled = n.state !== 'up';
      select.append(option);
    }
    input.replaceWith(select);
  }

  function openForm(title, action) {
    $('welcome').hidden = true;
    $('view').hidden = true;
    $('manage').hidden = false;
    $('manage-title').textContent = title;
    $('manage-submit').textContent = action;
    formMessage('');
    const fields = $('manage-fields');
    fields.replaceChildren();
    return { element: $('manage-form'), fields };
  }

  function hide() {
    $('manage').hidden = true;
    if (ctx.current()) $('view').hidden = false; else $('welcome').hidden = false;
  }

  // ---- rendering a schema -----------------------------------------------------------------------
  function renderObject(container, schema, prefix, value) {
    const required = new Set(schema.required || []);
    for (const [name, raw] of Object.entries(schema.properties || {})) {
      renderField(container, name, raw, prefix + name, required.has(name), value ? value[name] : undefined);
    }
  }

  function renderField(container, name, raw, path, required, value) {
    const schema = resolve(raw);
    if (schema.oneOf && schema.discriminator) return renderUnion(container, schema, path, value, required, raw.description || schema.description);
    if (schema.type === 'object' && schema.properties) {
      const set = document.createElement('fieldset');
      set.dataset.path = path;
      const legend = document.createElement('legend');
      legend.textContent = name;
      legend.title = schema.description || '';
      set.append(legend, errorSlot(path));
      renderObject(set, schema, path + '.', value || {});
      container.append(set);
      return;
    }

    const row = document.createElement('label');
    row.className = 'field';
    const caption = document.createElement('span');
    caption.className = 'caption';
    caption.textContent = name + (required ? ' *' : '');
    const input = inputFor(schema, value);
    input.name = path;
    input.dataset.path = path;
    input.dataset.kind = schema.type === 'array' ? 'array' : schema.type || 'string';
    if (required) input.required = true;
    const help = document.createElement('span');
    help.className = 'help muted';
    help.textContent = (raw.description || schema.description || '') + (schema.default !== undefined && schema.default !== null ? ` (default ${JSON.stringify(schema.default)})` : '');
    row.append(caption, input, errorSlot(path), help);
    container.append(row);
  }

  function inputFor(schema, value) {
    if (schema.enum) {
      const select = document.createElement('select');
      select.append(new Option(schema.default !== undefined ? `(default: ${schema.default})` : '', ''));
      for (const v of schema.enum) select.append(new Option(v, v));
      select.value = value ?? '';
      return select;
    }

    const input = document.createElement('input');
    if (schema.type === 'boolean') {
      input.type = 'checkbox';
      input.checked = value ?? schema.default ?? false;
      input.dataset.default = String(schema.default ?? false);
      return input;
    }

    if (schema.type === 'integer' || schema.type === 'number') {
      input.type = 'number';
      if (schema.minimum !== undefined) input.min = schema.minimum;
      if (schema.maximum !== undefined) input.max = schema.maximum;
    } else {
      input.type = 'text';
      input.spellcheck = false;
      if (schema.pattern) input.pattern = schema.pattern;
    }

    if (schema.default !== undefined && schema.default !== null) input.placeholder = String(schema.default);
    if (schema.type === 'array') input.placeholder = 'comma-separated';
    if (value !== undefined && value !== null) input.value = Array.isArray(value) ? value.join(', ') : String(value);
    return input;
  }

  /** A `oneOf` with a discriminator (the backend kind): a select, and the chosen kind's own fields under it. */
  function renderUnion(container, schema, path, value, required, description) {
    const set = document.createElement('fieldset');
    set.dataset.path = path;
    set.dataset.union = schema.discriminator.propertyName;
    const legend = document.createElement('legend');
    legend.textContent = path.split('.').pop();
    legend.title = description || schema.description || '';
    const select = document.createElement('select');
    select.name = `${path}.${schema.discriminator.propertyName}`;
    select.dataset.path = select.name;
    select.dataset.discriminator = 'true';
    const kinds = Object.keys(schema.discriminator.mapping);
    for (const kind of kinds) select.append(new Option(kind, kind));
    const chosen = value && value[schema.discriminator.propertyName];
    select.value = chosen && kinds.includes(chosen) ? chosen : kinds.includes('socket') ? 'socket' : kinds[0];
    const row = document.createElement('label');
    row.className = 'field';
    const caption = document.createElement('span');
    caption.className = 'caption';
    caption.textContent = schema.discriminator.propertyName + (required ? ' *' : '');
    const kindHelp = document.createElement('span');
    kindHelp.className = 'help muted';
    row.append(caption, select, errorSlot(select.name), kindHelp);
    const options = document.createElement('div');
    options.className = 'union-options';
    const render = () => {
      const kind = resolve({ $ref: schema.discriminator.mapping[select.value] });
      kindHelp.textContent = kind.description || '';
      options.replaceChildren();
      const rest = { ...kind, properties: { ...kind.properties } };
      delete rest.properties[schema.discriminator.propertyName];
      renderObject(options, rest, path + '.', select.value === chosen ? value : {});
    };
    select.onchange = render;
    set.append(legend, errorSlot(path), row, options);
    container.append(set);
    render();
  }

  function errorSlot(path) {
    const slot = document.createElement('span');
    slot.className = 'field-error';
    slot.dataset.errorFor = path;
    return slot;
  }

  function hint(text) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = text;
    return p;
  }

  // ---- reading it back --------------------------------------------------------------------------
  /** The JSON the form says: only what was given (defaults are the server's to apply), nested by path. */
  function collect(container) {
    const body = {};
    for (const input of container.querySelectorAll('[data-path]')) {
      if (input.tagName === 'FIELDSET') continue;
      const value = valueOf(input);
      if (value === undefined) continue;
      const keys = input.dataset.path.split('.');
      let node = body;
      for (const key of keys.slice(0, -1)) node = node[key] ??= {};
      node[keys.at(-1)] = value;
    }
    return body;
  }

  function valueOf(input) {
    if (input.dataset.discriminator) return input.value;
    if (input.type === 'checkbox') return String(input.checked) === input.dataset.default ? undefined : input.checked;
    const text = input.value.trim();
    if (text === '') return undefined;
    switch (input.dataset.kind) {
      case 'integer': case 'number': return Number(text);
      case 'array': return text.split(',').map(s => s.trim()).filter(Boolean);
      default: return text;
    }
  }

  // ---- sending it -------------------------------------------------------------------------------
  async function submit(method, path, body, errorPrefix, done) {
    for (const slot of document.querySelectorAll('#manage .field-error')) slot.textContent = '';
    formMessage('');
    $('manage-submit').disabled = true;
    try {
      const response = await ctx.api(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        $('manage').hidden = true;
        done(answer);
        return;
      }
      showProblem(answer, errorPrefix, response.status);
    } catch (err) {
      formMessage(err.message);
    } finally {
      $('manage-submit').disabled = false;
    }
  }

  /** Each of the problem's `errors` beside the field it names (or its nearest enclosing one), the rest on top. */
  function showProblem(problem, errorPrefix, status) {
    const unplaced = [];
    for (const [field, messages] of Object.entries(problem.errors || {})) {
      const slot = slotFor(errorPrefix + field) || slotFor(field);
      if (slot) slot.textContent = messages.join('; ');
      else unplaced.push(`${field}: ${messages.join('; ')}`);
    }
    const first = document.querySelector('#manage .field-error:not(:empty)');
    if (first) first.scrollIntoView({ block: 'center' });
    const head = problem.title ? `${problem.title} (${status})` : `${status}`;
    formMessage([head, problem.errors ? '' : problem.detail, ...unplaced].filter(Boolean).join(' · '));
  }

  function slotFor(path) {
    for (let keys = path.split('.'); keys.length; keys.pop()) {
      const slot = document.querySelector(`#manage [data-error-for="${CSS.escape(keys.join('.'))}"]`);
      if (slot) return slot;
    }
    return null;
  }

  function formMessage(text) { $('manage-message').textContent = text; }

  // ---- removing ---------------------------------------------------------------------------------
  let armed = null;

  /** Two clicks, not a dialog: the first arms the button for 5 s, the second removes. */
  async function confirmRemove() {
    const id = ctx.current();
    const button = $('remove');
    if (armed !== id) {
      armed = id;
      button.textContent = `Really remove ${id}?`;
      setTimeout(() => { if (armed === id) { armed = null; button.textContent = 'Remove'; } }, 5000);
      return;
    }
    armed = null;
    button.textContent = 'Remove';
    const response = await ctx.api(`/api/chardevs/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (response.ok) {
      ctx.message(`${id} removed`);
      return;
    }
    const problem = await response.json().catch(() => ({}));
    ctx.message(`${id} not removed: ${problem.detail || problem.title || response.status}`);
  }

  return { init };
})();
