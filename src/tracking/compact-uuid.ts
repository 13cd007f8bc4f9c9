const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPACT = /^[A-Za-z0-9_-]{22}$/;

/** A UUID in 22 URL-safe characters instead of 36: it rides in every tracked link of every message. */
export function compactUuid(uuid: string): string {
  if (!UUID.test(uuid)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}

/** The UUID back, or null when the text is not one compactUuid wrote. */
export function expandUuid(compact: string): string | null {
  if (!COMPACT.test(compact)) return null;
  const bytes = Buffer.from(compact, 'base64url');
  // base64url decoding ignores stray low bits; re-encoding catches a compact form that is not canonical.
  if (bytes.length !== 16 || bytes.toString('base64url') !== compact) return null;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
