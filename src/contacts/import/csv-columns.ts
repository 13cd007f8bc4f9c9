import { ErrorDetail } from '../../common/errors/api-error';

/** Where a CSV column's value goes in the API's contact shape. */
export type CsvColumn =
  | { kind: 'text'; field: string }
  | { kind: 'integer'; field: string }
  | { kind: 'boolean'; field: string }
  | { kind: 'tags' }
  | { kind: 'address'; part: string }
  | { kind: 'attribute'; name: string }
  | { kind: 'consent'; channel: string };

const TOP_LEVEL: Record<string, CsvColumn> = Object.fromEntries(
  [
    ...['externalId', 'givenName', 'familyName', 'formOfAddress', 'email', 'phone', 'locale', 'timeZone', 'birthday'].map(
      (field): [string, CsvColumn] => [field, { kind: 'text', field }],
    ),
    ['lunarBirthdayMonth', { kind: 'integer', field: 'lunarBirthdayMonth' }],
    ['lunarBirthdayDay', { kind: 'integer', field: 'lunarBirthdayDay' }],
    ['lunarBirthdayLeap', { kind: 'boolean', field: 'lunarBirthdayLeap' }],
    ['tags', { kind: 'tags' }],
  ].map(([name, column]) => [fold(name as string), column as CsvColumn]),
);
const ADDRESS_PARTS = new Map(['street', 'houseNumber', 'extra', 'postcode', 'city', 'district', 'state', 'country'].map((p) => [fold(p), p]));
const CONSENT_CHANNELS = new Map(['email', 'sms', 'mail'].map((c) => [c, c]));
// Names that would reach an object's prototype if they were ever used as a key.
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

/** `external_id`, `ExternalId` and `externalId` are the same column. */
function fold(name: string): string {
  return name.toLowerCase().replace(/[_\s-]/g, '');
}

/**
 * Reads the header row. Every column must be known, so a typo (`emial`) stops the import instead
 * of silently dropping a column from every row.
 */
export function resolveCsvHeader(cells: string[]): { columns: CsvColumn[]; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const seen = new Map<string, number>();
  const columns = cells.map((raw, index): CsvColumn => {
    const name = raw.trim();
    const column = resolveColumn(name);
    if (!column) problems.push({ field: name || `column ${index + 1}`, problem: name ? 'unknown column' : 'the column has no name' });
    const key = column ? JSON.stringify(column) : `?${index}`;
    if (seen.has(key)) problems.push({ field: name, problem: `the same column as column ${seen.get(key)! + 1}` });
    seen.set(key, index);
    return column ?? { kind: 'text', field: name };
  });
  return { columns, problems };
}

function resolveColumn(name: string): CsvColumn | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return TOP_LEVEL[fold(name)];
  const group = fold(name.slice(0, dot));
  const rest = name.slice(dot + 1);
  if (group === 'address') {
    const part = ADDRESS_PARTS.get(fold(rest));
    return part ? { kind: 'address', part } : undefined;
  }
  if (group === 'attributes') {
    // Attribute names are the customer's own vocabulary, so they keep their spelling.
    return rest.length > 0 && rest.length <= 64 && !RESERVED_NAMES.has(rest) ? { kind: 'attribute', name: rest } : undefined;
  }
  if (group === 'consent') {
    const channel = CONSENT_CHANNELS.get(fold(rest));
    return channel ? { kind: 'consent', channel } : undefined;
  }
  return undefined;
}

/**
 * One CSV row in the shape POST /contacts accepts. An empty cell means "not given": an import
 * never clears a field, so a sparse file cannot wipe what other sources recorded.
 */
export function csvRowToInput(columns: CsvColumn[], cells: string[]): { value?: Record<string, unknown>; problems: ErrorDetail[] } {
  if (cells.length !== columns.length) {
    // Cells cannot be trusted to sit under their headers, so nothing else is checked.
    return { problems: [{ field: 'row', problem: `the row has ${cells.length} fields; the header has ${columns.length}` }] };
  }
  const value: Record<string, unknown> = {};
  const problems: ErrorDetail[] = [];
  columns.forEach((column, i) => {
    const cell = cells[i].trim();
    if (cell === '') return;
    switch (column.kind) {
      case 'text':
        value[column.field] = cell;
        break;
      case 'integer':
        value[column.field] = /^-?\d{1,6}$/.test(cell) ? Number(cell) : cell;
        break;
      case 'boolean':
        value[column.field] = toBoolean(cell) ?? cell;
        break;
      case 'tags':
        value.tags = cell.split(/[|;]/).map((t) => t.trim()).filter((t) => t !== '');
        break;
      case 'address':
        ((value.address ??= {}) as Record<string, string>)[column.part] = cell;
        break;
      case 'attribute':
        ((value.attributes ??= {}) as Record<string, string>)[column.name] = cell;
        break;
      case 'consent': {
        const granted = toBoolean(cell);
        if (granted === undefined) problems.push({ field: `consent.${column.channel}`, problem: `consent.${column.channel} must be true or false` });
        else ((value.consent ??= {}) as Record<string, unknown>)[column.channel] = { granted };
        break;
      }
    }
  });
  return { value, problems };
}

function toBoolean(cell: string): boolean | undefined {
  const lower = cell.toLowerCase();
  return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
}
