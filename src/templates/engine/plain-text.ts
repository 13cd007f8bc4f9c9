import { compile } from 'html-to-text';

/** Where the text part's lines wrap (the RFC 5322 advice for line length). */
const LINE_WIDTH = 78;
const CONVERSION = {
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
  ],
};

/**
 * The plain-text alternative of an e-mail's HTML: readable on its own, with every link's URL written
 * out. Compiled once: html-to-text's convert() rebuilds its options on every call, several times the
 * cost of the conversion itself.
 */
export const htmlToPlainText: (html: string) => string = compile({ ...CONVERSION, wordwrap: LINE_WIDTH });
/** The same conversion with one line per paragraph, for a text template whose lines are wrapped after rendering. */
const htmlToUnwrappedText: (html: string) => string = compile({ ...CONVERSION, wordwrap: false });
/** Private-use characters: they cannot occur in a template and html-to-text keeps them as text. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MUSTACHE = /\{\{[\s\S]*?\}\}/g;
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
/** A line holding nothing but mustaches, with the line breaks before it (or after it, on the first line). */
const STANDALONE_TAGS = /\n+((?:\uE000\d+\uE001)+)(?=\n|$)|^((?:\uE000\d+\uE001)+)\n+/g;
/** Output the conversion treats differently from text: raw HTML values, partials, preformatted text. */
const NOT_DERIVABLE = /\{\{\{|\{\{~?\s*[&>]|\{\{~?\s*#\s*>|<pre\b|<textarea\b|\uE000|\uE001/i;
/** Mustaches that open, continue or close a block: dropping one would change what the template means. */
const BLOCK_TAG = /^\{\{~?\s*[#/^]|^\{\{~?\s*else\b/;

/**
 * A plain-text Handlebars source whose output, put through wrapLines, is what htmlToPlainText gives
 * for the HTML source rendered with the same context: the HTML template converted once, without line
 * wrapping (a value's length moves every later break of its paragraph), with each `{{…}}` kept as an
 * opaque word. Null when the template's shape rules that out: raw HTML values, partials, preformatted
 * text, a block tag the conversion dropped or moved, or a layout (a table, a quote) whose wrapping
 * wrapLines does not reproduce.
 *
 * It is not exact for every context — a false condition can leave a space or a blank line the
 * conversion would not, a value in a heading is not upper-cased — so the renderer checks it against
 * the conversion of real messages and falls back to converting each message when they differ.
 */
export function derivedTextSource(htmlSource: string): string | null {
  if (NOT_DERIVABLE.test(htmlSource)) return null;
  const mustaches: string[] = [];
  const protectedSource = htmlSource.replace(MUSTACHE, (mustache) => `${OPEN}${mustaches.push(mustache) - 1}${CLOSE}`);
  const unwrapped = htmlToUnwrappedText(protectedSource);
  // wrapLines must break the template's own lines exactly where the conversion does.
  if (wrapLines(unwrapped) !== htmlToPlainText(protectedSource)) return null;
  const isBlockTag = (placeholder: string) => BLOCK_TAG.test(mustaches[Number(placeholder.slice(1, -1))]);
  // A block tag between paragraphs stands on a line of its own. Joined to the end of the paragraph
  // before it, each branch keeps the breaks in front of its own first paragraph, and what follows
  // the block keeps its own: no blank line is left behind, or lost, whichever branch renders.
  const joined = unwrapped.replace(STANDALONE_TAGS, (line: string, between?: string, first?: string) => {
    const tags = between ?? first!;
    return (tags.match(PLACEHOLDER) ?? []).every(isBlockTag) ? tags : line;
  });
  let last = -1;
  let inOrder = true;
  const text = joined.replace(PLACEHOLDER, (_match, index: string) => {
    const at = Number(index);
    if (at <= last) inOrder = false;
    last = at;
    return mustaches[at];
  });
  if (!inOrder) return null;
  // Values the conversion dropped (in <head>, in an attribute other than a link's) show in no text
  // either; a dropped block tag would leave its partner unbalanced or its content unguarded.
  const kept = new Set([...unwrapped.matchAll(PLACEHOLDER)].map((m) => Number(m[1])));
  if (mustaches.some((mustache, i) => !kept.has(i) && BLOCK_TAG.test(mustache))) return null;
  return text;
}

/** A bulleted list item as the conversion writes it: the item's text wraps at the width less its prefix, under it. */
const LIST_ITEM = /^ \* /;

/**
 * Lays the rendered text out the way html-to-text does: spaces collapse and leave the ends of a
 * line (an empty value leaves two side by side), words go on a line while they fit, a word longer
 * than the width stands on a line of its own, and a list item's continuation lines are indented
 * under its text.
 */
export function wrapLines(text: string): string {
  const lines = text.split('\n');
  if (!lines.some((line) => line.length > LINE_WIDTH || LOOSE_SPACE.test(line))) return text;
  return lines
    .map((line) => {
      if (line.length <= LINE_WIDTH && !LOOSE_SPACE.test(line)) return line;
      const prefix = LIST_ITEM.test(line) ? ' * ' : '';
      const words = line.slice(prefix.length).split(/[ \t]+/).filter((word) => word !== '');
      return wrapWords(words, LINE_WIDTH - prefix.length)
        .map((wrapped, i) => (i === 0 ? prefix : ' '.repeat(prefix.length)) + wrapped)
        .join('\n');
    })
    .join('\n');
}

/** Spacing html-to-text never leaves: at either end of a line (but a list item's prefix), two in a row, a tab. */
const LOOSE_SPACE = /^(?! \* \S)[ \t]|[ \t]$|[ \t][ \t]|\t/;

function wrapWords(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (current === '') current = word;
    else if (current.length + 1 + word.length <= width) current += ` ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  lines.push(current);
  return lines;
}
