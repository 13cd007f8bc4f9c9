import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/errors/api-error';
import { Actor } from './actor';
import { ApiKey, ApiKeyView, Role, SCOPABLE_ROLES } from './api-key.entity';

const KEY_PREFIX = 'tid_';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How long this process trusts a key it has verified without asking the database again. Every API
 * request presents a key, so looking it up each time was one query in three of a contact read. A
 * revocation made through this process takes effect at once; one made elsewhere (the CLI, another
 * replica) within this long. A key's campaign scope is fixed when it is created, so caching it with
 * the key can never widen what the key reads.
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
  /** Live keys verified lately, by hash, with the actor they act as; unknown and revoked keys are never kept. */
  private readonly verified = new Map<string, { key: ApiKey; actor: Actor; until: number }>();
  /** Counts revocations, so a lookup that overlapped one does not cache what it read before it. */
  private revocations = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * `campaignIds` limits the key to those campaigns' records (null or absent: every campaign).
   * Only viewer and marketer keys can be limited; every id must name an existing campaign.
   */
  async create(name: string, role: Role, actor: Actor, campaignIds: readonly string[] | null = null): Promise<{ key: string; apiKey: ApiKeyView }> {
    const scope = campaignIds === null ? null : [...new Set(campaignIds.map((id) => id.toLowerCase()))];
    if (scope !== null) checkScopeShape(role, campaignIds ?? []);
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const apiKey = await this.db.transaction(async (tx) => {
      if (scope !== null) await checkCampaignsExist(tx, campaignIds ?? []);
      const saved = await tx.getRepository(ApiKey).save(
        tx.getRepository(ApiKey).create({ name, role, keyPrefix: key.slice(0, 10), keyHash: hashApiKey(key), campaignScoped: scope !== null }),
      );
      if (scope !== null) {
        await tx.query(`INSERT INTO api_key_campaigns (api_key_id, campaign_id) SELECT $1, unnest($2::uuid[])`, [saved.id, scope]);
      }
      await this.audit.record(tx, actor, 'api_key.create', 'api_key', saved.id, { name, role, ...(scope !== null && { campaignIds: scope }) });
      return saved;
    });
    delete (apiKey as Partial<ApiKey>).keyHash;
    return { key, apiKey: { ...apiKey, campaignIds: scope === null ? null : [...scope].sort() } };
  }

  async list(): Promise<ApiKeyView[]> {
    const keys = await this.db.getRepository(ApiKey).find({ order: { createdAt: 'ASC' } });
    const scopes = await this.scopesOf(keys.filter((k) => k.campaignScoped).map((k) => k.id));
    return keys.map((k) => ({ ...k, campaignIds: k.campaignScoped ? (scopes.get(k.id) ?? []) : null }));
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

  /** The actor behind a presented secret (its role and campaign scope), or null when the key is unknown or revoked. */
  async authenticate(presented: string): Promise<Actor | null> {
    const hash = hashApiKey(presented);
    const now = Date.now();
    const cached = this.verified.get(hash);
    let found: { key: ApiKey; actor: Actor } | null;
    if (cached && cached.until > now) {
      found = cached;
    } else {
      const revocationsBefore = this.revocations;
      const key = await this.db.getRepository(ApiKey).findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
      found = key ? { key, actor: await this.actorOf(key) } : null;
      if (found && revocationsBefore === this.revocations) this.verified.set(hash, { ...found, until: now + VERIFIED_KEY_TTL_MS });
      else this.verified.delete(hash);
    }
    if (!found) return null;
    const { key } = found;
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > 60_000) {
      // Coarse on purpose: one write a minute per key, not one per request.
      key.lastUsedAt = new Date(now);
      await this.db.getRepository(ApiKey).update({ id: key.id }, { lastUsedAt: key.lastUsedAt });
    }
    return found.actor;
  }

  /**
   * The actor of an active key by its id (null when revoked or unknown). Always read from the
   * database, so a session built on a key ends as soon as the key is revoked, wherever that happened.
   */
  async actorForKey(keyId: string): Promise<Actor | null> {
    if (!UUID.test(keyId)) return null;
    const key = await this.db.getRepository(ApiKey).findOne({ where: { id: keyId, revokedAt: IsNull() } });
    return key ? this.actorOf(key) : null;
  }

  private async actorOf(key: ApiKey): Promise<Actor> {
    const scope = key.campaignScoped ? ((await this.scopesOf([key.id])).get(key.id) ?? []) : null;
    return { keyId: key.id, label: `api-key:${key.name}`, role: key.role, campaignScope: scope === null ? null : Object.freeze(scope) };
  }

  private async scopesOf(keyIds: string[]): Promise<Map<string, string[]>> {
    const scopes = new Map<string, string[]>(keyIds.map((id) => [id, []]));
    if (keyIds.length === 0) return scopes;
    const rows: Array<{ keyId: string; campaignId: string }> = await this.db.query(
      `SELECT api_key_id AS "keyId", campaign_id AS "campaignId" FROM api_key_campaigns WHERE api_key_id = ANY($1::uuid[]) ORDER BY campaign_id`,
      [keyIds],
    );
    for (const row of rows) scopes.get(row.keyId)?.push(row.campaignId);
    return scopes;
  }

  /** Called once the revocation is committed: from then on no lookup caches the key. */
  private forget(id: string): void {
    this.revocations++;
    for (const [hash, entry] of this.verified) if (entry.key.id === id) this.verified.delete(hash);
  }
}

function checkScopeShape(role: Role, campaignIds: readonly string[]): void {
  if (!SCOPABLE_ROLES.includes(role)) {
    throw ApiError.validation([{ field: 'campaignIds', problem: `${role} keys cannot be limited to campaigns; only ${SCOPABLE_ROLES.join(' and ')} keys can` }]);
  }
  if (campaignIds.length === 0) throw ApiError.validation([{ field: 'campaignIds', problem: 'must list at least one campaign (leave it out for a key that reads every campaign)' }]);
  const malformed = campaignIds.map((id, i) => ({ id, i })).filter(({ id }) => !UUID.test(id));
  if (malformed.length > 0) throw ApiError.validation(malformed.map(({ i }) => ({ field: `campaignIds[${i}]`, problem: 'must be a campaign id (a UUID)' })));
}

async function checkCampaignsExist(tx: EntityManager, campaignIds: readonly string[]): Promise<void> {
  const rows: Array<{ id: string }> = await tx.query(`SELECT id FROM campaigns WHERE id = ANY($1::uuid[])`, [campaignIds]);
  const known = new Set(rows.map((r) => r.id));
  const unknown = campaignIds.map((id, i) => ({ id, i })).filter(({ id }) => !known.has(id.toLowerCase()));
  if (unknown.length > 0) {
    throw ApiError.validation(unknown.map(({ i }) => ({ field: `campaignIds[${i}]`, problem: 'no campaign has this id' })));
  }
}
