import juice from 'juice';

/**
 * Mail clients drop <style> blocks (Gmail in many views): the rules must sit on the elements.
 * juice parses the document and matches every selector, a few milliseconds per message — more than
 * everything else a send costs — so the renderer inlines a template once and checks the result.
 */
export function inlineCss(html: string): string {
  return juice(html, { removeStyleTags: true, preserveMediaQueries: true, preserveImportant: true });
}

/** Where a layout puts the message's HTML part. */
const CONTENT_SLOT = '{{content}}';

/**
 * The layout with the HTML part written into its content slot, CSS inlined, still a Handlebars
 * source (juice leaves `{{…}}` blocks alone). Null when the layout has no single plain slot.
 */
export function inlinedLayoutSource(layout: string, htmlPart: string): string | null {
  const at = layout.indexOf(CONTENT_SLOT);
  if (at < 0 || layout.indexOf(CONTENT_SLOT, at + 1) >= 0) return null;
  return inlineCss(layout.slice(0, at) + htmlPart + layout.slice(at + CONTENT_SLOT.length));
}
