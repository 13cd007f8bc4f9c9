import { inboundMessageUuid } from './sms-replies.service';

describe('inboundMessageUuid', () => {
  it('names an inbound message with a stable, valid UUID of its own', () => {
    const a = inboundMessageUuid('SM' + '0'.repeat(32));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(inboundMessageUuid('SM' + '0'.repeat(32))).toBe(a);
    expect(inboundMessageUuid('SM' + '0'.repeat(31) + '1')).not.toBe(a);
  });
});
