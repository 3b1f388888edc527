// A small, strict XML well-formedness parser for the graph tests (no new dependency): the prolog (XML
// declaration, comments, DOCTYPE), one root element, matched tags, unique attributes with quoted
// values, only the five predefined entities and character references to valid characters, and only
// characters XML allows. It throws on the first violation and returns the element tree.
import assert from 'node:assert/strict';

/** An element of the parsed document. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The element's own text (entities decoded), children's text not included. */
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9._:]*/;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function validChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Decodes entity and character references; throws on anything else after `&`. */
function decode(raw: string, at: string): string {
  return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`${at}: bare & in ${JSON.stringify(raw.slice(0, 80))}`);
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const m = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!m) throw new Error(`${at}: unknown entity ${whole}`);
    const cp = m[1] ? Number.parseInt(m[1], 16) : Number.parseInt(m[2]!, 10);
    if (!validChar(cp)) throw new Error(`${at}: character reference ${whole} is not an XML character`);
    return String.fromCodePoint(cp);
  });
}

/**
 * Parses an XML document strictly.
 *
 * @returns the root element
 * @throws Error naming the offset of the first violation
 */
export function parseXml(doc: string): XmlElement {
  for (const ch of doc) {
    const cp = ch.codePointAt(0)!;
    if (!validChar(cp) || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new Error(`character U+${cp.toString(16)} is not allowed in XML`);
    }
  }
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const fail = (what: string): never => {
    throw new Error(`offset ${i}: ${what} near ${JSON.stringify(doc.slice(i, i + 60))}`);
  };
  while (i < doc.length) {
    if (doc.startsWith('<?', i)) {
      const end = doc.indexOf('?>', i);
      if (end < 0 || stack.length > 0) fail('processing instruction');
      i = end + 2;
    } else if (doc.startsWith('<!--', i)) {
      const end = doc.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      if (doc.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
      i = end + 3;
    } else if (doc.startsWith('<!DOCTYPE', i)) {
      if (root || stack.length > 0) fail('DOCTYPE after the root');
      // Quoted system and public ids may hold '>': skip them.
      let j = i + 9;
      while (j < doc.length && doc[j] !== '>' && doc[j] !== '[') {
        if (doc[j] === '"' || doc[j] === "'") j = doc.indexOf(doc[j]!, j + 1);
        if (j < 0) fail('unterminated DOCTYPE');
        j++;
      }
      if (doc[j] !== '>') fail('internal DTD subsets are not expected');
      i = j + 1;
    } else if (doc.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail('CDATA outside the root');
      const end = doc.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA');
      stack[stack.length - 1]!.text += doc.slice(i + 9, end);
      i = end + 3;
    } else if (doc.startsWith('</', i)) {
      const m = NAME.exec(doc.slice(i + 2));
      if (!m) fail('bad end tag');
      const name = m![0];
      i += 2 + name.length;
      while (/\s/.test(doc[i] ?? '')) i++;
      if (doc[i] !== '>') fail('bad end tag');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> closes <${open?.name}>`);
    } else if (doc[i] === '<') {
      const m = NAME.exec(doc.slice(i + 1));
      if (!m) fail('bad start tag');
      if (root && stack.length === 0) fail('a second root element');
      const el: XmlElement = { name: m![0], attrs: {}, children: [], text: '' };
      const attrs: Record<string, string> = {};
      i += 1 + el.name.length;
      for (;;) {
        const space = /^\s*/.exec(doc.slice(i))![0].length;
        i += space;
        if (doc.startsWith('/>', i) || doc[i] === '>') break;
        if (space === 0) fail('attributes must be separated by space');
        const a = NAME.exec(doc.slice(i));
        if (!a) fail('bad attribute name');
        const an = a![0];
        i += an.length;
        const eq = /^\s*=\s*/.exec(doc.slice(i));
        if (!eq) fail(`attribute ${an} has no value`);
        i += eq![0].length;
        const q = doc[i];
        if (q !== '"' && q !== "'") fail(`attribute ${an} is not quoted`);
        const end = doc.indexOf(q!, i + 1);
        if (end < 0) fail('unterminated attribute value');
        const raw = doc.slice(i + 1, end);
        if (raw.includes('<')) fail(`< in attribute ${an}`);
        if (Object.hasOwn(attrs, an)) fail(`attribute ${an} twice`);
        Object.defineProperty(attrs, an, { value: decode(raw, `attribute ${an}`), enumerable: true });
        i = end + 1;
      }
      Object.assign(el, { attrs });
      if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
      else root = el;
      if (doc.startsWith('/>', i)) i += 2;
      else {
        i += 1;
        stack.push(el);
      }
    } else {
      const next = doc.indexOf('<', i);
      const raw = doc.slice(i, next < 0 ? doc.length : next);
      if (raw.includes(']]>')) fail(']]> in text');
      if (stack.length === 0) {
        if (raw.trim() !== '') fail('text outside the root element');
      } else stack[stack.length - 1]!.text += decode(raw, 'text');
      i += raw.length;
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element of a tree, depth first. */
export function elements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(elements)];
}

/** The text of an element and every descendant, in document order. */
export function allText(el: XmlElement): string {
  return el.text + el.children.map(allText).join('');
}

/** The SVG groups Graphviz draws for nodes (`class="node ..."`) and edges, with their `<title>`. */
export function svgItems(svg: string): { nodes: Map<string, XmlElement>; edges: XmlElement[] } {
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  const nodes = new Map<string, XmlElement>();
  const edges: XmlElement[] = [];
  for (const el of elements(root)) {
    if (el.name !== 'g') continue;
    const cls = (el.attrs.class ?? '').split(' ');
    const title = el.children.find((c) => c.name === 'title')?.text;
    if (cls[0] === 'node' && title !== undefined) nodes.set(title, el);
    if (cls[0] === 'edge') edges.push(el);
  }
  return { nodes, edges };
}
