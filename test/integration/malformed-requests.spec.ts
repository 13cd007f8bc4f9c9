import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { hashApiKey } from '../../src/auth/api-keys.service';
import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Bad input of every kind gets a 4xx in the one error shape — never a 500 — and changes nothing.
 * Each body is a valid contact with one thing wrong, so the response proves that thing alone is refused.
 */
describe('malformed requests', () => {
  const marker = `Malformed-${randomUUID().slice(0, 8)}`;
  let t: TestApp;
  let existingId: string;
  let existingBefore: string;
  let historyBefore: string;
  let keyIds: string[];
  let auditBefore: number;

  /** A valid new contact carrying this suite's marker, with `overrides` applied. */
  const valid = (overrides: Record<string, unknown> = {}) => contactInput({ familyName: marker, ...overrides });
  const json = (test: Test, raw: string) => test.set('Content-Type', 'application/json').send(raw);
  const auditRowsOfThisSuite = async () =>
    Number((await t.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE actor_key_id = ANY($1::uuid[])`, [keyIds]))[0].n);

  beforeAll(async () => {
    t = await createTestApp();
    const created = await t.http
      .post('/contacts')
      .set(t.auth('marketer'))
      .send(valid({ consent: { email: { granted: true, text: 'Birthday greetings by e-mail', source: 'shop form' } } }))
      .expect(201);
    existingId = created.body.id;
    existingBefore = (await t.http.get(`/contacts/${existingId}`).set(t.auth('viewer')).expect(200)).text;
    historyBefore = (await t.http.get(`/contacts/${existingId}/consent-history`).set(t.auth('viewer')).expect(200)).text;
    const rows: Array<{ id: string }> = await t.db.query(`SELECT id FROM api_keys WHERE key_hash = ANY($1::text[])`, [
      Object.values(t.keys).map(hashApiKey),
    ]);
    keyIds = rows.map((r) => r.id);
    auditBefore = await auditRowsOfThisSuite();
  });
  afterAll(() => t.close());

  /** The documented shape, exactly: `{ error, message, details: [{ field, problem }] }`, with a request id. */
  function expectApiError(res: Response, status: number, error: string, fields: string[] = []): void {
    expect({ status: res.status, error: res.body?.error }).toEqual({ status, error });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['details', 'error', 'message']);
    expect(res.body.message).toEqual(expect.stringMatching(/\S/));
    for (const detail of res.body.details) {
      expect(detail).toEqual({ field: expect.stringMatching(/\S/), problem: expect.stringMatching(/\S/) });
    }
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(fields));
    if (fields.length > 0) expect(res.body.details.length).toBeGreaterThan(0);
    expect(res.headers['x-request-id']).toMatch(/^[\w.-]{1,64}$/);
  }

  type Case = [name: string, send: () => PromiseLike<Response>, status: number, error: string, fields: string[]];
  const post = (body: unknown) => () => t.http.post('/contacts').set(t.auth('marketer')).send(body as object);
  const postRaw = (raw: string) => () => json(t.http.post('/contacts').set(t.auth('marketer')), raw);
  const patchExisting = (body: unknown) => () => t.http.patch(`/contacts/${existingId}`).set(t.auth('marketer')).send(body as object);
  const consentOfExisting = (body: unknown) => () =>
    t.http.post(`/contacts/${existingId}/consent`).set(t.auth('marketer')).send(body as object);
  const list = (query: string) => () => t.http.get(`/contacts?${query}`).set(t.auth('viewer'));
  const cursorOf = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
  const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

  const wrongTypes: Case[] = [
    ['an e-mail that is a number', post(valid({ email: 42 })), 400, 'VALIDATION_FAILED', ['email']],
    ['tags given as one string', post(valid({ tags: 'vip' })), 400, 'VALIDATION_FAILED', ['tags']],
    ['a tag that is not a string', post(valid({ tags: ['vip', 7] })), 400, 'VALIDATION_FAILED', ['tags']],
    ['a birthday that is a number', post(valid({ birthday: 19800517 })), 400, 'VALIDATION_FAILED', ['birthday']],
    ['attributes that are an array', post(valid({ attributes: [] })), 400, 'VALIDATION_FAILED', ['attributes']],
    ['a lunar month that is a string', post(valid({ lunarBirthdayMonth: '5', lunarBirthdayDay: 1 })), 400, 'VALIDATION_FAILED', ['lunarBirthdayMonth']],
    ['a given name that is an object', post(valid({ givenName: { first: 'Wei' } })), 400, 'VALIDATION_FAILED', ['givenName']],
    ['an address that is a string', post(valid({ address: 'Nanjing Road 100' })), 400, 'VALIDATION_FAILED', ['address']],
    ['an address that is an array', post(valid({ address: [{ country: 'CN' }] })), 400, 'VALIDATION_FAILED', ['address']],
    ['tags set to null', post(valid({ tags: null })), 400, 'VALIDATION_FAILED', ['tags']],
    ['attributes set to null', post(valid({ attributes: null })), 400, 'VALIDATION_FAILED', ['attributes']],
    ['lunarBirthdayLeap set to null', post(valid({ lunarBirthdayLeap: null })), 400, 'VALIDATION_FAILED', ['lunarBirthdayLeap']],
    ['consent given as an array', post(valid({ consent: [] })), 400, 'VALIDATION_FAILED', ['consent']],
    ['consent for a channel given as true', post(valid({ consent: { email: true } })), 400, 'VALIDATION_FAILED', ['consent.email']],
    ['consent "granted" as a string', post(valid({ consent: { sms: { granted: 'yes' } } })), 400, 'VALIDATION_FAILED', ['consent.sms.granted']],
    ['consent source as a number', post(valid({ consent: { mail: { granted: true, source: 42 } } })), 400, 'VALIDATION_FAILED', ['consent.mail.source']],
  ];

  const unknownFields: Case[] = [
    ['an unknown top-level field', post(valid({ planet: 'Mars' })), 400, 'VALIDATION_FAILED', ['planet']],
    ['an unknown address field', post(valid({ address: { country: 'CN', planet: 'Mars' } })), 400, 'VALIDATION_FAILED', ['address.planet']],
    ['an unknown consent channel', post(valid({ consent: { fax: { granted: true } } })), 400, 'VALIDATION_FAILED', ['consent.fax']],
    ['an unknown field inside a channel', post(valid({ consent: { email: { granted: true, admin: true } } })), 400, 'VALIDATION_FAILED', ['consent.email.admin']],
    ['a server-owned field (id)', post(valid({ id: randomUUID() })), 400, 'VALIDATION_FAILED', ['id']],
    ['a server-owned field (deletedAt)', post(valid({ deletedAt: null })), 400, 'VALIDATION_FAILED', ['deletedAt']],
    ['"__proto__" at the top', postRaw(`{"familyName":"${marker}","__proto__":{"admin":true}}`), 400, 'VALIDATION_FAILED', ['__proto__']],
    ['"constructor" at the top', post(valid({ constructor: { prototype: { admin: true } } })), 400, 'VALIDATION_FAILED', ['constructor']],
    ['"__proto__" inside attributes', postRaw(`{"familyName":"${marker}","attributes":{"__proto__":{"admin":true}}}`), 400, 'VALIDATION_FAILED', ['attributes.__proto__']],
    // class-transformer dropped these silently: the contact was stored without the attribute.
    ['"valueOf" inside attributes', post(valid({ attributes: { tier: 'gold', valueOf: 1 } })), 400, 'VALIDATION_FAILED', ['attributes.valueOf']],
    ['"toString" at the top', post(valid({ toString: 'x' })), 400, 'VALIDATION_FAILED', ['toString']],
  ];

  const oversized: Case[] = [
    ['a 1 MB given name', post(valid({ givenName: 'x'.repeat(1024 * 1024) })), 413, 'PAYLOAD_TOO_LARGE', []],
    ['a 10 kB given name', post(valid({ givenName: 'x'.repeat(10 * 1024) })), 400, 'VALIDATION_FAILED', ['givenName']],
    ['a 2 kB e-mail address', post(valid({ email: `${'a'.repeat(2048)}@example.com` })), 400, 'VALIDATION_FAILED', ['email']],
    ['attributes over 16 kB', post(valid({ attributes: { note: '字'.repeat(6000) } })), 400, 'VALIDATION_FAILED', ['attributes']],
    ['101 tags', post(valid({ tags: Array.from({ length: 101 }, (_, i) => `t${i}`) })), 400, 'VALIDATION_FAILED', ['tags']],
    ['attributes nested 5,000 levels deep', postRaw(`{"familyName":"${marker}","attributes":${nested(5000)}}`), 400, 'VALIDATION_FAILED', []],
  ];

  const unreadableBodies: Case[] = [
    ['invalid JSON', postRaw(`{"familyName": "${marker}",`), 400, 'INVALID_JSON', []],
    ['a bare JSON array', postRaw(JSON.stringify([valid()])), 400, 'VALIDATION_FAILED', ['body']],
    ['a JSON null', postRaw('null'), 400, 'INVALID_JSON', []],
    ['a JSON string', postRaw('"Wei Li"'), 400, 'INVALID_JSON', []],
    ['a JSON number', postRaw('42'), 400, 'INVALID_JSON', []],
    [
      'a text/plain body',
      () => t.http.post('/contacts').set(t.auth('marketer')).set('Content-Type', 'text/plain').send(JSON.stringify(valid())),
      400,
      'BODY_REQUIRED',
      ['body'],
    ],
    [
      'a form-encoded body',
      () => t.http.post('/contacts').set(t.auth('marketer')).type('form').send({ familyName: marker }),
      400,
      'BODY_REQUIRED',
      ['body'],
    ],
    ['no body at all', () => t.http.post('/contacts').set(t.auth('marketer')), 400, 'BODY_REQUIRED', ['body']],
    [
      'JSON in an unsupported charset',
      () => t.http.post('/contacts').set(t.auth('marketer')).set('Content-Type', 'application/json; charset=latin1').send(JSON.stringify(valid())),
      415,
      'UNSUPPORTED_CHARSET',
      [],
    ],
    [
      'a Content-Encoding that is not supported',
      () => t.http.post('/contacts').set(t.auth('marketer')).set('Content-Type', 'application/json').set('Content-Encoding', 'compress').send('{}'),
      415,
      'UNSUPPORTED_ENCODING',
      [],
    ],
    [
      'gzip that does not inflate',
      () => t.http.post('/contacts').set(t.auth('marketer')).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('not gzip'),
      400,
      'INVALID_BODY',
      [],
    ],
  ];

  const badValues: Case[] = [
    ['a date that does not exist (2023-02-30)', post(valid({ birthday: '2023-02-30' })), 400, 'VALIDATION_FAILED', ['birthday']],
    ['a birthday in the future', post(valid({ birthday: `${new Date().getUTCFullYear() + 1}-01-01` })), 400, 'VALIDATION_FAILED', ['birthday']],
    ['a birthday written 17.05.1980', post(valid({ birthday: '17.05.1980' })), 400, 'VALIDATION_FAILED', ['birthday']],
    ['lunar month 13', post(valid({ lunarBirthdayMonth: 13, lunarBirthdayDay: 1 })), 400, 'VALIDATION_FAILED', ['lunarBirthdayMonth']],
    ['a lunar day without its month', post(valid({ lunarBirthdayDay: 15 })), 400, 'VALIDATION_FAILED', ['lunarBirthdayDay']],
    ['country XX', post(valid({ address: { country: 'XX' } })), 400, 'VALIDATION_FAILED', ['address.country']],
    ['country UK (GB is the code)', post(valid({ address: { country: 'UK' } })), 400, 'VALIDATION_FAILED', ['address.country']],
    ['country EU', post(valid({ address: { country: 'EU' } })), 400, 'VALIDATION_FAILED', ['address.country']],
    ['an address without a country', post(valid({ address: { city: 'Shanghai' } })), 400, 'VALIDATION_FAILED', ['address.country']],
    ['a locale that is not BCP 47', post(valid({ locale: 'chinese, please' })), 400, 'VALIDATION_FAILED', ['locale']],
    ['a time zone that does not exist', post(valid({ timeZone: 'Mars/Olympus_Mons' })), 400, 'VALIDATION_FAILED', ['timeZone']],
    ['a UTC offset instead of a zone', post(valid({ timeZone: '+08:00' })), 400, 'VALIDATION_FAILED', ['timeZone']],
    ['a phone number that is too short', post(valid({ phone: '12345' })), 400, 'VALIDATION_FAILED', ['phone']],
    ['an e-mail without a domain', post(valid({ email: 'wei.li@' })), 400, 'VALIDATION_FAILED', ['email']],
    ['an empty given name', post(valid({ givenName: '' })), 400, 'VALIDATION_FAILED', ['givenName']],
    ['a tag with a comma', post(valid({ tags: ['vip,gold'] })), 400, 'VALIDATION_FAILED', ['tags']],
    ['a NUL character in a name', post(valid({ givenName: 'Wei\u0000Li' })), 400, 'VALIDATION_FAILED', ['givenName']],
    ['a lone surrogate in an attribute', post(valid({ attributes: { note: 'broken \ud800 text' } })), 400, 'VALIDATION_FAILED', ['attributes.note']],
  ];

  const againstTheExistingContact: Case[] = [
    ['a PATCH that changes a name but has a bad e-mail', patchExisting({ givenName: 'Changed', email: 42 }), 400, 'VALIDATION_FAILED', ['email']],
    ['a PATCH with an unknown field', patchExisting({ givenName: 'Changed', planet: 'Mars' }), 400, 'VALIDATION_FAILED', ['planet']],
    ['a PATCH clearing tags with null', patchExisting({ tags: null }), 400, 'VALIDATION_FAILED', ['tags']],
    ['a PATCH that sends a bare array', () => json(t.http.patch(`/contacts/${existingId}`).set(t.auth('marketer')), '[]'), 400, 'VALIDATION_FAILED', ['body']],
    [
      'a PATCH sent as text/plain',
      () => t.http.patch(`/contacts/${existingId}`).set(t.auth('marketer')).set('Content-Type', 'text/plain').send('{"givenName":"Changed"}'),
      400,
      'BODY_REQUIRED',
      ['body'],
    ],
    ['a consent change with "granted" as a string', consentOfExisting({ email: { granted: 'no' } }), 400, 'VALIDATION_FAILED', ['email.granted']],
    ['a consent change for an unknown channel', consentOfExisting({ pigeon: { granted: true } }), 400, 'VALIDATION_FAILED', ['pigeon']],
    ['a consent change with no body', () => t.http.post(`/contacts/${existingId}/consent`).set(t.auth('marketer')), 400, 'BODY_REQUIRED', ['body']],
    [
      'a new contact with the e-mail of the existing one',
      async () => {
        const existing = JSON.parse(existingBefore);
        return t.http.post('/contacts').set(t.auth('marketer')).send(valid({ email: existing.email.toUpperCase() }));
      },
      409,
      'CONFLICT',
      ['email'],
    ],
    [
      'a new contact with the external id of the existing one',
      async () => t.http.post('/contacts').set(t.auth('marketer')).send(valid({ externalId: JSON.parse(existingBefore).externalId })),
      409,
      'CONFLICT',
      ['externalId'],
    ],
  ];

  const badPaths: Case[] = [
    ['GET with an id that is not a UUID', () => t.http.get('/contacts/not-a-uuid').set(t.auth('viewer')), 400, 'VALIDATION_FAILED', ['id']],
    ['PATCH with a numeric id', () => t.http.patch('/contacts/123').set(t.auth('marketer')).send({ givenName: 'X' }), 400, 'VALIDATION_FAILED', ['id']],
    ['DELETE with SQL in the id', () => t.http.delete(`/contacts/${encodeURIComponent("x' OR '1'='1")}`).set(t.auth('marketer')), 400, 'VALIDATION_FAILED', ['id']],
    ['consent history of a 37-character id', () => t.http.get(`/contacts/${existingId}0/consent-history`).set(t.auth('viewer')), 400, 'VALIDATION_FAILED', ['id']],
    ['an id that is not valid percent-encoding', () => t.http.get('/contacts/%E0%A4%A').set(t.auth('viewer')), 400, 'BAD_REQUEST', []],
    ['a well-formed id of no contact', () => t.http.get(`/contacts/${randomUUID()}`).set(t.auth('viewer')), 404, 'NOT_FOUND', []],
  ];

  const badQueries: Case[] = [
    ['limit=-1', list('limit=-1'), 400, 'VALIDATION_FAILED', ['limit']],
    ['limit=0', list('limit=0'), 400, 'VALIDATION_FAILED', ['limit']],
    ['limit=201', list('limit=201'), 400, 'VALIDATION_FAILED', ['limit']],
    ['limit=99999999999999999999', list('limit=99999999999999999999'), 400, 'VALIDATION_FAILED', ['limit']],
    ['limit=ten', list('limit=ten'), 400, 'VALIDATION_FAILED', ['limit']],
    ['limit=2.5', list('limit=2.5'), 400, 'VALIDATION_FAILED', ['limit']],
    ['limit given twice', list('limit=1&limit=2'), 400, 'VALIDATION_FAILED', ['limit']],
    ['a garbage cursor', list('cursor=garbage!'), 400, 'VALIDATION_FAILED', ['cursor']],
    ['a forged cursor with a non-UUID id', list(`cursor=${cursorOf(['2024-01-01T00:00:00.000Z', '-'.repeat(36)])}`), 400, 'VALIDATION_FAILED', ['cursor']],
    ['a forged cursor with an unparseable time', list(`cursor=${cursorOf(['1', randomUUID()])}`), 400, 'VALIDATION_FAILED', ['cursor']],
    ['a forged cursor past year 9999', list(`cursor=${cursorOf(['+275760-09-13T00:00:00.000Z', randomUUID()])}`), 400, 'VALIDATION_FAILED', ['cursor']],
    ['a cursor of the wrong shape', list(`cursor=${cursorOf({ createdAt: '2024-01-01T00:00:00.000Z' })}`), 400, 'VALIDATION_FAILED', ['cursor']],
    ['an unknown query parameter', list('sort=name'), 400, 'VALIDATION_FAILED', ['sort']],
    ['an attribute filter without a colon', list('attribute=tier'), 400, 'VALIDATION_FAILED', ['attribute']],
    ['a search text with a NUL character', list('q=%00'), 400, 'VALIDATION_FAILED', ['q']],
    ['a tag filter with a NUL character', list('tag=vip%00'), 400, 'VALIDATION_FAILED', ['tag']],
    ['a search text over 200 characters', list(`q=${'x'.repeat(201)}`), 400, 'VALIDATION_FAILED', ['q']],
  ];

  const badRoutes: Case[] = [
    ['an unknown route', () => t.http.get('/no-such-thing').set(t.auth('viewer')), 404, 'NOT_FOUND', []],
    ['an unknown route without a key', () => t.http.get('/no-such-thing'), 404, 'NOT_FOUND', []],
    ['an unknown sub-resource', () => t.http.post(`/contacts/${existingId}/merge`).set(t.auth('marketer')).send({}), 404, 'NOT_FOUND', []],
    ['PUT, which the API does not offer', () => t.http.put(`/contacts/${existingId}`).set(t.auth('marketer')).send(valid()), 404, 'NOT_FOUND', []],
    ['OPTIONS', () => t.http.options('/contacts').set(t.auth('viewer')), 404, 'NOT_FOUND', []],
  ];

  describe.each([
    ['wrong types', wrongTypes],
    ['unknown and forbidden fields', unknownFields],
    ['oversized input', oversized],
    ['bodies that are not a JSON object', unreadableBodies],
    ['invalid values', badValues],
    ['bad writes to an existing contact', againstTheExistingContact],
    ['bad paths', badPaths],
    ['bad list queries', badQueries],
    ['unknown routes and methods', badRoutes],
  ])('%s', (_group, cases) => {
    it.each(cases.map(([name, send, status, error, fields]) => ({ name, send, status, error, fields })))(
      '$name → $status $error',
      async ({ send, status, error, fields }) => {
        expectApiError(await send(), status, error, fields);
      },
    );
  });

  it('answers HEAD like GET, without a body and without a 5xx', async () => {
    const ok = await t.http.head(`/contacts/${existingId}`).set(t.auth('viewer'));
    expect(ok.status).toBe(200);
    expect(ok.text ?? '').toBe('');
    const bad = await t.http.head('/contacts/not-a-uuid').set(t.auth('viewer'));
    expect(bad.status).toBe(400);
    const unauthenticated = await t.http.head('/contacts');
    expect(unauthenticated.status).toBe(401);
  });

  it('treats a PATCH with an empty object as a no-op: 200, the contact as it was, nothing audited', async () => {
    const res = await t.http.patch(`/contacts/${existingId}`).set(t.auth('marketer')).send({}).expect(200);
    expect(res.text).toBe(existingBefore);
  });

  it('afterwards, the existing contact is byte-for-byte unchanged and nothing new was written', async () => {
    const after = await t.http.get(`/contacts/${existingId}`).set(t.auth('viewer')).expect(200);
    expect(after.text).toBe(existingBefore);
    const history = await t.http.get(`/contacts/${existingId}/consent-history`).set(t.auth('viewer')).expect(200);
    expect(history.text).toBe(historyBefore);

    // Every write through the API is audited in its own transaction with the key that made it.
    expect(await auditRowsOfThisSuite()).toBe(auditBefore);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE family_name = $1`, [marker]);
    expect(n).toBe(1);
    const [{ consent }] = await t.db.query(`SELECT count(*)::int AS consent FROM contact_consent_events WHERE contact_id = $1`, [existingId]);
    expect(consent).toBe(1);
  });
});
