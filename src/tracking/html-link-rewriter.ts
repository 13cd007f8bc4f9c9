import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

/**
 * Decides what a link becomes: the new href, or null to leave it alone. `url` is the href as a
 * browser would read it (entities decoded, surrounding whitespace removed).
 */
export type LinkReplacer = (url: string) => string | null;

/** Elements whose href a click follows. Images, stylesheets and forms are not links to track. */
const LINK_ELEMENTS = new Set(['a', 'area']);
const ABSOLUTE_HTTP = /^https?:\/\//i;
/** What a browser strips from both ends of an href (the HTML spec's ASCII whitespace). */
const HTML_WHITESPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/**
 * The absolute http(s) URL an href points to, or null for anything else (mailto:, tel:, #anchors,
 * relative paths, javascript:, values with control characters or inner whitespace, which no
 * redirect should ever be asked to reproduce).
 */
export function trackableUrl(href: string): string | null {
  const url = href.replace(HTML_WHITESPACE, '');
  if (!ABSOLUTE_HTTP.test(url) || CONTROL_OR_SPACE.test(url)) return null;
  if (!URL.canParse(url)) return null;
  return url;
}

/** htmlparser2's QuoteType: Single = 2 and Double = 3 end on a quote the edit must include. */
const QUOTED_FROM = 2;

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Rewrites the href of each `<a>` and `<area>` in an e-mail's HTML, and adds `appendix` (the open
 * pixel) just before `</body>` or at the end. htmlparser2's tokenizer finds the attributes (the
 * tokenizer alone: the tree-building parser costs half as much again and adds nothing here), so a
 * link-like string in text, a comment, a `<style>` or another attribute is never touched, and only
 * the characters of the href attribute change: the rest of the message stays as rendered.
 */
export function rewriteLinks(html: string, replace: LinkReplacer, appendix: string | null = null): string {
  const edits: Edit[] = [];
  let inLink = false;
  let inHref = false;
  let hrefStart = 0;
  let href = '';
  let bodyClose = -1;
  const noop = () => undefined;
  const callbacks: TokenizerCallbacks = {
    onopentagname(start, end) {
      inLink = LINK_ELEMENTS.has(html.slice(start, end).toLowerCase());
    },
    onattribname(start, end) {
      inHref = inLink && html.slice(start, end).toLowerCase() === 'href';
      hrefStart = start;
      href = '';
    },
    onattribdata(start, end) {
      if (inHref) href += html.slice(start, end);
    },
    onattribentity(codepoint) {
      if (inHref) href += String.fromCodePoint(codepoint);
    },
    onattribend(quote, end) {
      if (!inHref) return;
      inHref = false;
      const url = trackableUrl(href);
      const replacement = url === null ? null : replace(url);
      // `end` is the closing quote of a quoted value, or just past an unquoted one.
      if (replacement !== null) edits.push({ start: hrefStart, end: end + (quote >= QUOTED_FROM ? 1 : 0), text: `href="${escapeAttribute(replacement)}"` });
    },
    onopentagend() {
      inLink = false;
    },
    onselfclosingtag() {
      inLink = false;
    },
    onclosetag(start, end) {
      // `start` is the name's first character, just after "</".
      if (html.slice(start, end).toLowerCase() === 'body') bodyClose = start - 2;
    },
    oncdata: noop,
    oncomment: noop,
    ondeclaration: noop,
    onend: noop,
    onprocessinginstruction: noop,
    ontext: noop,
    ontextentity: noop,
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
  tokenizer.write(html);
  tokenizer.end();

  if (appendix !== null) {
    const at = bodyClose >= 0 ? bodyClose : html.length;
    edits.push({ start: at, end: at, text: appendix });
  }
  if (edits.length === 0) return html;
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const edit of edits) {
    out += html.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + html.slice(at);
}

/**
 * Whether the HTML may hold an http(s) link other than ours: false lets the sender skip parsing a
 * message whose only URLs are its own unsubscribe and preference links. An href written with
 * character references ("h&#116;tps:") is missed by this check and goes untracked, never broken.
 */
export function mentionsOtherUrls(html: string, ownPrefix: string): boolean {
  const scheme = /https?:\/\//gi;
  for (let match = scheme.exec(html); match !== null; match = scheme.exec(html)) {
    if (!html.startsWith(ownPrefix, match.index)) return true;
  }
  return false;
}

/** `snippet` just before the last `</body>`, or at the end when there is none. */
export function insertBeforeBodyEnd(html: string, snippet: string): string {
  const at = Math.max(html.lastIndexOf('</body>'), html.lastIndexOf('</BODY>'), html.lastIndexOf('</Body>'));
  return at < 0 ? html + snippet : html.slice(0, at) + snippet + html.slice(at);
}

export function escapeAttribute(value: string): string {
  // Our own tracked URLs never need it: skip four replacements on the common path.
  if (!/[&"<>]/.test(value)) return value;
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
