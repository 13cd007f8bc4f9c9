import { randomBytes } from 'node:crypto';

/** The ways a generated row can be wrong, each with the field the import must name. */
export const BAD_ROW_KINDS = ['email', 'phone', 'timeZone', 'duplicate', 'missingIdentifier', 'consent', 'fieldCount'] as const;
export type BadRowKind = (typeof BAD_ROW_KINDS)[number];

export interface ExpectedRowError {
  line: number;
  field: string;
  problem: RegExp;
}

const HEADER = [
  'externalId', 'given_name', 'familyName', 'email', 'phone', 'locale', 'time_zone', 'birthday', 'tags',
  'address.city', 'address.country', 'attributes.tier', 'consent.email',
];

/**
 * A contact CSV of any size, produced line by line so a benchmark can write millions of rows
 * without holding them. Row i sits on line i + 2; every `badEvery`-th row is wrong in the next
 * way from `kinds`. Identifiers carry a random prefix, so files from different runs never collide.
 */
export class ContactImportFile {
  readonly prefix = `imp${randomBytes(4).toString('hex')}`;
  /** Start of this file's block of mobile numbers (+86 139 …), random so parallel runs do not meet. */
  private readonly phoneBase = Math.floor(Math.random() * 9e7);
  readonly expectedErrors: ExpectedRowError[] = [];

  constructor(
    readonly rows: number,
    private readonly options: { badEvery: number; kinds?: readonly BadRowKind[] } = { badEvery: 100 },
  ) {
    if (options.badEvery < 2) throw new Error('badEvery must leave a good row before each bad one');
    for (let i = 0; i < rows; i++) {
      const kind = this.badKind(i);
      if (kind) this.expectedErrors.push(this.expectedError(i, kind));
    }
  }

  get badCount(): number {
    return this.expectedErrors.length;
  }

  get goodCount(): number {
    return this.rows - this.badCount;
  }

  externalId(i: number): string {
    return `${this.prefix}-${i}`;
  }

  email(i: number): string {
    return `${this.prefix}.${i}@example.com`;
  }

  /** Stored form; the file writes it with spaces, as people do. */
  phone(i: number): string {
    return `+86139${String(this.phoneBase + i).padStart(8, '0')}`;
  }

  isGood(i: number): boolean {
    return this.badKind(i) === undefined;
  }

  /** Rows that give consent.email=true: every third good row. */
  grantsEmailConsent(i: number): boolean {
    return this.isGood(i) && i % 3 === 0;
  }

  *lines(): Generator<string> {
    yield HEADER.join(',') + '\n';
    for (let i = 0; i < this.rows; i++) yield this.row(i) + '\n';
  }

  toString(): string {
    return [...this.lines()].join('');
  }

  private badKind(i: number): BadRowKind | undefined {
    if ((i + 1) % this.options.badEvery !== 0) return undefined;
    const kinds = this.options.kinds ?? BAD_ROW_KINDS;
    return kinds[Math.floor(i / this.options.badEvery) % kinds.length];
  }

  private row(i: number): string {
    const kind = this.badKind(i);
    const phone = this.phone(i);
    const cells: Record<string, string> = {
      externalId: kind === 'duplicate' ? this.externalId(i - 1) : this.externalId(i),
      given_name: 'Wei',
      familyName: `Li${i}`,
      email: kind === 'email' ? `not-an-email-${i}` : this.email(i),
      phone: kind === 'phone' ? `12345${i}` : `${phone.slice(0, 3)} ${phone.slice(3, 6)} ${phone.slice(6, 10)} ${phone.slice(10)}`,
      locale: 'zh-CN',
      time_zone: kind === 'timeZone' ? 'Mars/Olympus_Mons' : 'Asia/Shanghai',
      birthday: '1980-05-17',
      tags: 'owner|vip',
      'address.city': 'Shanghai',
      'address.country': 'CN',
      'attributes.tier': i % 2 ? 'gold' : 'silver',
      'consent.email': kind === 'consent' ? 'maybe' : i % 3 === 0 ? 'true' : '',
    };
    if (kind === 'missingIdentifier') cells.externalId = cells.email = cells.phone = '';
    const line = HEADER.map((h) => cells[h]);
    return (kind === 'fieldCount' ? line.slice(0, -2) : line).join(',');
  }

  private expectedError(i: number, kind: BadRowKind): ExpectedRowError {
    const line = i + 2;
    switch (kind) {
      case 'email':
        return { line, field: 'email', problem: /valid e-mail/ };
      case 'phone':
        return { line, field: 'phone', problem: /not a valid phone number/ };
      case 'timeZone':
        return { line, field: 'timeZone', problem: /IANA time zone/ };
      case 'duplicate':
        return { line, field: 'externalId', problem: new RegExp(`^duplicate of line ${line - 1}$`) };
      case 'missingIdentifier':
        return { line, field: 'externalId', problem: /at least one of externalId, email or phone/ };
      case 'consent':
        return { line, field: 'consent.email', problem: /true or false/ };
      case 'fieldCount':
        return { line, field: 'row', problem: /the row has 11 fields; the header has 13/ };
    }
  }
}
