import { Global, LoggerService, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { simpleParser, ParsedMail } from 'mailparser';
import { createHash, generateKeyPairSync, KeyObject, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMAIL_CHANNEL, EmailMessage, MessageChannel, SendOutcome } from '../../src/channels/channel.types';
import { createEmailChannel, EmailChannelModule } from '../../src/channels/email/email-channel.module';
import { FileEmailChannel } from '../../src/channels/email/file-email.channel';
import { SmtpEmailChannel } from '../../src/channels/email/smtp-email.channel';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { SmtpSink } from '../support/smtp-sink';

const MAIL_FROM = 'Tidings Care <care@tidings.example>';
const UNSUBSCRIBE = 'https://care.tidings.example/unsubscribe/eyJwIjoidW5zdWJzY3JpYmUiLCJjIjoiNDIifQ.Zm9vYmFyLWJhei1zaWduYXR1cmU';

let sequence = 0;
/** A fresh id per message, in the shape of messages.id. */
const nextId = () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;

const chineseBirthday = (): EmailMessage => ({
  messageId: nextId(),
  to: 'wei.li@example.cn',
  toName: '李伟',
  subject: '李伟，祝您生日快乐！🎂 中秋节也快到了',
  html:
    '<html><head><style>.greet { color: #b22222; font-weight: bold } .offer a { color: #0a5 }</style></head><body>' +
    '<p class="greet">亲爱的李伟先生：</p><p>感谢您一直以来对我们的支持。今年您满 36 岁，我们为您准备了一份小礼物。</p>' +
    '<p class="offer"><a href="https://shop.tidings.example/gift?c=42&amp;o=birthday">领取生日礼物</a></p></body></html>',
  unsubscribeUrl: UNSUBSCRIBE,
  headers: { 'X-Campaign': 'birthday-2026', From: 'spoofed@evil.example' },
});

const englishFollowUp = (): EmailMessage => ({
  messageId: nextId(),
  to: 'anna.berg@example.com',
  toName: 'Anna Berg',
  subject: 'How is the new espresso machine, Anna?',
  html: '<style>h1 { font-size: 20px }</style><h1>Hello Anna</h1><p>Two weeks ago you took home the Duo. Is it pulling good shots?</p>',
  text: 'Hello Anna\n\nTwo weeks ago you took home the Duo. Is it pulling good shots?',
  unsubscribeUrl: 'https://care.tidings.example/unsubscribe/anna-token',
});

function smtpConfig(url: string, extra: Record<string, string> = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', SMTP_URL: url, SMTP_POOL_SIZE: '5', MAIL_FROM, ...extra });
}

const quiet = { log: () => undefined } as never;

/** The raw header section of a message, one entry per field with its folding kept. */
function headerFields(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head.split(/\r\n(?![ \t])/);
}

function headerLine(parsed: ParsedMail, name: string): string | undefined {
  return parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
}

function expectSent(outcome: SendOutcome): string {
  if (outcome.status !== 'sent') throw new Error(`expected sent, got ${JSON.stringify(outcome)}`);
  return outcome.providerMessageId;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * DKIM verification per RFC 6376 for c=relaxed/relaxed with rsa-sha256, done here with node:crypto
 * so the test does not trust the signer to check itself.
 */
function verifyDkim(raw: Buffer, publicKey: KeyObject): { tags: Record<string, string>; bodyHashMatches: boolean; signatureValid: boolean } {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const fields = text.slice(0, split).split(/\r\n(?![ \t])/);
  const body = text.slice(split + 4);
  const signatureField = fields.find((f) => /^dkim-signature\s*:/i.test(f));
  if (!signatureField) throw new Error('no DKIM-Signature header');
  const tags = Object.fromEntries(
    signatureField
      .slice(signatureField.indexOf(':') + 1)
      .split(';')
      .map((tag) => tag.replace(/\s+/g, ''))
      .filter(Boolean)
      .map((tag) => [tag.slice(0, tag.indexOf('=')), tag.slice(tag.indexOf('=') + 1)]),
  );
  if (tags.c !== 'relaxed/relaxed' || tags.a !== 'rsa-sha256') throw new Error(`unexpected c=${tags.c} a=${tags.a}`);

  const lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const canonicalBody = lines.length ? lines.join('\r\n') + '\r\n' : '';
  const bodyHash = createHash('sha256').update(Buffer.from(canonicalBody, 'latin1')).digest('base64');

  const relaxed = (field: string) => {
    const colon = field.indexOf(':');
    const value = field.slice(colon + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim();
    return `${field.slice(0, colon).trim().toLowerCase()}:${value}`;
  };
  // Each name in h= takes the next instance from the bottom (RFC 6376 §5.4.2).
  const used = new Set<number>();
  let signedData = '';
  for (const name of tags.h.toLowerCase().split(':')) {
    for (let i = fields.length - 1; i >= 0; i--) {
      if (!used.has(i) && fields[i].slice(0, fields[i].indexOf(':')).trim().toLowerCase() === name) {
        used.add(i);
        signedData += relaxed(fields[i]) + '\r\n';
        break;
      }
    }
  }
  signedData += relaxed(signatureField.replace(/(^|;)(\s*b\s*=)[^;]*/, '$1$2'));
  const signatureValid = verify('RSA-SHA256', Buffer.from(signedData, 'latin1'), publicKey, Buffer.from(tags.b, 'base64'));
  return { tags, bodyHashMatches: bodyHash === tags.bh, signatureValid };
}

describe('e-mail channel (e2e, real smtp-server on loopback)', () => {
  let sink: SmtpSink;
  let channel: SmtpEmailChannel;
  const logged: string[] = [];

  beforeAll(async () => {
    sink = await SmtpSink.start();
    channel = createEmailChannel(smtpConfig(sink.url), { log: (line: string) => logged.push(line) } as never) as SmtpEmailChannel;
  });

  afterAll(async () => {
    channel.close();
    await sink.close();
  });

  beforeEach(() => sink.reset());

  it('chooses SMTP when SMTP_URL is set and says so at start-up', () => {
    expect(channel).toBeInstanceOf(SmtpEmailChannel);
    expect(channel.provider).toBe('smtp');
    expect(logged).toEqual([`E-mail provider: SMTP smtp://127.0.0.1:${sink.port} (pool 5)`]);
  });

  it('delivers a Chinese and an English message with subject, HTML, text, inlined CSS, To name, Message-ID and both unsubscribe headers', async () => {
    const zh = chineseBirthday();
    const en = englishFollowUp();
    const [zhId, enId] = (await Promise.all([channel.send(zh), channel.send(en)])).map(expectSent);
    expect(sink.messages).toHaveLength(2);
    const received = await Promise.all(sink.messages.map((m) => simpleParser(m.raw)));
    const zhMail = received.find((m) => m.messageId === zhId)!;
    const enMail = received.find((m) => m.messageId === enId)!;
    expect(zhId).toBe(`<${zh.messageId}@tidings.example>`);
    expect(enId).toBe(`<${en.messageId}@tidings.example>`);

    expect(zhMail.subject).toBe(zh.subject);
    expect(zhMail.from?.value).toEqual([{ name: 'Tidings Care', address: 'care@tidings.example' }]);
    expect(zhMail.to).toMatchObject({ value: [{ name: '李伟', address: 'wei.li@example.cn' }] });
    expect(zhMail.html).toContain('<p class="greet" style="color: #b22222; font-weight: bold;">亲爱的李伟先生：</p>');
    expect(zhMail.html).toContain('<a href="https://shop.tidings.example/gift?c=42&amp;o=birthday" style="color: #0a5;">');
    expect(zhMail.html).not.toContain('<style');
    // Generated text part: readable, with the link URL kept.
    expect(zhMail.text).toContain('亲爱的李伟先生：');
    expect(zhMail.text).toContain('今年您满 36 岁');
    expect(zhMail.text).toContain('领取生日礼物 [https://shop.tidings.example/gift?c=42&o=birthday]');
    expect(headerLine(zhMail, 'List-Unsubscribe')).toBe(`List-Unsubscribe: <${UNSUBSCRIBE}>`);
    expect(headerLine(zhMail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headerLine(zhMail, 'X-Campaign')).toBe('X-Campaign: birthday-2026');
    expect(zhMail.headerLines.filter((h) => h.key === 'from')).toHaveLength(1);

    expect(enMail.subject).toBe('How is the new espresso machine, Anna?');
    expect(enMail.to).toMatchObject({ value: [{ name: 'Anna Berg', address: 'anna.berg@example.com' }] });
    expect(enMail.text).toBe(en.text);
    expect(enMail.html).toContain('<h1 style="font-size: 20px;">Hello Anna</h1>');
    expect(headerLine(enMail, 'List-Unsubscribe')).toBe('List-Unsubscribe: <https://care.tidings.example/unsubscribe/anna-token>');
    expect(headerLine(enMail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    // Headers are 7-bit on the wire: the Chinese subject and name travel as RFC 2047 encoded words.
    const zhRaw = sink.messages.find((m) => m.raw.includes(zh.messageId))!;
    const zhHeaders = headerFields(zhRaw.raw);
    expect([...zhHeaders.join('\n')].filter((c) => c.charCodeAt(0) > 0x7f)).toEqual([]);
    expect(zhHeaders.find((f) => f.startsWith('Subject:'))).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/);
    expect(zhRaw.to).toEqual(['wei.li@example.cn']);
    expect(zhRaw.from).toBe('care@tidings.example');
  });

  it('leaves both unsubscribe headers out when the message has no unsubscribe URL', async () => {
    expectSent(await channel.send({ ...englishFollowUp(), unsubscribeUrl: null }));
    const mail = await simpleParser(sink.messages[0].raw);
    expect(headerLine(mail, 'List-Unsubscribe')).toBeUndefined();
    expect(headerLine(mail, 'List-Unsubscribe-Post')).toBeUndefined();
  });

  it('reports a 4xx reply as transient with its code and text, and a 5xx as permanent with the server text', async () => {
    sink.refuse('busy@example.com', 450, '4.2.1 mailbox busy, try again later');
    sink.refuse('gone@example.com', 550, '5.1.1 mailbox unknown');
    const busy = await channel.send({ ...englishFollowUp(), to: 'busy@example.com' });
    const gone = await channel.send({ ...englishFollowUp(), to: 'gone@example.com' });
    expect(busy).toMatchObject({ status: 'transient', code: '450', error: '450 4.2.1 mailbox busy, try again later' });
    expect(gone).toMatchObject({ status: 'permanent', code: '550', error: '550 5.1.1 mailbox unknown' });
    // A refused recipient does not spoil the pooled connection for the next message.
    expectSent(await channel.send(englishFollowUp()));
    expect(sink.messages).toHaveLength(1);
  });

  it('reports a connection dropped before DATA as transient and one dropped after the data arrived as ambiguous', async () => {
    sink.dropConnection('cut@example.com', 'at-rcpt');
    sink.dropConnection('lost-reply@example.com', 'after-data');
    const early = await channel.send({ ...englishFollowUp(), to: 'cut@example.com' });
    const late = await channel.send({ ...englishFollowUp(), to: 'lost-reply@example.com' });
    expect(early).toMatchObject({ status: 'transient', code: 'ECONNECTION' });
    expect(late).toMatchObject({ status: 'ambiguous', code: 'ECONNECTION' });
    // The relay did get the whole message in the ambiguous case: a blind retry would duplicate it.
    expect(sink.unanswered.map((m) => m.to)).toEqual([['lost-reply@example.com']]);
    expectSent(await channel.send(englishFollowUp()));
  });

  it('reports a relay that is down as transient', async () => {
    const down = createEmailChannel(smtpConfig(`smtp://127.0.0.1:${await closedPort()}`), quiet) as SmtpEmailChannel;
    try {
      expect(await down.send(englishFollowUp())).toMatchObject({ status: 'transient', code: 'ECONNREFUSED' });
    } finally {
      down.close();
    }
  });

  it('refuses a message it cannot build as permanent without touching the relay', async () => {
    const outcome = await channel.send({ ...englishFollowUp(), to: 'not an address' });
    expect(outcome).toMatchObject({ status: 'permanent', code: 'EINVALID' });
    expect(sink.connectionsAccepted).toBe(0);
  });

  it('delivers 200 messages through a pool of 5 connections, each exactly once', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({ ...(i % 2 ? englishFollowUp() : chineseBirthday()) }));
    const started = process.hrtime.bigint();
    const outcomes = await Promise.all(messages.map((m) => channel.send(m)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(outcomes.filter((o) => o.status !== 'sent')).toEqual([]);

    const perId = new Map<string, number>();
    for (const m of sink.messages) {
      const id = /^Message-ID: (<[^>]+>)/im.exec(m.raw.toString('latin1'))![1];
      perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    expect(sink.messages).toHaveLength(200);
    expect(perId.size).toBe(200);
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(outcomes.map(expectSent))).toEqual(new Set(perId.keys()));
    expect(sink.maxOpenConnections).toBeLessThanOrEqual(5);
    console.log(
      `SMTP pool: 200 messages in ${seconds.toFixed(3)} s = ${(200 / seconds).toFixed(0)} messages/s over ` +
        `${sink.connectionsAccepted} new connection(s), at most ${sink.maxOpenConnections} open at once`,
    );
  });
});

describe('e-mail channel with DKIM (e2e)', () => {
  let sink: SmtpSink;
  let dir: string;
  let publicKey: KeyObject;
  let dkimEnv: Record<string, string>;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    dir = mkdtempSync(join(tmpdir(), 'tidings-dkim-'));
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicKey = pair.publicKey;
    writeFileSync(join(dir, 'dkim.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    dkimEnv = { DKIM_DOMAIN: 'tidings.example', DKIM_SELECTOR: 'care2026', DKIM_PRIVATE_KEY_FILE: join(dir, 'dkim.pem') };
  });

  afterAll(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs both unsubscribe headers, and the signature verifies with the public key', async () => {
    const logged: string[] = [];
    const channel = createEmailChannel(smtpConfig(sink.url, dkimEnv), { log: (l: string) => logged.push(l) } as never) as SmtpEmailChannel;
    let raw: Buffer;
    try {
      expect(logged[0]).toMatch(/, DKIM d=tidings\.example s=care2026$/);
      expectSent(await channel.send(chineseBirthday()));
      raw = sink.messages[0].raw;
      // The signer reads the whole message before DATA; that read must not pass for the body leaving.
      sink.dropConnection('cut@example.com', 'at-rcpt');
      sink.dropConnection('lost-reply@example.com', 'after-data');
      expect(await channel.send({ ...chineseBirthday(), to: 'cut@example.com' })).toMatchObject({ status: 'transient' });
      expect(await channel.send({ ...chineseBirthday(), to: 'lost-reply@example.com' })).toMatchObject({ status: 'ambiguous' });
    } finally {
      channel.close();
    }
    const { tags, bodyHashMatches, signatureValid } = verifyDkim(raw, publicKey);
    const signed = tags.h.toLowerCase().split(':');
    expect(signed).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']));
    expect(tags).toMatchObject({ d: 'tidings.example', s: 'care2026', c: 'relaxed/relaxed' });
    expect(bodyHashMatches).toBe(true);
    expect(signatureValid).toBe(true);

    // The verifier can fail: a changed List-Unsubscribe-Post or body breaks the signature.
    const forgedPost = Buffer.from(raw.toString('latin1').replace('List-Unsubscribe=One-Click', 'List-Unsubscribe=Two-Click'), 'latin1');
    expect(verifyDkim(forgedPost, publicKey).signatureValid).toBe(false);
    const text = raw.toString('latin1');
    const split = text.indexOf('\r\n\r\n') + 4;
    const forgedBody = Buffer.from(text.slice(0, split) + text.slice(split).replace(/=/, '=3D'), 'latin1');
    expect(verifyDkim(forgedBody, publicKey).bodyHashMatches).toBe(false);
  });

  it('refuses to start with a key file that is missing or not a private key', () => {
    writeFileSync(join(dir, 'public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    expect(() => createEmailChannel(smtpConfig(sink.url, { ...dkimEnv, DKIM_PRIVATE_KEY_FILE: join(dir, 'missing.pem') }), quiet)).toThrow(
      /DKIM_PRIVATE_KEY_FILE=.*missing\.pem.*cannot be read \(ENOENT\)/,
    );
    expect(() => createEmailChannel(smtpConfig(sink.url, { ...dkimEnv, DKIM_PRIVATE_KEY_FILE: join(dir, 'public.pem') }), quiet)).toThrow(
      /not a PEM private key/,
    );
  });

  it('writes a signed .eml in the file channel that verifies the same way', async () => {
    const outbox = mkdtempSync(join(tmpdir(), 'tidings-outbox-'));
    try {
      const channel = createEmailChannel(loadConfig({ NODE_ENV: 'test', OUTBOX_DIR: outbox, MAIL_FROM, ...dkimEnv }), quiet);
      expectSent(await channel.send(chineseBirthday()));
      const [file] = readdirSync(join(outbox, 'email'));
      const result = verifyDkim(readFileSync(join(outbox, 'email', file)), publicKey);
      expect(result.tags.h.toLowerCase().split(':')).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']));
      expect(result).toMatchObject({ bodyHashMatches: true, signatureValid: true });
    } finally {
      rmSync(outbox, { recursive: true, force: true });
    }
  });
});

describe('e-mail file channel (no SMTP_URL)', () => {
  let outbox: string;
  let sink: SmtpSink;

  beforeAll(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'tidings-outbox-'));
    sink = await SmtpSink.start();
  });

  afterAll(async () => {
    await sink.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('writes the complete message as <timestamp>-<messageId>.eml with the same headers as over SMTP', async () => {
    const logged: string[] = [];
    const channel = createEmailChannel(loadConfig({ NODE_ENV: 'test', OUTBOX_DIR: outbox, MAIL_FROM }), { log: (l: string) => logged.push(l) } as never);
    expect(channel).toBeInstanceOf(FileEmailChannel);
    expect(channel.provider).toBe('file');
    expect(logged).toEqual([`E-mail provider: files in ${join(outbox, 'email')} (no SMTP_URL)`]);

    const message = chineseBirthday();
    const providerMessageId = expectSent(await channel.send(message));
    const files = readdirSync(join(outbox, 'email'));
    expect(files).toHaveLength(1); // no temporary file left behind
    expect(files[0]).toMatch(new RegExp(`^\\d{8}T\\d{9}Z-${message.messageId}\\.eml$`));
    const fromFile = await simpleParser(readFileSync(join(outbox, 'email', files[0])));
    expect(fromFile.messageId).toBe(providerMessageId);
    expect(fromFile.subject).toBe(message.subject);
    expect(fromFile.to).toMatchObject({ value: [{ name: '李伟', address: 'wei.li@example.cn' }] });
    expect(fromFile.html).toContain('style="color: #b22222; font-weight: bold;"');
    expect(fromFile.text).toContain('领取生日礼物 [https://shop.tidings.example/gift?c=42&o=birthday]');
    expect(headerLine(fromFile, 'List-Unsubscribe')).toBe(`List-Unsubscribe: <${UNSUBSCRIBE}>`);
    expect(headerLine(fromFile, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    // The same message through SMTP carries the same header fields with the same values.
    const smtp = createEmailChannel(smtpConfig(sink.url), quiet) as SmtpEmailChannel;
    try {
      expectSent(await smtp.send(message));
    } finally {
      smtp.close();
    }
    const overSmtp = await simpleParser(sink.messages[0].raw);
    const comparable = (mail: ParsedMail) =>
      Object.fromEntries(
        mail.headerLines
          .filter((h) => !['date', 'content-type'].includes(h.key)) // content-type carries a random MIME boundary
          .map((h) => [h.key, h.line]),
      );
    expect(comparable(fromFile)).toEqual(comparable(overSmtp));
    expect(fromFile.text).toBe(overSmtp.text);
    expect(fromFile.html).toBe(overSmtp.html);
  });
});

describe('EmailChannelModule', () => {
  it('provides the configured channel, logs the relay without its password, and closes the pool on shutdown', async () => {
    const sink = await SmtpSink.start();
    const config = loadConfig({ NODE_ENV: 'test', SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${sink.port}`, SMTP_POOL_SIZE: '3', MAIL_FROM });
    @Global()
    @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
    class TestConfigModule {}
    const lines: string[] = [];
    const logger: LoggerService = { log: (m: string) => lines.push(m), error: () => undefined, warn: () => undefined };
    const moduleRef = await Test.createTestingModule({ imports: [TestConfigModule, EmailChannelModule] })
      .setLogger(logger)
      .compile();
    try {
      const channel = moduleRef.get<MessageChannel<EmailMessage>>(EMAIL_CHANNEL);
      expect(channel).toBeInstanceOf(SmtpEmailChannel);
      expect(lines).toContain(`E-mail provider: SMTP smtp://127.0.0.1:${sink.port} (pool 3)`);
      expect(lines.join('\n')).not.toContain('s3cret');
      expectSent(await channel.send(englishFollowUp()));
      expect(sink.openConnections).toBe(1);
      await moduleRef.close();
      await sink.idle(); // the pool said QUIT: nothing is left open on the relay
      expect(sink.openConnections).toBe(0);
    } finally {
      await sink.close();
    }
  }, 15_000);
});
