// Escaping for the picture's text: names and problems are user and kernel text, and each output has its
// own syntax (DOT quoted strings, Graphviz HTML-like labels, Mermaid entity codes). Text is first made
// drawable (control and bidi characters shown as escapes, lone surrogates replaced, long lines cut),
// then escaped for its output. No Neutron counterpart: Horizon leaves this to the browser's DOM.

// Control characters (C0, DEL, C1), line and paragraph separators, the bidi overrides and isolates
// that would reorder what a reader sees, and the two characters XML forbids outside those (U+FFFE/F).
const HIDDEN = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text fit to draw: control, line-separator, bidi and non-XML characters shown as escapes (`\n`, `\u0000`),
 * lone surrogates as U+FFFD, and more than `max` characters (code points) cut to `max - 3` plus
 * `...`. Still needs escaping for its output. Pure.
 */
export function drawable(text: string, max = Number.POSITIVE_INFINITY): string {
  const shown = String(text)
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(HIDDEN, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const points = Array.from(shown);
  return points.length <= max ? shown : `${points.slice(0, Math.max(0, max - 3)).join('')}...`;
}

/** Drawable text escaped for a Graphviz HTML-like label (`&`, `<`, `>`, `"`, `'`). Pure. */
export function htmlText(text: string, max?: number): string {
  return drawable(text, max)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * A DOT quoted string (`"..."`) of drawable text: `\` and `"` escaped, so neither a quote nor a
 * Graphviz escape (`\N`, `\G`, `\l`) can come from the text; and `&` as `&amp;`, because Graphviz
 * copies what looks like an entity reference in a name or tooltip into the SVG as it is (`&#0;`,
 * `&foo;`: not well-formed XML). Pure.
 */
export function dotQuoted(text: string, max?: number): string {
  const escaped = drawable(text, max)
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('&', '&amp;');
  return `"${escaped}"`;
}

/**
 * Drawable text as Mermaid label text: every character other than `A-Z a-z 0-9`, space and `. , : _ - /`
 * as a Mermaid entity code (`#35;`), so no bracket, quote, pipe or `<` can end or open anything. Pure.
 */
export function mermaidText(text: string, max?: number): string {
  return Array.from(drawable(text, max), (c) =>
    /^[A-Za-z0-9 .,:_/-]$/.test(c) ? c : `#${c.codePointAt(0)};`,
  ).join('');
}
