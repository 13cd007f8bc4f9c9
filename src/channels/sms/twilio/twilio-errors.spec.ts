import { TwilioNoAnswerError } from './keep-alive-request-client';
import { isPermanentDeliveryError, outcomeOfTwilioError } from './twilio-errors';

describe('outcomeOfTwilioError', () => {
  const answered = (status: number, code?: number) => Object.assign(new Error('x'), { status, code, message: 'Twilio says no' });

  it('treats a refused number or message as permanent, keeping Twilio\'s code', () => {
    expect(outcomeOfTwilioError(answered(400, 21211))).toMatchObject({ status: 'permanent', code: '21211' });
    expect(outcomeOfTwilioError(answered(400, 21610))).toMatchObject({ status: 'permanent', code: '21610' });
    expect(outcomeOfTwilioError(answered(404, 20404))).toMatchObject({ status: 'permanent', code: '20404' });
  });

  it('retries rate limits, server errors and bad credentials later', () => {
    expect(outcomeOfTwilioError(answered(429, 20429))).toMatchObject({ status: 'transient', code: '20429' });
    expect(outcomeOfTwilioError(answered(500))).toMatchObject({ status: 'transient', code: '500' });
    expect(outcomeOfTwilioError(answered(503, 0))).toMatchObject({ status: 'transient', code: '503' });
    expect(outcomeOfTwilioError(answered(401, 20003))).toMatchObject({ status: 'transient', code: '20003' });
  });

  it('is transient when the request never fully left, ambiguous when it did', () => {
    expect(outcomeOfTwilioError('weird')).toMatchObject({ status: 'transient' });
    expect(outcomeOfTwilioError(new TwilioNoAnswerError('connect ECONNREFUSED', 'ECONNREFUSED', false))).toMatchObject({ status: 'transient', code: 'ECONNREFUSED' });
    expect(outcomeOfTwilioError(new TwilioNoAnswerError('no answer within 200 ms', 'ETIMEDOUT', true))).toMatchObject({ status: 'ambiguous', code: 'ETIMEDOUT' });
  });
});

describe('isPermanentDeliveryError', () => {
  it('marks unusable numbers, not passing trouble', () => {
    expect(isPermanentDeliveryError('30005')).toBe(true);
    expect(isPermanentDeliveryError('30006')).toBe(true);
    expect(isPermanentDeliveryError('30003')).toBe(false);
    expect(isPermanentDeliveryError('30008')).toBe(false);
    expect(isPermanentDeliveryError(null)).toBe(false);
  });
});
