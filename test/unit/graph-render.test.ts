// The renderers: DOT is stable and says what the model says (shapes, colours, dashes, labels), the SVG
// Graphviz lays out is well-formed XML with every node and edge drawn once, JSON round-trips, Mermaid
// is one statement per line; and hostile names and problems cannot break out of any of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildGraph, type Graph, toDot, toJson, toMermaid, toSvg } from '../../src/graph/index.js';
import { drawable, mermaidText } from '../../src/graph/text.js';
import { hostileString } from '../helpers/host-snapshot.js';
import { brokenDemoOverlay, demo } from './graph-fixtures.js';
import { allText, parseXml, svgItems } from './graph-xml.js';

/** The DOT statement (one line) of a node or edge, found by its quoted ids. */
function statement(dot: string, ...ids: string[]): string {
  const head = ids.map((id) => JSON.stringify(id)).join(' -> ');
  const line = dot.split('\n').find((l) => l.startsWith(`  ${head} [`));
  assert.ok(line, `no statement for ${head}`);
  return line;
}

test('the XML checker the SVG tests rely on refuses what is not well-formed', () => {
  for (const bad of [
    '<a><b></a>',
    '<a x="1" x="2"/>',
    '<a>&foo;</a>',
    '<a>&#0;</a>',
    '<a>x & y</a>',
    '<a>\u0001</a>',
    '<a/><b/>',
    '<a><!-- x -- y --></a>',
    '<a x=1/>',
    '<a x="<"/>',
    '<a>',
    'text',
  ]) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  const ok = parseXml(
    '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x>y">\n<a k="&lt;&#65;">t&amp;<b/></a>',
  );
  assert.equal(ok.attrs.k, '<A');
  assert.equal(allText(ok), 't&');
});

