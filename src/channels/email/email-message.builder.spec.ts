import type { EmailMessage } from '../channel.types';
import { buildMailOptions, InvalidEmailError, parseSender } from './email-message.builder';

const sender = parseSender('Tidings Care <care@Tidings.Example>');

const base: EmailMessage = {
  messageId: '0b9f7c1e-5d2a-4c51-9a61-3f1f0d2c7a10',
  to: 'wei.li@example.cn',
  toName: '李伟',
  subject: '生日快乐',
  html: '<style>.greet { color: #b22222 }</style><p class="greet">亲爱的李伟：</p><p><a href="https://shop.example/gift?c=1&amp;d=2">领取礼物</a></p>',
};

describe('parseSender', () => {
  it('reads name, address and the Message-ID domain from MAIL_FROM', () => {
    expect(sender).toEqual({ name: 'Tidings Care', address: 'care@Tidings.Example', domain: 'tidings.example' });
    expect(parseSender('care@localhost')).toEqual({ name: '', address: 'care@localhost', domain: 'localhost' });
  });

  it('refuses a MAIL_FROM without exactly one address', () => {
    expect(() => parseSender('Tidings')).toThrow(/MAIL_FROM/);
    expect(() => parseSender('a@example.com, b@example.com')).toThrow(/exactly one/);
  });
});

describe('buildMailOptions', () => {
  it('mints <messageId@sender-domain> as the Message-ID', () => {
    expect(buildMailOptions(base, sender).messageId).toBe('<0b9f7c1e-5d2a-4c51-9a61-3f1f0d2c7a10@tidings.example>');
  });

  it('inlines the <style> rules into style attributes and drops the block', () => {
    const html = buildMailOptions(base, sender).html as string;
    expect(html).toContain('<p class="greet" style="color: #b22222;">');
    expect(html).not.toContain('<style');
  });

  it('generates the text part from the HTML, with the link URL written out, unless one is given', () => {
    expect(buildMailOptions(base, sender).text).toBe('亲爱的李伟：\n\n领取礼物 [https://shop.example/gift?c=1&d=2]');
    expect(buildMailOptions({ ...base, text: 'Own text' }, sender).text).toBe('Own text');
    expect(buildMailOptions({ ...base, text: '  ' }, sender).text).toContain('亲爱的李伟');
  });

  it('sets both RFC 8058 headers with the URL exactly as given, and neither without a URL', () => {
    const url = 'https://care.example/unsubscribe/eyJwIjoidW5zdWIifQ.c2ln-_~';
    expect(buildMailOptions({ ...base, unsubscribeUrl: url }, sender).headers).toEqual({
      'List-Unsubscribe': { prepared: true, value: `<${url}>` },
      'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
    });
    expect(buildMailOptions(base, sender).headers).toEqual({});
  });

  it('passes extra headers but never lets them replace the ones the channel sets', () => {
    const headers = buildMailOptions(
      { ...base, unsubscribeUrl: 'https://care.example/u/t', headers: { 'X-Campaign': 'mid\r\nautumn', From: 'evil@example.com', 'list-unsubscribe': '<https://evil.example>' } },
      sender,
    ).headers as Record<string, unknown>;
    expect(headers['X-Campaign']).toBe('mid autumn');
    expect(headers.From).toBeUndefined();
    expect(headers['list-unsubscribe']).toBeUndefined();
    expect(headers['List-Unsubscribe']).toEqual({ prepared: true, value: '<https://care.example/u/t>' });
  });

  it.each([
    [{ to: 'Wei Li <wei.li@example.cn>' }, 'to'],
    [{ to: 'a@example.com, b@example.com' }, 'to'],
    [{ subject: 'Hi\r\nBcc: victim@example.com' }, 'subject'],
    [{ messageId: 'id with space' }, 'messageId'],
    [{ unsubscribeUrl: 'javascript:alert(1)' }, 'unsubscribeUrl'],
    [{ unsubscribeUrl: 'https://care.example/u/a>b' }, 'unsubscribeUrl'],
    [{ unsubscribeUrl: 'https://care.example/退订' }, 'unsubscribeUrl'],
    [{ headers: { 'Bad Name': 'x' } }, 'headers.Bad Name'],
  ])('refuses %j naming %s', (change, field) => {
    expect(() => buildMailOptions({ ...base, ...change } as EmailMessage, sender)).toThrow(InvalidEmailError);
    try {
      buildMailOptions({ ...base, ...change } as EmailMessage, sender);
    } catch (error) {
      expect((error as InvalidEmailError).field).toBe(field);
    }
  });
});
