import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { ApiError } from '../../common/errors/api-error';
import { CreatePreferenceKeyDto, UpdatePreferenceKeyDto } from './dto/preference-key.dto';
import { PreferenceKey } from './preference-key.entity';
import { keyDefinitionProblems } from './preference-rules';
import { PreferencesRepository } from './preferences.repository';

const DEFAULT_COOLDOWN_DAYS = 30;

/** The registry of things we may ask customers about: type, choices, questions and labels per locale. */
@Injectable()
export class PreferenceKeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreferencesRepository,
    private readonly audit: AuditService,
  ) {}

  list(includeArchived: boolean): Promise<PreferenceKey[]> {
    return this.db.getRepository(PreferenceKey).find({ where: includeArchived ? {} : { archivedAt: IsNull() }, order: { key: 'ASC' } });
  }

  async get(key: string, db: EntityManager = this.db.manager): Promise<PreferenceKey> {
    const found = await db.getRepository(PreferenceKey).findOne({ where: { key } });
    if (!found) throw ApiError.notFound('Preference key', key);
    return found;
  }

  async create(dto: CreatePreferenceKeyDto, actor: Actor): Promise<PreferenceKey> {
    const key: PreferenceKey = Object.assign(new PreferenceKey(), {
      key: dto.key,
      valueType: dto.valueType,
      allowedValues: dto.allowedValues ?? null,
      questions: dto.questions,
      valueLabels: dto.valueLabels ?? {},
      askCooldownDays: dto.askCooldownDays ?? DEFAULT_COOLDOWN_DAYS,
      description: dto.description ?? null,
    });
    assertConsistent(key);
    await this.db.transaction(async (tx) => {
      const existing = await tx.getRepository(PreferenceKey).findOne({ where: { key: dto.key } });
      if (existing) {
        throw new ApiError(HttpStatus.CONFLICT, 'PREFERENCE_KEY_EXISTS', `Preference key "${dto.key}" already exists${existing.archivedAt ? ' (archived)' : ''}.`, [
          { field: 'key', problem: 'already exists' },
        ]);
      }
      await tx.getRepository(PreferenceKey).insert(key);
      await this.audit.record(tx, actor, 'preference_key.create', 'preference_key', key.key, { valueType: key.valueType });
    });
    return this.get(dto.key);
  }

  async update(keyName: string, dto: UpdatePreferenceKeyDto, actor: Actor): Promise<PreferenceKey> {
    await this.db.transaction(async (tx) => {
      const key = await tx.getRepository(PreferenceKey).findOne({ where: { key: keyName }, lock: { mode: 'pessimistic_write' } });
      if (!key) throw ApiError.notFound('Preference key', keyName);
      const changes = definedFields(dto);
      const next = Object.assign(new PreferenceKey(), key, changes);
      assertConsistent(next);
      if (next.valueType !== key.valueType) await this.assertTypeChangeable(tx, key);
      if (next.allowedValues && JSON.stringify(next.allowedValues) !== JSON.stringify(key.allowedValues)) {
        await this.assertNoValueInUseRemoved(tx, key.key, next.allowedValues);
      }
      const changed = Object.keys(changes).filter((f) => JSON.stringify(changes[f as keyof typeof changes]) !== JSON.stringify(key[f as keyof PreferenceKey]));
      if (changed.length === 0) return;
      await tx.getRepository(PreferenceKey).update({ key: keyName }, changes);
      await this.audit.record(tx, actor, 'preference_key.update', 'preference_key', keyName, { fields: changed });
    });
    return this.get(keyName);
  }

  /** Archiving keeps every statement (they are the customer's history) but accepts no new ones. */
  async archive(keyName: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      const key = await this.get(keyName, tx);
      if (key.archivedAt) return;
      await tx.getRepository(PreferenceKey).update({ key: keyName }, { archivedAt: new Date() });
      await this.audit.record(tx, actor, 'preference_key.archive', 'preference_key', keyName, {});
    });
  }

  /**
   * Statements were validated against the type they were made under; re-typing the key would
   * leave them unreadable (a "tea" that is now meant to be a number), so the history must stay
   * with its type. A new key is the way to ask a different kind of question.
   */
  private async assertTypeChangeable(tx: EntityManager, key: PreferenceKey): Promise<void> {
    const count = await this.statements.statementCount(tx, key.key);
    if (count === 0) return;
    throw new ApiError(
      HttpStatus.CONFLICT,
      'PREFERENCE_KEY_IN_USE',
      `Preference key "${key.key}" already has ${count} statement(s) recorded as ${key.valueType}; changing its type would make ` +
        'what customers said unreadable. Create a new key (and archive this one) instead.',
      [{ field: 'valueType', problem: `cannot change while statements exist (it is ${key.valueType})` }],
    );
  }

  /** A choice may be removed only when no customer currently holds it, or their answer would turn invalid. */
  private async assertNoValueInUseRemoved(tx: EntityManager, key: string, allowed: string[]): Promise<void> {
    const inUse = await this.statements.currentValuesOutside(tx, key, allowed);
    if (inUse.length === 0) return;
    throw new ApiError(
      HttpStatus.CONFLICT,
      'PREFERENCE_VALUE_IN_USE',
      `Customers currently hold ${inUse.map((v) => `"${v}"`).join(', ')} for "${key}"; keep ${inUse.length > 1 ? 'them' : 'it'} among the allowed values.`,
      [{ field: 'allowedValues', problem: `must still contain ${inUse.join(', ')}` }],
    );
  }
}

function assertConsistent(key: PreferenceKey): void {
  const problems = keyDefinitionProblems(key);
  if (problems.length > 0) throw ApiError.validation(problems);
}

function definedFields(dto: UpdatePreferenceKeyDto): Partial<PreferenceKey> {
  return Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)) as Partial<PreferenceKey>;
}
