import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { RenderContextService } from '../../src/memory/render-context/render-context.service';
import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * The hotel scenario of MISSION.md (the goldfish rule). The guest states "tea, not coffee" and the
 * Wall Street Journal once; four nightly courtesy messages follow. What the guest and the staff do
 * goes through HTTP; the nightly send is the pipeline a campaign runs (guard → render → sent), so
 * it is driven here in-process until the campaign engine exists.
 */
describe('the hotel guest (goldfish rule)', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  let contexts: RenderContextService;
  const template = Handlebars.compile(readFileSync(join(__dirname, '../../templates/sms/nightly-courtesy.en.hbs'), 'utf8'));
  const ASKS = ['drink', 'newspaper'];

  beforeAll(async () => {
    t = await createTestApp();
    guard = t.app.get(GoldfishGuard);
    contexts = t.app.get(RenderContextService);
  });
  afterAll(() => t.close());

  async function checkIn(formOfAddress: string): Promise<string> {
    const { body } = await t.http
      .post('/contacts')
      .set(t.auth('marketer'))
      .send(contactInput({
        formOfAddress, locale: 'en-US', timeZone: 'America/New_York', phone: undefined,
        consent: { sms: { granted: true, text: 'Text me about my stay' } },
      }))
      .expect(201);
    // A phone number of the guest's own, so two guests never collide.
    await t.http.patch(`/contacts/${body.id}`).set(t.auth('marketer')).send({ phone: `+1202555${String(Date.now() % 10000).padStart(4, '0')}` }).expect(200);
    return body.id;
  }

  /** One night's courtesy message, as the campaign would send it at 19:30 in the guest's own time zone. */
  async function nightlyCourtesy(contactId: string, night: number): Promise<string | null> {
    const evening = DateTime.fromISO('2026-12-07T19:30', { zone: 'America/New_York' }).plus({ days: night - 1 });
    const decision = await guard.evaluate({
      contactId,
      campaignId: 'hotel-nightly-courtesy',
      occasionKey: `courtesy:${evening.toISODate()}`,
      channel: 'sms',
      now: evening.toJSDate(),
      templateKey: 'nightly-courtesy',
      asks: ASKS,
      careExempt: true,
    });
    if (decision.decision !== 'send') return null;
    const dropped = new Set(decision.dropAsks.map((d) => d.key));
    const context = await contexts.build(contactId, 'en');
    const text = template({
      ...context,
      wakeUp: evening.plus({ hours: 11 }).toFormat('h:mm a'),
      ask: Object.fromEntries(ASKS.map((key) => [key, !dropped.has(key)])),
    }).replace(/\s+/g, ' ').trim();
    await guard.markSent(decision.messageId!, evening.toJSDate());
    return text;
  }

  it('offers tea and the Journal every night, never asks again, and uses the change from night 3 on', async () => {
    const guest = await checkIn('Mr Miller');
    // Stated once, on the preference form before the first night.
    await t.http.post(`/contacts/${guest}/preferences`).set(t.auth('marketer')).send({ preferences: [
      { key: 'drink', value: 'tea', source: 'web_form', note: 'tea, not coffee' },
      { key: 'newspaper', value: 'wall_street_journal', source: 'web_form' },
    ] }).expect(201);

    const messages: string[] = [];
    for (const night of [1, 2, 3, 4]) {
      if (night === 3) {
        await t.http.post(`/contacts/${guest}/preferences`).set(t.auth('marketer'))
          .send({ preferences: [{ key: 'drink', value: 'coffee', source: 'web_form' }] }).expect(201);
      }
      const text = await nightlyCourtesy(guest, night);
      expect(text).not.toBeNull();
      messages.push(text!);
    }

    for (const text of messages) {
      expect(text).toContain('Good evening, Mr Miller.');
      expect(text).toContain('the Wall Street Journal will be at your door');
      expect(text).not.toMatch(/Would you like|Which paper/);
    }
    expect(messages[0]).toContain('We will bring your tea');
    expect(messages[1]).toContain('We will bring your tea');
    expect(messages[2]).toContain('We will bring your coffee');
    expect(messages[3]).toContain('We will bring your coffee');

    // The old answer stays in the history, and the archive shows all four messages.
    const history = await t.http.get(`/contacts/${guest}/preferences/drink/history`).set(t.auth('viewer')).expect(200);
    expect(JSON.stringify(history.body)).toMatch(/"tea"[\s\S]*"coffee"/);
    const memory = await t.http.get(`/contacts/${guest}/memory`).set(t.auth('viewer')).expect(200);
    expect(memory.body.messages.filter((m: { state: string }) => m.state === 'sent')).toHaveLength(4);
    expect(memory.body.preferences.values).toEqual({ drink: 'coffee', newspaper: 'wall_street_journal' });
    expect(memory.body.preferences.history.drink.map((s: { value: string }) => s.value)).toEqual(['tea', 'coffee']);
  });

  it('asks a guest who has not answered once, and not again the next night', async () => {
    const guest = await checkIn('Ms Chen');
    const first = await nightlyCourtesy(guest, 1);
    expect(first).toContain('Would you like coffee or tea with it?');
    expect(first).toContain('Which paper would you like');
    const second = await nightlyCourtesy(guest, 2);
    expect(second).not.toMatch(/Would you like|Which paper/);
  });

  it('sends one message per night even when the nightly run is repeated', async () => {
    const guest = await checkIn('Mr Okafor');
    expect(await nightlyCourtesy(guest, 1)).not.toBeNull();
    expect(await nightlyCourtesy(guest, 1)).toBeNull();
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM contact_messages WHERE contact_id = $1`, [guest]);
    expect(count).toBe(1);
  });
});
