import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { contactInput } from '../factories/contact.factory';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Issue 4's acceptance: a personalised template, in Chinese and in English, sent to a real SMTP
 * server with both RFC 8058 headers under a DKIM signature; and, with no provider configured, one
 * test send per channel that a newcomer finds as real files under the outbox directory.
 */
const PUBLIC_BASE_URL = 'https://care.tidings.test';

/** A header exactly as sent (mailparser folds List-* headers into an object of its own). */
function headerLine(mail: Awaited<ReturnType<typeof simpleParser>>, key: string): string | undefined {
  return mail.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n\s+/g, ' ');
}

describe('test sends', () => {
  describe('through a real SMTP server, DKIM-signed', () => {
    let t: TestApp;
    let sink: SmtpSink;

    beforeAll(async () => {
      sink = await SmtpSink.start();
      const dir = mkdtempSync(join(tmpdir(), 'tidings-dkim-'));
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      t = await createTestApp({
        SMTP_URL: sink.url,
        PUBLIC_BASE_URL,
        MAIL_FROM: 'BMW Care <care@tidings.test>',
        DKIM_DOMAIN: 'tidings.test',
        DKIM_SELECTOR: 'care',
        DKIM_PRIVATE_KEY_FILE: join(dir, 'dkim.pem'),
        OUTBOX_DIR: dir,
      });
    });
    afterAll(async () => {
      await t.close();
      await sink.close();
      for (const name of ['SMTP_URL', 'PUBLIC_BASE_URL', 'MAIL_FROM', 'DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY_FILE', 'OUTBOX_DIR']) delete process.env[name];
    });

    async function contactWhoLikes(drink: string, fields: Record<string, unknown>): Promise<{ id: string; email: string }> {
      const input = contactInput(fields);
      const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);
      await t.http
        .post(`/contacts/${body.id}/preferences`)
        .set(t.auth('marketer'))
        .send({ preferences: [{ key: 'drink', value: drink, source: 'web_form' }] })
        .expect(201);
      return { id: body.id, email: input.email as string };
    }

    async function sendAndReceive(templateId: string, contact: { id: string; email: string }) {
      const before = sink.messages.length;
      const { body } = await t.http
        .post(`/templates/${templateId}/test-send`)
        .set(t.auth('marketer'))
        .send({ contactId: contact.id, extra: { age: 47 } })
        .expect(200);
      expect(body).toMatchObject({ channel: 'email', to: contact.email, provider: 'smtp', outcome: { status: 'sent' } });
      expect(sink.messages).toHaveLength(before + 1);
      const raw = sink.messages[before].raw;
      return { body, raw, mail: await simpleParser(raw) };
    }

    function expectUnsubscribeHeadersSigned(raw: Buffer, mail: Awaited<ReturnType<typeof simpleParser>>) {
      expect(headerLine(mail, 'list-unsubscribe')).toMatch(new RegExp(`^List-Unsubscribe: <${PUBLIC_BASE_URL}/unsubscribe/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+>$`));
      expect(headerLine(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      const signature = /^DKIM-Signature:([\s\S]*?)\r\n(?=\S)/im.exec(raw.toString('latin1'))?.[1].replace(/\s+/g, '') ?? '';
      expect(signature).toContain('d=tidings.test');
      const signed = (/(?:^|;)h=([^;]+)/.exec(signature)?.[1] ?? '').toLowerCase().split(':');
      expect(signed).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post', 'from', 'subject']));
    }

    it('sends the Chinese birthday e-mail with her name, her tea, 47 candles and one-click unsubscribe', async () => {
      const wang = await contactWhoLikes('tea', { givenName: '芳', familyName: '王', formOfAddress: '王女士', locale: 'zh-CN' });
      const { raw, mail, body } = await sendAndReceive('file:email:birthday.zh-CN.a', wang);
      expect(mail.subject).toBe('尊敬的王女士，生日快乐！');
      expect(mail.html).toContain('王女士');
      expect(mail.html).toContain('茶');
      expect(((mail.html as string).match(/🕯/gu) ?? []).length).toBe(47);
      expect(mail.text).toContain('王女士');
      expect(mail.messageId).toBe(body.outcome.providerMessageId);
      expectUnsubscribeHeadersSigned(raw, mail);
      const { body: record } = await t.http.get(`/messages/${body.messageId}`).set(t.auth('viewer')).expect(200);
      expect(record).toMatchObject({ channel: 'email', purpose: 'test', status: 'sent', templateKey: 'birthday', locale: 'zh-CN', contactId: wang.id });
    });

    it('sends the English one with his form of address and his coffee', async () => {
      const miller = await contactWhoLikes('coffee', { givenName: 'Bob', familyName: 'Miller', formOfAddress: 'Mr Miller', locale: 'en' });
      const { raw, mail } = await sendAndReceive('file:email:birthday.en.a', miller);
      expect(mail.subject).toBe('Happy birthday, Bob!');
      expect(mail.html).toContain('Mr Miller');
      expect(mail.html).toContain('coffee');
      expect(mail.text).toMatch(/Mr Miller/);
      expect(mail.text).toMatch(/coffee/);
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('Bob Miller');
      expectUnsubscribeHeadersSigned(raw, mail);
    });

    it('refuses a bad address with the field and the reason, sending nothing', async () => {
      const before = sink.messages.length;
      const { body } = await t.http
        .post('/templates/file:email:birthday.en.a/test-send')
        .set(t.auth('marketer'))
        .send({ to: 'not an address' })
        .expect(400);
      expect(body.details).toEqual([{ field: 'to', problem: 'must be an e-mail address' }]);
      expect(sink.messages).toHaveLength(before);
    });
  });

  describe('with no provider configured', () => {
    let t: TestApp;
    let outbox: string;

    beforeAll(async () => {
      outbox = mkdtempSync(join(tmpdir(), 'tidings-outbox-'));
      t = await createTestApp({ OUTBOX_DIR: outbox, SMTP_URL: undefined, TWILIO_ACCOUNT_SID: undefined, TWILIO_AUTH_TOKEN: undefined, TWILIO_FROM: undefined });
    });
    afterAll(async () => {
      await t.close();
      delete process.env.OUTBOX_DIR;
    });

    it('writes one test send per channel under the outbox directory', async () => {
      const input = contactInput({ locale: 'en', givenName: 'Carl', familyName: 'Becker', formOfAddress: 'Mr Becker' });
      const { body: contact } = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);

      const email = await t.http.post('/templates/file:email:welcome.en.default/test-send').set(t.auth('marketer')).send({ contactId: contact.id }).expect(200);
      expect(email.body).toMatchObject({ channel: 'email', provider: 'file', outcome: { status: 'sent' } });
      const emls = readdirSync(join(outbox, 'email')).filter((f) => f.endsWith('.eml'));
      expect(emls).toHaveLength(1);
      const eml = await simpleParser(readFileSync(join(outbox, 'email', emls[0])));
      expect(eml.to && 'text' in eml.to ? eml.to.text : '').toContain(input.email as string);
      expect(headerLine(eml, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

      const sms = await t.http.post('/templates/file:sms:birthday.en.default/test-send').set(t.auth('marketer')).send({ contactId: contact.id, extra: { age: 30 } }).expect(200);
      expect(sms.body).toMatchObject({ channel: 'sms', provider: 'file', to: input.phone, outcome: { status: 'sent' } });
      const lines = readFileSync(join(outbox, 'sms.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ to: input.phone });
      expect(lines[0].body).toContain('Mr Becker');

      const mail = await t.http.post('/templates/file:mail:birthday.en.default/test-send').set(t.auth('marketer')).send({ contactId: contact.id }).expect(200);
      expect(mail.body).toMatchObject({ channel: 'mail', letters: 1, skipped: [] });
      expect(existsSync(join(outbox, 'mail', mail.body.batchId, 'letters.pdf'))).toBe(true);
      expect(readFileSync(join(outbox, 'mail', mail.body.batchId, 'letters.csv'), 'utf8')).toContain('Becker');
    });
  });
});
