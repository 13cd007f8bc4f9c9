import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/errors/api-error';
import { Actor } from './actor';
import { ApiKey, Role } from './api-key.entity';

const KEY_PREFIX = 'tid_';

/**
 * How long this process trusts a key it has verified without asking the database again. Every API
 * request presents a key, so looking it up each time was one query in three of a contact read. A
 * revocation made through this process takes effect at once; one made elsewhere (the CLI, another
 * replica) within this long.
 */
export const VERIFIED_KEY_TTL_MS = 5_000;

/**
 * Keys are 32 random bytes, so a fast SHA-256 is enough to store them: unlike passwords they
 * cannot be guessed from a dictionary, and lookups stay one index probe per request.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

@Injectable()
export class ApiKeysService {
  /** Live keys verified lately, by hash; unknown and revoked keys are never kept. */
  private readonly verified = new Map<string, { key: ApiKey; until: number }>();
  /** Counts revocations, so a lookup that overlapped one does not cache what it read before it. */
  private revocations = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async create(name: string, role: Role, actor: Actor): Promise<{ key: string; apiKey: ApiKey }> {
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const apiKey = await this.db.transaction(async (tx) => {
      const saved = await tx.getRepository(ApiKey).save(
        tx.getRepository(ApiKey).create({ name, role, keyPrefix: key.slice(0, 10), keyHash: hashApiKey(key) }),
      );
      await this.audit.record(tx, actor, 'api_key.create', 'api_key', saved.id, { name, role });
      return saved;
    });
    delete (apiKey as Partial<ApiKey>).keyHash;
    return { key, apiKey };
  }

  list(): Promise<ApiKey[]> {
    return this.db.getRepository(ApiKey).find({ order: { createdAt: 'ASC' } });
  }

  async revoke(id: string, actor: Actor): Promise<ApiKey> {
    const revoked = await this.db.transaction(async (tx) => {
      const repo = tx.getRepository(ApiKey);
      const key = await repo.findOneBy({ id });
      if (!key) throw ApiError.notFound('API key', id);
      if (!key.revokedAt) {
        key.revokedAt = new Date();
        await repo.update({ id, revokedAt: IsNull() }, { revokedAt: key.revokedAt });
        await this.audit.record(tx, actor, 'api_key.revoke', 'api_key', id, {});
      }
      return key;
    });
    this.forget(id);
    return revoked;
  }

  /** The live key behind a presented secret, or null. */
  async authenticate(presented: string): Promise<ApiKey | null> {
    const hash = hashApiKey(presented);
    const now = Date.now();
    const cached = this.verified.get(hash);
    let key: ApiKey | null;
    if (cached && cached.until > now) {
      key = cached.key;
    } else {
      const revocationsBefore = this.revocations;
      key = await this.db.getRepository(ApiKey).findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
      if (key && revocationsBefore === this.revocations) this.verified.set(hash, { key, until: now + VERIFIED_KEY_TTL_MS });
      else this.verified.delete(hash);
    }
    if (key && (!key.lastUsedAt || now - key.lastUsedAt.getTime() > 60_000)) {
      // Coarse on purpose: one write a minute per key, not one per request.
      key.lastUsedAt = new Date(now);
      await this.db.getRepository(ApiKey).update({ id: key.id }, { lastUsedAt: key.lastUsedAt });
    }
    return key;
  }

  /** Called once the revocation is committed: from then on no lookup caches the key. */
  private forget(id: string): void {
    this.revocations++;
    for (const [hash, entry] of this.verified) if (entry.key.id === id) this.verified.delete(hash);
  }
}
