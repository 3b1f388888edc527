// The live page of `tenantnet ui`: shows the picture the server draws, swaps it whenever the server
// says the host changed (Server-Sent Events), shows a clicked box's details, and asks the server to
// run the checks. No framework, no build step; text from the server only ever goes in as text.

const $ = (id) => document.getElementById(id);
const picture = $('picture');
const details = $('details');
const detailsBody = $('details-body');
const stateLine = $('state');
const verifyButton = $('verify');

let shownVersion = null;
let selected = null;
let lastSnapshot = null;
let verifyState = null;

/** An element with text (never HTML) and optional classes. */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function showState() {
  const s = lastSnapshot;
  if (!s) return;
  const when = new Date(s.updated).toLocaleTimeString();
  let text = s.observed
    ? `live: as this host has it, read ${when}`
    : 'the file alone: not applied on this host';
  let cls = '';
  if (s.error) {
    text += ` (last read failed: ${s.error})`;
    cls = 'error';
  }
  if (verifyState) {
    text += ` · ${verifyState.text}`;
    if (verifyState.running) cls = 'verifying';
  }
  stateLine.textContent = text;
  stateLine.className = cls;
  verifyButton.disabled = Boolean(verifyState?.running || s.verifying);
}

/** Puts a snapshot's SVG on the page (parsed as XML, imported: no script of it runs) and wires its boxes. */
function show(snapshot) {
  lastSnapshot = snapshot;
  $('topology').textContent = snapshot.topology;
  showState();
  if (snapshot.version === shownVersion) return;
  const doc = new DOMParser().parseFromString(snapshot.svg, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg') return;
  picture.replaceChildren(document.importNode(svg, true));
  shownVersion = snapshot.version;
  for (const g of picture.querySelectorAll('g.node')) {
    const id = g.querySelector('title')?.textContent ?? '';
    g.dataset.id = id;
    g.addEventListener('click', () => select(id));
    if (id === selected) g.classList.add('selected');
  }
  if (selected) void loadDetails(selected);
}

function select(id) {
  selected = id;
  for (const g of picture.querySelectorAll('g.node')) g.classList.toggle('selected', g.dataset.id === id);
  void loadDetails(id);
}

function section(title, items, className) {
  const list = items.filter((x) => x !== null && x !== undefined && x !== '');
  if (list.length === 0) return null;
  const box = el('div');
  box.append(el('h3', title));
  const ul = el('ul');
  for (const item of list) ul.append(el('li', item, className));
  box.append(ul);
  return box;
}

function kernelLines(k) {
  if (!k) return [];
  const out = [];
  if (k.namespace) out.push(`namespace ${k.namespace}`);
  if (k.bridge) out.push(`bridge ${k.bridge}`);
  if (k.device) out.push(`device ${k.device}`);
  if (k.mac) out.push(`MAC ${k.mac}`);
  if (Array.isArray(k.ips) && k.ips.length) out.push(`fixed IPs ${k.ips.join(', ')}`);
  if (Array.isArray(k.addresses) && k.addresses.length) out.push(`holds ${k.addresses.join(', ')}`);
  if (k.floatingIp) out.push(`floating IP ${k.floatingIp}`);
  if (k.gatewayIp) out.push(`gateway ${k.gatewayIp}`);
  for (const p of k.ports ?? []) out.push(`${p.device} (${p.role}, ${p.network}) ${p.addresses.join(' ')}`);
  for (const f of k.floatingIps ?? []) out.push(`floating ${f.address} -> ${f.instance}`);
  return out;
}

function renderDetails(d) {
  const body = [];
  body.push(el('h2', `${d.kind} ${d.name}`));
  body.push(el('pre', d.label.join('\n')));
  if (d.health) {
    body.push(el('p', d.health.healthy ? 'healthy' : d.health.state, d.health.healthy ? 'pass' : 'problem'));
    body.push(section('problems', d.health.problems, 'problem'));
  }
  body.push(section('on the host', kernelLines(d.kernel)));
  for (const g of d.securityGroups) body.push(section(`security group ${g.name}`, g.rules));
  if (d.dhcp) {
    body.push(
      section('DHCP', [
        `namespace ${d.dhcp.namespace}`,
        d.dhcp.pid === null ? 'dnsmasq not running' : `dnsmasq pid ${d.dhcp.pid}`,
      ]),
    );
    const leases = d.dhcp.leases.length ? d.dhcp.leases : ['no leases'];
    if (d.dhcp.moreLeases > 0) leases.push(`and ${d.dhcp.moreLeases} more`);
    body.push(section('leases', leases));
  }
  const checks = d.checks.map((c) => {
    const what = `${c.from} -> ${c.to} ${c.protocol}${c.port === null ? '' : `/${c.port}`}: expect ${c.expect}`;
    const seen = c.result === null ? 'not verified' : c.result === 'fail' ? 'FAIL' : c.result;
    const li = el('li', `${what}: ${seen}${c.detail ? ` (${c.detail})` : ''}`, c.result ?? '');
    li.dataset.check = String(c.index);
    return li;
  });
  if (checks.length) {
    const box = el('div');
    box.append(el('h3', 'checks'));
    const ul = el('ul');
    ul.append(...checks);
    box.append(ul);
    body.push(box);
  }
  detailsBody.replaceChildren(...body.filter(Boolean));
  details.hidden = false;
}

async function loadDetails(id) {
  const r = await fetch(`/api/details?id=${encodeURIComponent(id)}`);
  if (selected !== id) return;
  if (!r.ok) {
    detailsBody.replaceChildren(el('p', `no details for ${id}`, 'problem'));
    details.hidden = false;
    return;
  }
  renderDetails(await r.json());
}

$('close').addEventListener('click', () => {
  selected = null;
  details.hidden = true;
  for (const g of picture.querySelectorAll('g.node.selected')) g.classList.remove('selected');
});

verifyButton.addEventListener('click', async () => {
  verifyButton.disabled = true;
  const r = await fetch('/api/verify', { method: 'POST' });
  if (r.status === 409) verifyState = { running: true, text: 'the checks are already running' };
  else if (!r.ok) verifyState = { running: false, text: `verify refused (${r.status})` };
  showState();
});

const events = new EventSource('/api/events');
events.addEventListener('graph', (e) => show(JSON.parse(e.data)));
events.addEventListener('verify', (e) => {
  const v = JSON.parse(e.data);
  if (v.state === 'started')
    verifyState = { running: true, total: v.total, done: 0, text: `verifying: 0 of ${v.total}` };
  else if (v.state === 'done')
    verifyState = { running: false, text: `verify: ${v.passed} passed, ${v.failed} failed` };
  else verifyState = { running: false, text: `verify failed: ${v.error}` };
  showState();
});
events.addEventListener('check', () => {
  if (verifyState?.running && verifyState.total !== undefined) {
    verifyState.done += 1;
    verifyState.text = `verifying: ${verifyState.done} of ${verifyState.total}`;
    showState();
  }
});
events.addEventListener('error', () => {
  stateLine.textContent = 'disconnected from tenantnet ui: retrying…';
  stateLine.className = 'error';
});
