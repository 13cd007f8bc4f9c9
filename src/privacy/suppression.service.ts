import { HttpStatus, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ApiError } from '../common/errors/api-error';
import { SecretKey } from '../config/secret-key';

export type SuppressedKind = 'email' | 'phone' | 'external_id';

export interface Identifiers {
  email?: string | null;
  phone?: string | null;
  externalId?: string | null;
}

/**
 * Remembers erased people without keeping who they were: only a keyed hash of each identifier.
 * A keyed hash (HMAC) and not a plain one, so the table cannot be reversed by hashing a list of
 * known e-mail addresses.
 */
@Injectable()
export class SuppressionService {
  constructor(private readonly secret: SecretKey) {}

  hashesOf(ids: Identifiers): Array<{ kind: SuppressedKind; hash: string }> {
    const out: Array<{ kind: SuppressedKind; hash: string }> = [];
    if (ids.email) out.push({ kind: 'email', hash: this.hash('email', ids.email.trim().toLowerCase()) });
    if (ids.phone) out.push({ kind: 'phone', hash: this.hash('phone', ids.phone) });
    if (ids.externalId) out.push({ kind: 'external_id', hash: this.hash('external_id', ids.externalId) });
    return out;
  }

  hash(kind: SuppressedKind, value: string): string {
    return createHmac('sha256', this.secret.value).update(`${kind}:${value}`).digest('hex');
  }

  async suppress(tx: EntityManager, ids: Identifiers, reason: string): Promise<void> {
    for (const { kind, hash } of this.hashesOf(ids)) {
      await tx.query(
        `INSERT INTO suppressions (identifier_hash, kind, reason) VALUES ($1, $2, $3) ON CONFLICT (identifier_hash) DO NOTHING`,
        [hash, kind, reason],
      );
    }
  }

  /** Which of these identifiers belong to an erased person. */
  async suppressedKinds(tx: EntityManager, ids: Identifiers): Promise<SuppressedKind[]> {
    const hashes = this.hashesOf(ids);
    if (hashes.length === 0) return [];
    const rows: Array<{ kind: SuppressedKind }> = await tx.query(
      `SELECT kind FROM suppressions WHERE identifier_hash = ANY($1::text[])`,
      [hashes.map((h) => h.hash)],
    );
    return rows.map((r) => r.kind);
  }

  async assertNotSuppressed(tx: EntityManager, ids: Identifiers): Promise<void> {
    const kinds = await this.suppressedKinds(tx, ids);
    if (kinds.length > 0) {
      throw new ApiError(
        HttpStatus.CONFLICT,
        'CONTACT_SUPPRESSED',
        'This person asked to be erased; they cannot be added again.',
        kinds.map((kind) => ({ field: kind === 'external_id' ? 'externalId' : kind, problem: 'belongs to an erased contact' })),
      );
    }
  }
}
