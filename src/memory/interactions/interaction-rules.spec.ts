import fc from 'fast-check';
import { canonicalJson, replayDifferences, toInteractionRecord } from './interaction-rules';
import type { InteractionInputDto } from './dto/interaction-input.dto';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const CONTACT = '6f1c1d2e-0000-4000-8000-000000000001';
const input = (fields: Partial<InteractionInputDto>): InteractionInputDto => ({ eventId: 'e-1', kind: 'note', summary: 'x', ...fields }) as InteractionInputDto;

describe('interaction rules', () => {
  it('totals a purchase exactly from its lines', () => {
    const { record, problems } = toInteractionRecord(
      input({ kind: 'purchase', summary: undefined, currency: 'CNY', items: [{ productKey: 'a', quantity: 3, unitPrice: 0.1 }, { productKey: 'b', quantity: 0.333, unitPrice: 19.99 }] }),
      CONTACT, NOW,
    );
    expect(problems).toEqual([]);
    // 0.30 + 6.65667 → 6.96 (floating point alone would give 0.30000000000000004 + …)
    expect(record.amount).toBe(6.96);
    expect(record.items.map((l) => l.lineNo)).toEqual([1, 2]);
  });

  it('names fields with the batch position', () => {
    const { problems } = toInteractionRecord(input({ kind: 'message_sent', summary: undefined, occurredAt: '2025-06-01T13:00:00Z' }), CONTACT, NOW, 'items[7]');
    expect(problems.map((p) => p.field)).toEqual(['items[7].occurredAt', 'items[7].channel', 'items[7].messageId']);
  });

  it('allows a few minutes of clock skew but not more', () => {
    expect(toInteractionRecord(input({ occurredAt: '2025-06-01T12:04:00Z' }), CONTACT, NOW).problems).toEqual([]);
    expect(toInteractionRecord(input({ occurredAt: '2025-06-01T12:06:00Z' }), CONTACT, NOW).problems).toHaveLength(1);
  });

  it('treats a replay without occurredAt as the same event, and names what differs otherwise', () => {
    const stored = { ...toInteractionRecord(input({ occurredAt: '2025-05-01T08:00:00Z' }), CONTACT, NOW).record, id: 'i-1' };
    expect(replayDifferences(stored, toInteractionRecord(input({}), CONTACT, NOW).record)).toEqual([]);
    expect(replayDifferences(stored, toInteractionRecord(input({ occurredAt: '2025-05-02T08:00:00Z', summary: 'y' }), CONTACT, NOW).record)).toEqual(['occurredAt', 'summary']);
  });

  it('compares JSON regardless of key order, as jsonb stores it', () => {
    const entries = fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string(), fc.boolean()));
    fc.assert(
      fc.property(entries, (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        return canonicalJson({ nested: object }) === canonicalJson({ nested: reversed });
      }),
    );
  });
});
