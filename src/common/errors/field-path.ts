/** `preferences` + `1` → `preferences[1]`; `address` + `city` → `address.city`. One spelling for every error. */
export function fieldPath(parent: string, key: string): string {
  if (/^\d+$/.test(key)) return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}
