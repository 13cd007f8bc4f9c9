import { ApiError } from '../../common/errors/api-error';

/** `?flag=true|false` as a boolean; anything else stays as given so the validator names it. */
export function queryBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

/** A repeated or comma-separated query parameter as a list. */
export function queryList({ value }: { value: unknown }): unknown {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : [v]));
}

/** Opaque page cursors: the sort values of the last row, so pages stay stable as rows are added. */
export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(value: string, length: number): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length === length && parts.every((p) => typeof p === 'string')) return parts as string[];
  } catch {
    // fall through to the error below
  }
  throw ApiError.validation([{ field: 'cursor', problem: 'cursor is not one this API produced' }]);
}
