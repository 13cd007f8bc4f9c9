import { createServer } from 'node:net';
import { AddressInfo } from 'node:net';
import { accountSid, TwilioFake } from '../../../../test/support/twilio-fake';
import { TwilioSettings } from './twilio-settings';
import { TwilioChannelOptions, TwilioSmsChannel } from './twilio-sms.channel';

/** The adapter alone, with the real twilio client against the local Twilio-speaking server. */
describe('TwilioSmsChannel', () => {
  const sid = accountSid();
  const token = 'auth-token-0123456789abcdef';
  let fake: TwilioFake;
  const channels: TwilioSmsChannel[] = [];

  beforeAll(async () => {
    fake = await new TwilioFake(sid, token).start();
  });
  afterAll(async () => {
    for (const channel of channels) channel.onApplicationShutdown();
    await fake.stop();
  });

  function channel(overrides: Partial<TwilioSettings> = {}, options: TwilioChannelOptions = {}): TwilioSmsChannel {
    const made = new TwilioSmsChannel(settings(overrides), options);
    channels.push(made);
    return made;
  }

  function settings(overrides: Partial<TwilioSettings> = {}): TwilioSettings {
    return {
      accountSid: sid, authToken: token, from: '+15005550006', messagingServiceSid: null, apiBaseUrl: fake.url,
      publicBaseUrl: 'https://tidings.test', statusCallbackUrl: 'https://tidings.test/channels/sms/twilio/status', ...overrides,
    };
  }

  it('sends from a messaging service when TWILIO_FROM names one', async () => {
    const service = 'MG' + 'b2'.repeat(16);
    const outcome = await channel({ from: null, messagingServiceSid: service }).send({ messageId: 'm1', to: '+12025550101', body: 'Hi' });
    expect(outcome).toMatchObject({ status: 'sent', details: { twilioStatus: 'accepted' } });
    const request = fake.requests.find((r) => r.form.To === '+12025550101')!;
    expect(request.form.MessagingServiceSid).toBe(service);
    expect(request.form.From).toBeUndefined();
  });

  it('is ambiguous when Twilio took the request and the answer never came', async () => {
    fake.respondTo('+12025550102', { kind: 'hang' });
    const outcome = await channel({}, { timeoutMs: 300 }).send({ messageId: 'm2', to: '+12025550102', body: 'Hi' });
    expect(outcome).toMatchObject({ status: 'ambiguous', details: { encoding: 'GSM-7', segments: 1 } });
    expect(fake.requests.some((r) => r.form.To === '+12025550102')).toBe(true);
  });

  it('is transient when Twilio cannot be reached at all', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await channel({ apiBaseUrl: `http://127.0.0.1:${port}` }).send({ messageId: 'm3', to: '+12025550103', body: 'Hi' });
    expect(outcome).toMatchObject({ status: 'transient', code: 'ECONNREFUSED' });
  });

  it('is transient on rejected credentials: the message is fine, our configuration is not', async () => {
    const outcome = await channel({ authToken: 'wrong-token-0123456789' }).send({ messageId: 'm4', to: '+12025550104', body: 'Hi' });
    expect(outcome).toMatchObject({ status: 'transient', code: '20003' });
  });
});
