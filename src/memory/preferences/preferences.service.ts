import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { ApiError, ErrorDetail } from '../../common/errors/api-error';
import { assertContactExists, assertLiveContact } from '../interactions/live-contacts';
import { PreferenceStatementDto } from './dto/record-preferences.dto';
import { PreferenceKey } from './preference-key.entity';
import { PreferenceValue, SOURCE_AUTHORITY, valueProblem } from './preference-rules';
import { NewStatement, PreferencesRepository, StatementRow } from './preferences.repository';

/** How far in the future a statedAt may be before it is a mistake rather than clock skew. */
const CLOCK_SKEW_MS = 5 * 60_000;

export type CurrentPreference = Omit<StatementRow, 'contactId' | 'key' | 'value'> & { value: PreferenceValue };

export interface ContactPreferences {
  /** key → value: what templates and forms use. */
  values: Record<string, PreferenceValue>;
  /** key → the statement that decided it: source, who, when. */
  statements: Record<string, CurrentPreference>;
}

export interface PreferencesView extends ContactPreferences {
  contactId: string;
  history?: Record<string, StatementRow[]>;
}

/**
 * What each customer told us. Statements are appended, never changed; the current answer per key
 * is the highest-authority, then latest, statement that has not expired. A withdrawal (null) is a
 * statement too, so the customer's "forget it" also hides any lower-authority inference about
 * the same key until the customer says something again.
 */
@Injectable()
export class PreferencesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: PreferencesRepository,
    private readonly audit: AuditService,
  ) {}

  /** Current preferences of one contact, or of many in one query (a Map; contacts without any are present and empty). */
  current(contactId: string, db?: EntityManager): Promise<ContactPreferences>;
  current(contactIds: string[], db?: EntityManager): Promise<Map<string, ContactPreferences>>;
  async current(ids: string | string[], db: EntityManager = this.db.manager): Promise<ContactPreferences | Map<string, ContactPreferences>> {
    const list = typeof ids === 'string' ? [ids] : [...new Set(ids)];
    const byContact = new Map<string, ContactPreferences>(list.map((id) => [id, { values: {}, statements: {} }]));
    if (list.length > 0) {
      for (const row of await this.repository.current(db, list)) {
        const { contactId, key, value, ...meta } = row;
        const entry = byContact.get(contactId)!;
        entry.values[key] = value as PreferenceValue;
        entry.statements[key] = { ...meta, value: value as PreferenceValue };
      }
    }
    return typeof ids === 'string' ? byContact.get(ids)! : byContact;
  }

  /**
   * Validates and appends statements inside the caller's transaction (web forms, SMS replies and
   * the API all come through here). Problems name `preferences[i].field`.
   */
  async record(tx: EntityManager, contactId: string, statements: PreferenceStatementDto[], actor: Actor): Promise<StatementRow[]> {
    const keys = new Map((await this.repository.keys(tx, [...new Set(statements.map((s) => s.key))])).map((k) => [k.key, k]));
    const now = Date.now();
    const problems: ErrorDetail[] = [];
    const rows: NewStatement[] = statements.map((s, i) => {
      problems.push(...statementProblems(s, keys.get(s.key), `preferences[${i}]`, now));
      const statedAt = s.statedAt ? new Date(s.statedAt) : new Date(now);
      return {
        contactId,
        key: s.key,
        value: (s.value ?? null) as PreferenceValue | null,
        source: s.source,
        authority: SOURCE_AUTHORITY[s.source],
        recordedBy: actor.label,
        statedAt,
        expiresAt: s.expiresAt ? new Date(s.expiresAt) : null,
        confidence: s.confidence ?? 1,
        note: s.note ?? null,
      };
    });
    if (problems.length > 0) throw ApiError.validation(problems);
    const inserted = await this.repository.insert(tx, rows);
    // Keys and sources, not values: the audit log says who changed what, the statements hold the answers.
    await this.audit.record(tx, actor, 'preference.record', 'contact', contactId, {
      statements: rows.map((r) => ({ key: r.key, source: r.source, withdrawn: r.value === null })),
    });
    return inserted;
  }

  /** Appends and answers with the statements as stored plus the resulting current preferences. */
  async recordForContact(contactId: string, statements: PreferenceStatementDto[], actor: Actor): Promise<PreferencesView & { recorded: StatementRow[] }> {
    const recorded = await this.db.transaction(async (tx) => {
      await assertLiveContact(tx, contactId);
      return this.record(tx, contactId, statements, actor);
    });
    return { ...(await this.view(contactId, false)), recorded };
  }

  async view(contactId: string, withHistory: boolean, db: EntityManager = this.db.manager): Promise<PreferencesView> {
    await assertContactExists(db, contactId);
    const current = await this.current(contactId, db);
    if (!withHistory) return { contactId, ...current };
    const history: Record<string, StatementRow[]> = {};
    for (const row of await this.repository.history(db, contactId)) (history[row.key] ??= []).push(row);
    return { contactId, ...current, history };
  }

  /** Every statement about one key, oldest first, with the one that currently counts marked. */
  async keyHistory(contactId: string, key: string): Promise<{ key: string; current: CurrentPreference | null; statements: StatementRow[] }> {
    await assertContactExists(this.db.manager, contactId);
    const [keyRow] = await this.repository.keys(this.db.manager, [key]);
    if (!keyRow) throw ApiError.notFound('Preference key', key);
    const current = await this.current(contactId);
    return { key, current: current.statements[key] ?? null, statements: await this.repository.history(this.db.manager, contactId, key) };
  }
}

function statementProblems(s: PreferenceStatementDto, key: PreferenceKey | undefined, at: string, now: number): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (!key) return [{ field: `${at}.key`, problem: `"${s.key}" is not a preference key (see GET /preference-keys)` }];
  if (key.archivedAt) problems.push({ field: `${at}.key`, problem: `"${s.key}" is archived and takes no new statements` });
  if (s.value !== null) {
    const problem = valueProblem(key, s.value, `${at}.value`);
    if (problem) problems.push({ field: `${at}.value`, problem });
  }
  const statedAt = s.statedAt ? Date.parse(s.statedAt) : now;
  if (statedAt > now + CLOCK_SKEW_MS) problems.push({ field: `${at}.statedAt`, problem: `${at}.statedAt must not be in the future` });
  if (s.expiresAt && Date.parse(s.expiresAt) <= statedAt) {
    problems.push({ field: `${at}.expiresAt`, problem: `${at}.expiresAt must be after statedAt` });
  }
  return problems;
}
