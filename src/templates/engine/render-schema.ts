/**
 * What a template may refer to: the RenderContext of the memory layer
 * (src/memory/render-context/render-context.service.ts) plus the documented extras a sender merges
 * at the root. The strict check walks a template against this tree, so a typo such as
 * `contact.nmae` is refused when the template is saved instead of rendering as an empty space in
 * ten thousand letters. Keep it in step with RenderContext when that grows.
 */
export type SchemaNode =
  /** One value (text, number, date, boolean or null): nothing below it. */
  | { kind: 'value' }
  /** Known fields only. */
  | { kind: 'object'; fields: Readonly<Record<string, SchemaNode>> }
  /** Any key (a preference key, a custom attribute), each value of the given shape. */
  | { kind: 'map'; values: SchemaNode }
  | { kind: 'list'; items: SchemaNode }
  /** Anything below: data whose shape belongs to someone else (attribute values, list preferences). */
  | { kind: 'open' };

const value: SchemaNode = { kind: 'value' };
const open: SchemaNode = { kind: 'open' };
const object = (fields: Record<string, SchemaNode>): SchemaNode => ({ kind: 'object', fields });

const address = object({
  street: value, houseNumber: value, extra: value, postcode: value, city: value, district: value, state: value, country: value,
});

const contact = object({
  id: value,
  givenName: value,
  familyName: value,
  formOfAddress: value,
  locale: value,
  timeZone: value,
  birthday: value,
  lunarBirthday: object({ month: value, day: value, leap: value }),
  address,
  attributes: { kind: 'map', values: open },
});

const customerValue = object({
  abcClass: value, loyaltyStage: value, frequencyClass: value, rfmScore: value, recencyDays: value, frequency12m: value,
  monetary12m: value, monetaryTotal: value, lifetimeValue: value, firstPurchaseAt: value, lastPurchaseAt: value, lastVisitAt: value,
});

/** The RenderContext itself. */
export const CONTEXT_FIELDS: Readonly<Record<string, SchemaNode>> = {
  contact,
  locale: value,
  prefs: { kind: 'map', values: open },
  prefLabels: { kind: 'map', values: value },
  value: customerValue,
  openTopic: object({ id: value, summary: value }),
};

/**
 * Extras a sender may merge at the root (RenderRequest.extra). `occasion` and `campaign` belong to
 * the campaign engine, which describes them; they are open so it can grow without a migration here.
 */
export const EXTRA_FIELDS: Readonly<Record<string, SchemaNode>> = {
  unsubscribeUrl: value,
  preferencesUrl: value,
  /** The reference instant: "today" for dates and ages. Defaults to the moment of rendering. */
  now: value,
  occasion: open,
  /** The age the contact turns on the birthday nearest to `now`; filled from contact.birthday when absent. */
  age: value,
  campaign: open,
};

/** Layouts see the message too: its rendered body and subject. */
export const LAYOUT_FIELDS: Readonly<Record<string, SchemaNode>> = {
  content: value,
  subject: value,
};

/**
 * The root a template is checked against. File templates may declare further root names their
 * calling code supplies (`{{!-- extras: wakeUp, ask --}}`); each is open below its name.
 */
export function rootSchema(options: { layout?: boolean; declaredExtras?: readonly string[] } = {}): SchemaNode {
  const fields: Record<string, SchemaNode> = { ...CONTEXT_FIELDS, ...EXTRA_FIELDS };
  if (options.layout) Object.assign(fields, LAYOUT_FIELDS);
  for (const name of options.declaredExtras ?? []) fields[name] = open;
  return object(fields);
}

/** The names a sender may pass in RenderRequest.extra for any template. */
export const EXTRA_NAMES: readonly string[] = Object.keys(EXTRA_FIELDS);
