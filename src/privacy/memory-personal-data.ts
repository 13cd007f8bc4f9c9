import { PersonalDataTable } from './personal-data';

/**
 * The memory layer's tables (migration CreateMemory1764720000000). Declared here only because the
 * memory module has no code yet; when src/memory exists it should declare these itself through
 * PersonalDataRegistry.declare() and this file should go (declaring a table twice stops start-up).
 *
 * All of it is personal history or derived from it — preferences, purchases, notes, scores,
 * predictions, what we sent and why — and none of it is needed once the person is erased and
 * suppressed (no message can reach them again), so every row is deleted. Children come before
 * their parents so the counts are the rows this erasure removed, not what a cascade took silently.
 */
export const MEMORY_PERSONAL_DATA: PersonalDataTable[] = [
  { table: 'preference_statements', orderBy: 't.recorded_at, t.id', erasure: { rule: 'delete' } },
  { table: 'purchase_lines', orderBy: 't.occurred_at, t.interaction_id, t.line_no', erasure: { rule: 'delete' } },
  { table: 'interactions', orderBy: 't.occurred_at, t.id', erasure: { rule: 'delete' } },
  { table: 'contact_value', erasure: { rule: 'delete' } },
  { table: 'value_signals', orderBy: 't.detected_at, t.id', erasure: { rule: 'delete' } },
  { table: 'replenishment_predictions', orderBy: 't.product_key', erasure: { rule: 'delete' } },
  { table: 'guard_decisions', orderBy: 't.decided_at, t.id', erasure: { rule: 'delete' } },
  { table: 'contact_messages', orderBy: 't.created_at, t.campaign_id, t.occasion_key', erasure: { rule: 'delete' } },
];
