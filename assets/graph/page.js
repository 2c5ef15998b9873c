// The fabric page: draws the graph with cytoscape (breadthfirst layout from the spines),
// colours it from `cldemo status` and, when served live, follows `cldemo events`.
/* global document, window, cytoscape, EventSource */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('fabric-data').textContent);
  var g = data.graph;
  var byId = {};
  g.nodes.forEach(function (n) { byId[n.id] = n; });
  var counts = {}; // switch -> container /32s it holds
  var counts6 = {}; // dual stack: switch -> container /128s it holds

  var elements = [];
  g.nodes.forEach(function (n) {
    elements.push({ group: 'nodes', data: { id: n.id, role: n.role, label: [n.name].concat(n.details).join('\n') }, classes: n.role });
  });
  var edgeOf = {}; // node:port -> the edge of its cable
  var linkName = {}; // edge id -> "a:p -- b:q", as status and lab impair name it
  g.edges.forEach(function (e, i) {
    var label = e.kind === 'container' ? '' : e.aPort + ' \u2013 ' + e.bPort;
    elements.push({ group: 'edges', data: { id: 'e' + i, source: e.a, target: e.b, label: label, ports: label }, classes: e.kind });
    if (e.kind === 'container') return;
    edgeOf[e.a + ':' + e.aPort] = 'e' + i;
    edgeOf[e.b + ':' + e.bPort] = 'e' + i;
    linkName['e' + i] = e.a + ':' + e.aPort + ' -- ' + e.b + ':' + e.bPort;
  });

  var colours = data.colours;
  var base = [
    { selector: 'node', style: { shape: 'round-rectangle', label: 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'center', 'font-size': 10, width: 96, height: 52, 'border-width': 2 } },
    { selector: 'node.container', style: { width: 70, height: 22, 'font-size': 9, shape: 'round-rectangle' } },
    { selector: 'edge', style: { width: 1.5, 'line-color': '#94a3b8', 'curve-style': 'bezier', label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 7, color: '#475569', 'text-rotation': 'autorotate', 'text-background-color': '#f8fafc', 'text-background-opacity': 1 } },
    { selector: 'edge.container', style: { 'line-style': 'dotted' } },
    // an impaired link: thick amber, its impairment in its label; a link down: red dashes (over impaired)
    { selector: 'edge.impaired', style: { width: 4, 'line-color': '#d97706', color: '#92400e' } },
    { selector: 'edge.down', style: { width: 3, 'line-color': '#dc2626', 'line-style': 'dashed', color: '#b91c1c' } },
  ];
  var roles = Object.keys(colours).map(function (role) {
    return { selector: 'node.' + role, style: { 'background-color': colours[role].fill, 'border-color': colours[role].stroke } };
  });
  // later rules win: a node's state colours its border over its role's
  var states = [
    { selector: 'node.ok', style: { 'border-color': '#16a34a', 'border-width': 3 } },
    { selector: 'node.warn', style: { 'border-color': '#d97706', 'border-width': 3 } },
    { selector: 'node.down', style: { 'border-color': '#dc2626', 'border-width': 4, 'background-color': '#fee2e2' } },
    { selector: 'node.gone', style: { opacity: 0.3, 'border-style': 'dashed' } },
  ];
  var style = base.concat(roles, states);

  var roots = g.nodes.filter(function (n) { return n.role === 'spine'; }).map(function (n) { return '#' + cssId(n.id); });
  var cy = cytoscape({
    container: document.getElementById('cy'),
    elements: elements,
    style: style,
    layout: { name: 'breadthfirst', roots: roots.join(','), directed: false, spacingFactor: 1.05, padding: 16, avoidOverlap: true },
    wheelSensitivity: 0.3,
  });
  window.cy = cy;

  function cssId(id) { return id.replace(/([^A-Za-z0-9_-])/g, '\\$1'); }

  // the side panel: one row per node, data-state for people and for tests
  var rows = {};
  var tbody = document.getElementById('nodes');
  g.nodes.forEach(function (n) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-node', n.id);
    tr.setAttribute('data-role', n.role);
    tr.setAttribute('data-state', 'unknown');
    // a snapshot page (graph --format html) knows the topology, not the nodes' states
    tr.innerHTML = '<td></td><td class="muted"></td><td class="state">' + (data.live ? 'unknown' : '') + '</td><td class="muted info"></td>';
    tr.children[0].textContent = n.role === 'container' ? n.id : n.name;
    tr.children[1].textContent = n.role;
    tbody.appendChild(tr);
    rows[n.id] = tr;
  });

  function setState(id, state, info, look) {
    var tr = rows[id];
    if (!tr) return;
    tr.setAttribute('data-state', state);
    tr.querySelector('.state').textContent = state;
    if (info !== undefined) tr.querySelector('.info').textContent = info;
    var node = cy.getElementById(id);
    node.removeClass('ok warn down gone');
    if (look) node.addClass(look);
  }

  function switchLabel(id, extra) {
    var n = byId[id];
    cy.getElementById(id).data('label', [n.name].concat(n.details, extra).join('\n'));
  }

  // links: each end's state as its switch or the events last said it, and what impairs each link
  var endUp = {}; // node:port -> false when that end reports the link down
  var impairs = {}; // edge id -> words

  function words(i) {
    var out = [];
    if (i.loss !== undefined) out.push('loss ' + i.loss + '%');
    if (i.rate !== undefined) out.push('rate ' + (i.rate >= 1e9 ? i.rate / 1e9 + 'G' : i.rate >= 1e6 ? i.rate / 1e6 + 'M' : i.rate / 1e3 + 'k') + 'bit');
    if (i.delay !== undefined) out.push('delay ' + i.delay + 'ms' + (i.jitter !== undefined ? ' \u00b1' + i.jitter + 'ms' : ''));
    if (i.duplicate !== undefined) out.push('dup ' + i.duplicate + '%');
    if (i.corrupt !== undefined) out.push('corrupt ' + i.corrupt + '%');
    return out.join(' ');
  }

  function drawLinks() {
    var list = document.getElementById('links');
    list.textContent = '';
    Object.keys(linkName).forEach(function (id) {
      var edge = cy.getElementById(id);
      var ends = linkName[id].split(' -- ');
      var down = ends.some(function (end) { return endUp[end] === false; });
      edge.toggleClass('down', down);
      edge.toggleClass('impaired', Boolean(impairs[id]));
      edge.data('label', edge.data('ports') + (impairs[id] ? '\n' + impairs[id] : '') + (down ? '\nDOWN' : ''));
      if (!down && !impairs[id]) return;
      var li = document.createElement('li');
      li.setAttribute('data-link', linkName[id]);
      li.setAttribute('data-state', down ? 'down' : 'impaired');
      li.setAttribute('data-impair', impairs[id] || '');
      li.textContent = linkName[id] + ': ' + [down ? 'down' : '', impairs[id] || ''].filter(Boolean).join(', ');
      list.appendChild(li);
    });
  }

  function applyLinks(s) {
    s.switches.forEach(function (sw) {
      (sw.links || []).forEach(function (l) { endUp[sw.name + ':' + l.port] = l.state === 'up'; });
    });
    impairs = {};
    (s.impairments || []).forEach(function (i) {
      var id = edgeOf[i.link.split(' -- ')[0]];
      if (id) impairs[id] = words(i.impair) + (i.partial ? ' (partial)' : '');
    });
    drawLinks();
  }

  /** "/32s N", and (dual stack) "/128s M" after it */
  function hostRoutes(name, sep) {
    return '/32s ' + counts[name] + (counts6[name] === undefined ? '' : sep + '/128s ' + counts6[name]);
  }

  function applyStatus(s) {
    applyLinks(s);
    s.switches.forEach(function (sw) {
      if (!sw.reachable) return setState(sw.name, 'down', sw.error || 'unreachable', 'down');
      counts[sw.name] = sw.routes.present + sw.routes.unexpected.length;
      if (sw.routes6) counts6[sw.name] = sw.routes6.present + sw.routes6.unexpected.length;
      var full6 = !sw.routes6 || sw.routes6.present === sw.routes6.expected;
      var good = sw.bgp.up === sw.bgp.total && sw.bgp.total > 0 && sw.routes.present === sw.routes.expected && full6 && (!sw.agent || sw.agent.state === 'running');
      var info = 'BGP ' + sw.bgp.up + '/' + sw.bgp.total + ', ' + hostRoutes(sw.name, ', ');
      setState(sw.name, good ? 'ok' : 'warn', info, good ? 'ok' : 'warn');
      switchLabel(sw.name, ['BGP ' + sw.bgp.up + '/' + sw.bgp.total + '  ' + hostRoutes(sw.name, '  ')]);
    });
    s.servers.forEach(function (sv) {
      if (!sv.reachable) return setState(sv.name, 'down', sv.error || 'dockerd unreachable', 'down');
      var good = sv.containers.running === sv.containers.expected;
      setState(sv.name, good ? 'ok' : 'warn', sv.containers.running + '/' + sv.containers.expected + ' running', good ? 'ok' : 'warn');
    });
    s.containers.forEach(function (c) {
      var routed = c.routed_on + '/' + c.switches + ' switches' + (c.routed6_on === undefined ? '' : ' (/128: ' + c.routed6_on + '/' + c.switches + ')');
      if (c.state !== 'running') return setState(c.name, c.state, routed, 'gone');
      var everywhere = c.routed_on === c.switches && (c.routed6_on === undefined || c.routed6_on === c.switches);
      setState(c.name, 'running', routed + ', arp ' + c.arp + (c.nd === undefined ? '' : ', nd ' + c.nd), everywhere ? 'ok' : 'warn');
    });
    document.getElementById('summary').textContent = (s.ok ? 'all well' : s.problems.length + ' problems') + ' at ' + s.timestamp.slice(11, 19);
    document.getElementById('problems').textContent = s.problems.join('\n');
  }

  function applyEvent(e) {
    if (e.type === 'container' && rows[e.container]) {
      if (e.action === 'start') setState(e.container, 'running', 'started', 'warn');
      else if (e.action === 'die' || e.action === 'stop') setState(e.container, 'exited', e.exit_code !== undefined ? 'exit ' + e.exit_code : 'stopped', 'gone');
      else if (e.action === 'destroy') setState(e.container, 'missing', 'removed', 'gone');
    } else if (e.type === 'route' && counts[e.node] !== undefined) {
      var family = /\/128$/.test(e.prefix) ? counts6 : counts;
      if (family[e.node] !== undefined) family[e.node] += e.action === 'added' ? 1 : -1;
      switchLabel(e.node, [hostRoutes(e.node, '  ')]);
      var tr = rows[e.node];
      if (tr) tr.querySelector('.info').textContent = hostRoutes(e.node, ', ');
    } else if (e.type === 'link' && edgeOf[e.node + ':' + e.dev]) {
      endUp[e.node + ':' + e.dev] = e.action === 'up';
      drawLinks();
    } else if (e.type === 'watch' && e.action === 'lost' && rows[e.node]) {
      setState(e.node, 'down', e.error || 'lost', 'down');
    }
    var log = document.getElementById('log');
    log.textContent = e.time.slice(11, 23) + ' ' + e.node + ' ' + e.type + ' ' + e.action + ' ' + (e.container || e.prefix || e.peer || e.ip || e.dev || '') + '\n' + log.textContent.slice(0, 20000);
  }

  if (data.status) applyStatus(data.status);
  if (data.live) {
    document.getElementById('mode').textContent = 'live';
    var source = new EventSource('events');
    source.onmessage = function (m) {
      var msg = JSON.parse(m.data);
      if (msg.kind === 'status') applyStatus(msg.status);
      else if (msg.kind === 'event') applyEvent(msg.event);
    };
    source.onerror = function () { document.getElementById('mode').textContent = 'live (reconnecting)'; };
    source.onopen = function () { document.getElementById('mode').textContent = 'live'; };
  }
  window.fabricPage = { applyStatus: applyStatus, applyEvent: applyEvent, ready: true };
})();
