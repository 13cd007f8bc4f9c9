import { mapTwilioStatus, parseInboundMessage, parseStatusCallback } from './twilio-callbacks';

const SID = 'SM' + 'a1'.repeat(16);

describe('mapTwilioStatus', () => {
  it.each([
    ['accepted', 'queued'], ['scheduled', 'queued'], ['queued', 'queued'], ['sending', 'queued'], ['sent', 'sent'],
    ['delivered', 'delivered'], ['undelivered', 'undelivered'], ['failed', 'failed'], ['canceled', 'failed'], ['read', 'read'],
  ])('%s → %s', (twilio, ours) => expect(mapTwilioStatus(twilio)).toBe(ours));

  it('ignores statuses of inbound messages and unknown words', () => {
    for (const status of ['received', 'receiving', 'partially_delivered', 'constructor', '__proto__', '']) expect(mapTwilioStatus(status)).toBeNull();
  });
});

describe('parseStatusCallback', () => {
  it('reads the message SID, status and error code', () => {
    const { callback } = parseStatusCallback({ MessageSid: SID, MessageStatus: 'Undelivered', ErrorCode: '30005', To: '+8613800000000' });
    expect(callback).toEqual({ messageSid: SID, twilioStatus: 'undelivered', errorCode: '30005', to: '+8613800000000' });
  });

  it('falls back to the legacy SmsSid and SmsStatus names', () => {
    expect(parseStatusCallback({ SmsSid: SID, SmsStatus: 'sent' }).callback).toMatchObject({ messageSid: SID, twilioStatus: 'sent', errorCode: null });
  });

  it('names every missing or malformed field', () => {
    const { callback, problems } = parseStatusCallback({ MessageSid: 'nope', ErrorCode: 'x1' });
    expect(callback).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual(['MessageSid', 'MessageStatus', 'ErrorCode']);
  });
});

describe('parseInboundMessage', () => {
  it('reads sender and text, with an empty text when Body is absent', () => {
    expect(parseInboundMessage({ MessageSid: SID, From: '+8613800000000', To: '+15005550006' }).message).toEqual({
      messageSid: SID, from: '+8613800000000', to: '+15005550006', body: '',
    });
  });

  it('requires a sender', () => {
    expect(parseInboundMessage({ MessageSid: SID, Body: 'STOP' }).problems).toEqual([{ field: 'From', problem: 'From is required' }]);
  });
});
