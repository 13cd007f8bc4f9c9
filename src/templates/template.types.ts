import type { ChannelKind } from '../channels/channel.types';
import type { RenderContext } from '../memory/render-context/render-context.service';

/** What a sender asks TemplatesService.render for. */
export interface RenderRequest {
  key: string;
  channel: ChannelKind;
  /** Defaults to the context's locale, then English; falls back exact → language → en. */
  locale?: string;
  /** Defaults to "default" when the locale has it, else the first variant by name. */
  variant?: string;
  /** From RenderContextService (built in the same locale), or sample data. */
  context: RenderContext | Record<string, unknown>;
  /** Merged at the root: unsubscribeUrl, preferencesUrl, now, occasion, age, campaign, … */
  extra?: Record<string, unknown>;
}

export interface RenderedContent {
  templateKey: string;
  channel: ChannelKind;
  locale: string;
  variant: string;
  /** null for a file template. */
  version: number | null;
  source: 'file' | 'database';
  /** E-mail. */
  subject?: string;
  html?: string;
  /** The HTML's CSS is inlined already (the e-mail channel need not do it again). */
  cssInlined?: boolean;
  /** E-mail text part (the template's own, or made from the HTML); SMS body; letter text. */
  text?: string;
  /** The e-mail text part was made from the HTML: it says nothing the HTML does not (the content fingerprint leaves it out). */
  textFromHtml?: boolean;
}
