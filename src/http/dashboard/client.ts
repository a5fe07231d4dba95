/**
 * The dashboard's script, sent inline (its hash is in the page's CSP). Plain ES2020 with no
 * framework: it keeps the rows by id, applies the server's diffs, redraws on the next frame,
 * and counts ages and time left down once a second by itself. Text reaches the page only
 * through `textContent`, and links only with an http(s) URL.
 */
export const SCRIPT = String.raw`
'use strict';
(function () {
  var token = document.querySelector('meta[name="portlease-token"]').content;
  var server = document.querySelector('meta[name="portlease-server"]').content;
  var rows = new Map();
  var skew = 0;
  var problem = null;
  var main = document.getElementById('groups');
  var filter = document.getElementById('filter');
  var summary = document.getElementById('summary');
  var status = document.getElementById('status');
  var pruneButton = document.getElementById('prune');
  var problemBox = document.getElementById('problem');
  var clocks = [];
  var pending = false;

  function now() { return Date.now() + skew; }
  function span(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    var h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + (m % 60) + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function stale(row) { return row.state !== 'live'; }
  function haystack(row) {
    var o = row.owner;
    return [row.app, row.instance, row.service || 'anonymous', row.label || '', row.port, row.kind, row.state,
      row.url || '', o ? o.pid : '', o && o.command ? o.command : '', o ? (o.alive ? 'alive' : 'dead') : '',
      row.listening ? 'listening' : 'not listening'].join(' ').toLowerCase();
  }
  function matches(row, terms) {
    if (terms.length === 0) return true;
    var text = haystack(row);
    return terms.every(function (term) { return text.indexOf(term) !== -1; });
  }

  function kindCell(row, cell) {
    var named = row.service === null ? 'anonymous' : 'named';
    cell.appendChild(el('span', 'tag', row.kind));
    cell.appendChild(document.createTextNode(' ' + named + (row.claimed ? ', claimed' : '')));
    if (row.expiresAt) {
      var left = el('span', 'cmd');
      var at = Date.parse(row.expiresAt);
      var tick = function () {
        var ms = at - now();
        left.textContent = ms > 0 ? span(ms) + ' left' : 'expired ' + span(-ms) + ' ago';
        left.className = ms > 0 ? 'cmd' : 'cmd expired';
      };
      tick();
      clocks.push(tick);
      cell.appendChild(left);
    }
  }
  function ownerCell(row, cell) {
    var o = row.owner;
    if (!o) { cell.appendChild(el('span', 'muted', 'none')); return; }
    cell.appendChild(document.createTextNode('pid ' + o.pid + ' '));
    if (!o.local) cell.appendChild(el('span', 'muted', 'other host'));
    else cell.appendChild(el('span', o.alive ? 'yes' : 'dead', o.alive ? 'alive' : 'dead'));
    if (o.command) {
      var command = el('span', 'cmd', o.command);
      command.title = o.command;
      cell.appendChild(command);
    }
  }
  function urlCell(row, cell) {
    if (row.url && /^https?:\/\//i.test(row.url)) {
      var link = el('a', '', row.url);
      link.href = row.url;
      link.rel = 'noopener noreferrer';
      link.target = '_blank';
      cell.appendChild(link);
    } else cell.appendChild(el('span', 'muted', '—'));
  }
  function releaseButton(row) {
    var button = el('button', '', 'Release');
    button.type = 'button';
    button.dataset.id = String(row.id);
    button.setAttribute('aria-label', 'Release lease ' + row.id + ' on port ' + row.port);
    var timer = 0;
    // Two clicks: the first arms the button for 4 s, so that a stray click releases nothing.
    button.addEventListener('click', function () {
      if (!button.classList.contains('armed')) {
        button.classList.add('armed');
        button.textContent = 'Release?';
        timer = setTimeout(function () { button.classList.remove('armed'); button.textContent = 'Release'; }, 4000);
        return;
      }
      clearTimeout(timer);
      button.disabled = true;
      button.textContent = 'Releasing…';
      post('dashboard/release', { id: row.id }).catch(function (error) {
        button.disabled = false;
        button.classList.remove('armed');
        button.textContent = 'Release';
        showProblem('Release failed: ' + error.message);
      });
    });
    return button;
  }
  // Rows drawn before, by id: an unchanged row keeps its element (an armed button, a
  // selection) across redraws, and only changed rows are built again.
  var drawn = new Map();
  function rowNode(row) {
    var text = JSON.stringify(row);
    var old = drawn.get(row.id);
    if (old && old.text === text) {
      old.ticks.forEach(function (tick) { tick(); clocks.push(tick); });
      return old.tr;
    }
    var first = clocks.length;
    var tr = buildRow(row);
    drawn.set(row.id, { text: text, tr: tr, ticks: clocks.slice(first) });
    return tr;
  }
  function buildRow(row) {
    var tr = el('tr', stale(row) ? 'stale' : '');
    tr.dataset.id = String(row.id);
    var cells = [
      ['Service', function (c) {
        if (row.service !== null) c.appendChild(el('strong', '', row.service));
        else c.appendChild(el('span', 'muted', row.label ? 'label: ' + row.label : 'anonymous'));
        if (row.state !== 'live') c.appendChild(el('span', row.state === 'dead' ? 'cmd dead' : 'cmd expired', row.state === 'dead' ? 'owner dead' : 'expired'));
      }, 'svc'],
      ['Port', function (c) { c.textContent = String(row.port); }, 'port'],
      ['URL', function (c) { urlCell(row, c); }, 'url'],
      ['Kind', function (c) { kindCell(row, c); }, 'kind'],
      ['Owner', function (c) { ownerCell(row, c); }, 'owner'],
      ['Listening', function (c) {
        if (row.listening === null) c.appendChild(el('span', 'muted', '?'));
        else c.appendChild(el('span', row.listening ? 'yes' : 'no', row.listening ? 'yes' : 'no'));
      }, 'listen'],
      ['Age', function (c) {
        var at = Date.parse(row.createdAt);
        var tick = function () { c.textContent = span(now() - at); };
        tick();
        clocks.push(tick);
      }, 'age'],
      ['', function (c) { c.appendChild(releaseButton(row)); }, 'act'],
    ];
    cells.forEach(function (spec) {
      var td = el('td', spec[2]);
      td.dataset.label = spec[0];
      var inner = el('div');
      spec[1](inner);
      td.appendChild(inner);
      tr.appendChild(td);
    });
    return tr;
  }

  // Named leases by service, then anonymous ones by label.
  function name(row) { return row.service !== null ? row.service : '\uffff' + (row.label || ''); }
  function render() {
    pending = false;
    clocks = [];
    var terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var groups = new Map();
    var shown = 0;
    var staleCount = 0;
    var sorted = Array.from(rows.values()).sort(function (a, b) {
      return a.app.localeCompare(b.app) || a.instance.localeCompare(b.instance) ||
        name(a).localeCompare(name(b)) || a.port - b.port;
    });
    drawn.forEach(function (_entry, id) { if (!rows.has(id)) drawn.delete(id); });
    sorted.forEach(function (row) {
      if (stale(row)) staleCount++;
      if (!matches(row, terms)) return;
      shown++;
      var key = row.app + '\u0000' + row.instance;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row);
    });
    var fragment = document.createDocumentFragment();
    groups.forEach(function (list) {
      var section = el('section');
      var h2 = el('h2', '', list[0].app + ' / ' + list[0].instance + ' ');
      h2.appendChild(el('span', '', list.length + (list.length === 1 ? ' lease' : ' leases')));
      section.appendChild(h2);
      var table = el('table');
      var head = el('thead');
      var hr = el('tr');
      ['Service', 'Port', 'URL', 'Kind', 'Owner', 'Listening', 'Age', ''].forEach(function (name) { hr.appendChild(el('th', '', name)); });
      head.appendChild(hr);
      table.appendChild(head);
      var body = el('tbody');
      list.forEach(function (row) { body.appendChild(rowNode(row)); });
      table.appendChild(body);
      section.appendChild(table);
      fragment.appendChild(section);
    });
    if (shown === 0) fragment.appendChild(el('p', '', rows.size === 0 ? 'No leases.' : 'No lease matches the filter.')).id = 'empty';
    main.replaceChildren(fragment);
    summary.textContent = rows.size + (rows.size === 1 ? ' lease' : ' leases') + (staleCount ? ', ' + staleCount + ' stale' : '') +
      (shown !== rows.size ? ' (' + shown + ' shown)' : '');
    pruneButton.disabled = staleCount === 0;
  }
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(render);
  }
  function showProblem(text) { problemBox.textContent = text || ''; }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-portlease-token': token },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error(json.error || ('HTTP ' + response.status));
        return json;
      });
    });
  }

  pruneButton.addEventListener('click', function () {
    pruneButton.disabled = true;
    post('dashboard/prune', {}).then(function (result) {
      showProblem(result.pruned.length ? '' : 'Nothing to prune: dead leases whose port is still bound are kept.');
    }, function (error) { showProblem('Prune failed: ' + error.message); }).then(redraw);
  });
  filter.addEventListener('input', redraw);

  function connect() {
    var source = new EventSource('events');
    source.addEventListener('snapshot', function (event) {
      var data = JSON.parse(event.data);
      skew = data.now - Date.now();
      rows = new Map();
      data.rows.forEach(function (row) { rows.set(row.id, row); });
      // Another server answers now (portlease serve restarted): its token is not this page's.
      problem = data.server === server ? data.problem : 'portlease serve restarted: reload the page to use Release and Prune.';
      showProblem(problem);
      status.textContent = 'live';
      status.className = 'live';
      redraw();
    });
    source.addEventListener('diff', function (event) {
      var diff = JSON.parse(event.data);
      diff.added.concat(diff.changed).forEach(function (row) { rows.set(row.id, row); });
      diff.removed.forEach(function (id) { rows.delete(id); });
      redraw();
    });
    source.addEventListener('problem', function (event) { problem = JSON.parse(event.data).message; showProblem(problem); });
    source.addEventListener('error', function () {
      status.textContent = 'reconnecting…';
      status.className = 'bad';
    });
  }
  setInterval(function () { clocks.forEach(function (tick) { tick(); }); }, 1000);
  connect();
})();
`;