test('DOT of the demo: stable, routers octagons, networks wide bars, links without arrows, checks dashed', async () => {
  const { model, checks } = await demo();
  const dot = toDot(buildGraph(model, { checks }));
  assert.equal(dot, toDot(buildGraph(model, { checks })), 'same graph, same text');
  assert.match(dot, /^digraph "demo" \{\n/);
  assert.match(statement(dot, 'demo.router.r1'), /shape=octagon/);
  const web = statement(dot, 'demo.network.web');
  assert.match(web, /shape=box/);
  assert.match(web, /width=4\.2/, 'three links hang off web: a bar 4.2 inches wide');
  assert.match(web, /<B>web<\/B>/);
  assert.match(statement(dot, 'demo.instance.web1'), /style="rounded,filled"/);
  const link = statement(dot, 'demo.router.r1', 'demo.network.web');
  assert.match(link, /dir=none/);
  assert.match(link, /10\.10\.1\.1\/24/);
  // The gateway is drawn from the external network down to the router.
  assert.match(statement(dot, 'demo.network.public', 'demo.router.r1'), /172\.24\.4\.10/);
  // Three checks from db1 to web1 are one dashed arrow with three lines, not pulling the layout.
  const arrow = statement(dot, 'demo.instance.db1', 'demo.instance.web1');
  assert.match(arrow, /style=dashed/);
  assert.match(arrow, /constraint=false/);
  assert.match(arrow, /tcp 80: expect pass.*tcp 22: expect block.*icmp: expect block/);
  assert.match(arrow, /color="#757575"/, 'not verified: grey');
  assert.match(dot, /the file \(plan only\)/);
});

test('DOT with the broken overlay: the router red and dashed, web orange with its dnsmasq, the check red', async () => {
  const { model, checks } = await demo();
  const dot = toDot(buildGraph(model, { checks, overlay: brokenDemoOverlay() }));
  const r1 = statement(dot, 'demo.router.r1');
  assert.match(r1, /style="filled,dashed"/);
  assert.match(r1, /color="#c62828"/);
  assert.match(r1, /fillcolor="#ffebee"/);
  assert.match(r1, /! missing/);
  const web = statement(dot, 'demo.network.web');
  assert.match(web, /color="#ef6c00"/);
  assert.match(web, /! dnsmasq not running \(pid 4321 is gone\)/);
  assert.match(statement(dot, 'demo.network.db'), /color="#2e7d32"/, 'observed and healthy: green');
  assert.match(
    statement(dot, 'demo.router.r1', 'demo.network.db'),
    /style=dashed.*class="tn-router-interface tn-missing"/,
  );
  const failed = statement(dot, 'demo.instance.web1', 'demo.instance.db1');
  assert.match(failed, /color="#c62828"/);
  assert.match(failed, /tcp 5432: FAIL \(expected pass\)/);
  assert.match(failed, /no answer within 1500 ms/);
  assert.match(
    statement(dot, 'demo.instance.web1', 'demo.instance.web2'),
    /color="#2e7d32"/,
    'check 0 passed',
  );
  assert.match(dot, /demo: as observed, 5 unhealthy, 1 of 3 checks failed/);
});

test('SVG of the demo is well-formed, draws every node once and keeps the words', async () => {
  const { model, checks } = await demo();
  const g = buildGraph(model, { checks, overlay: brokenDemoOverlay() });
  const svg = await toSvg(g);
  assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8" standalone="no"\?>/);
  const { nodes, edges } = svgItems(svg);
  assert.deepEqual([...nodes.keys()].sort(), g.nodes.map((n) => n.id).sort());
  const links = g.edges.filter((e) => e.kind !== 'check').length;
  assert.equal(edges.length, links + 7, 'every link, and the 12 checks as 7 arrows');
  const r1 = nodes.get('demo.router.r1')!;
  assert.match(r1.attrs.class!, /tn-router tn-missing/);
  assert.match(allText(r1), /qrouter-demo\.r1/);
  assert.match(allText(nodes.get('demo.network.web')!), /dnsmasq not running/);
  assert.match(allText(parseXml(svg)), /FAIL \(expected pass\)/);
});

test('JSON is the graph under a format name and version; it parses back to the same graph', async () => {
  const { model, checks } = await demo();
  const g = buildGraph(model, { checks, overlay: brokenDemoOverlay() });
  const json = toJson(g);
  assert.ok(json.endsWith('}\n'));
  assert.deepEqual(JSON.parse(json), { format: 'tenantnet-graph', version: 1, ...g });
});

test('Mermaid of the demo: a flowchart, one statement per line, shapes by kind, classes by health', async () => {
  const { model, checks } = await demo();
  const mmd = toMermaid(buildGraph(model, { checks, overlay: brokenDemoOverlay() }));
  const lines = mmd.trimEnd().split('\n');
  assert.equal(lines[1], 'flowchart TB');
  assert.ok(lines.some((l) => l.startsWith('  router_r1{{"<b>r1</b><br/>qrouter-demo.r1')));
  assert.ok(lines.some((l) => l.startsWith('  external_network_public[/"<b>public #40;external#41;</b>')));
  assert.ok(lines.some((l) => l.startsWith('  instance_web1("<b>web1</b>')));
  assert.ok(
    lines.some((l) => /^ {2}router_r1 ---\|qr-[a-z2-7]{11}<br\/>10\.10\.1\.1\/24\| network_web$/.test(l)),
  );
  assert.ok(
    lines.some((l) => /^ {2}instance_web1 -\.->\|tcp 5432: FAIL #40;expected pass#41;<br\/>- /.test(l)),
  );
  assert.ok(lines.includes('  class router_r1,instance_web1 missing'));
  assert.ok(lines.includes('  class network_web,instance_web2 drifted'));
  assert.equal(mmd, toMermaid(buildGraph(model, { checks, overlay: brokenDemoOverlay() })));
});

/** A graph whose every text is hostile (ids kept distinct by a plain prefix). */
function hostileGraph(s: readonly string[]): Graph {
  const problem = (p: string) => ({ healthy: false, state: 'drifted' as const, problems: [p] });
  return {
    topology: s[0]!,
    observed: true,
    nodes: [
      {
        id: `n1${s[1]}`,
        kind: 'network',
        name: s[2]!,
        label: [s[2]!, s[3]!],
        attrs: {},
        health: problem(s[4]!),
      },
      { id: `n2${s[5]}`, kind: 'instance', name: s[6]!, label: [s[6]!, s[7]!], attrs: {} },
      { id: `n3${s[8]}`, kind: 'router', name: s[8]!, label: [s[8]!], attrs: {}, health: problem(s[9]!) },
    ],
    edges: [
      {
        id: 'p',
        kind: 'instance-port',
        from: `n2${s[5]}`,
        to: `n1${s[1]}`,
        label: [s[10]!],
        attrs: {},
        health: { healthy: false, state: 'missing', problems: [s[11]!] },
      },
      {
        id: 'c',
        kind: 'check',
        from: `n2${s[5]}`,
        to: `n3${s[8]}`,
        label: [s[3]!],
        attrs: {},
        result: 'fail',
        detail: s[7]!,
      },
    ],
  };
}

// The syntax of each output: HTML-like labels, DOT statements, XML, Mermaid brackets and entities.
const markup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<',
        '>',
        '&',
        '<B>',
        '</FONT>',
        '&amp;',
        '&#0;',
        '>];',
        '"];\n"x" -> "y',
        ']]>',
        '<!--',
        '--',
      ),
      fc.constantFrom('|', '#', '#35;', '{{', '}}', '"]', '[["', '-->', 'end', '%%', ';', '\\N', '\\', '\\"'),
      fc.string({ maxLength: 4 }),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((parts) => parts.join(''));
// Hostile pieces, output syntax, and any UTF-16 at all (lone surrogates, U+FFFE, control characters).
const hostile = fc.array(fc.oneof(hostileString(), markup, fc.string({ unit: 'binary' })), {
  minLength: 12,
  maxLength: 12,
});

test('hostile names and problems: Graphviz draws exactly the nodes and edges given, as well-formed SVG', async () => {
  await fc.assert(
    fc.asyncProperty(hostile, async (s) => {
      const g = hostileGraph(s);
      const { nodes, edges } = svgItems(await toSvg(g));
      // Graphviz keeps a DOT `\\` in a name as two characters and writes runs of spaces with no-break
      // spaces (so that they survive XML); nothing else may change, and nothing may appear.
      const nbsp = (t: string) => t.replaceAll('\u00a0', ' ');
      const shown = (id: string) => nbsp(drawable(id).replaceAll('\\', '\\\\'));
      assert.deepEqual([...nodes.keys()].map(nbsp).sort(), g.nodes.map((n) => shown(n.id)).sort());
      assert.equal(edges.length, 2);
    }),
    { numRuns: 100 },
  );
});

test('entity references in names and tooltips reach the SVG as text, not as references (&#0;, &foo;)', async () => {
  // Graphviz copies `&#0;` in a node name into <title> as it is: not well-formed XML unless escaped.
  const g: Graph = {
    topology: 'g&foo;',
    observed: false,
    nodes: [
      { id: 'a&#0;', kind: 'instance', name: 'a', label: ['a &#1; &foo;'], attrs: {} },
      { id: 'b&amp;', kind: 'network', name: 'b', label: ['b'], attrs: {} },
    ],
    edges: [{ id: 'p', kind: 'instance-port', from: 'a&#0;', to: 'b&amp;', label: [], attrs: {} }],
  };
  const svg = await toSvg(g);
  const { nodes } = svgItems(svg);
  assert.deepEqual([...nodes.keys()].sort(), ['a&#0;', 'b&amp;']);
  assert.match(allText(nodes.get('a&#0;')!), /a &#1; &foo;/);
});

test('hostile names and problems: DOT has one statement per line; Mermaid text is entity-coded', () => {
  fc.assert(
    fc.property(hostile, (s) => {
      const g = hostileGraph(s);
      const dot = toDot(g).trimEnd().split('\n');
      assert.equal(dot.length, 3 + 1 + 3 + 2 + 1, 'header, 3 nodes, 2 edges, }');
      assert.ok(dot.slice(4, 9).every((l) => /^ {2}"/.test(l) && l.endsWith('];')));
      const mmd = toMermaid(g).trimEnd().split('\n');
      const body = mmd.filter((l) => !/^ {2}(classDef|class|linkStyle) /.test(l));
      assert.equal(body.length, 2 + 3 + 2, 'comment, flowchart, 3 nodes, 2 edges');
      const safe = /^(?:[A-Za-z0-9 .,:_/-]|#\d+;|<br\/>|<b>! |<\/?b>)*$/;
      for (const l of body.slice(2)) {
        const m =
          /^ {2}[A-Za-z0-9_]+(?:\[\/|\{\{|\[\[|\[|\(|>)"(.*)"(?:\/\]|\}\}|\]\]|\]|\))$/.exec(l) ??
          /^ {2}[A-Za-z0-9_]+ (?:---|-\.->)(?:\|(.*)\|)? [A-Za-z0-9_]+$/.exec(l);
        assert.ok(m, `not a node or edge statement: ${l}`);
        assert.match(m[1] ?? '', safe, l);
      }
      for (const t of s) assert.match(mermaidText(t), /^(?:[A-Za-z0-9 .,:_/-]|#\d+;)*$/);
    }),
    { numRuns: 200 },
  );
});

test('drawable text shows control and bidi characters as escapes, replaces lone surrogates, cuts long lines', () => {
  assert.equal(drawable('a\nb\u0000c\u202ed'), 'a\\nb\\u0000c\\u202ed');
  assert.equal(drawable('x\ud800y'), 'x\ufffdy');
  assert.equal(drawable('a\uffffb'), 'a\\uffffb');
  assert.equal(drawable('🙂'.repeat(10), 5), '🙂🙂...');
  assert.equal(drawable('short', 5), 'short');
});
