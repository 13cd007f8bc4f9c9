import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSmsChannel } from './file-sms.channel';

describe('FileSmsChannel', () => {
  it('creates the outbox directory on first use', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tidings-sms-')), 'nested', 'outbox');
    const outcome = await new FileSmsChannel(dir).send({ messageId: 'abc', to: '+8613800000000', body: '中秋快乐' });
    expect(outcome).toEqual({ status: 'sent', providerMessageId: 'file-abc', details: { encoding: 'UCS-2', segments: 1, characters: 4, file: join(dir, 'sms.jsonl') } });
    expect(JSON.parse(readFileSync(join(dir, 'sms.jsonl'), 'utf8'))).toMatchObject({ messageId: 'abc', body: '中秋快乐' });
  });

  it('is transient when the outbox cannot be written', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'tidings-sms-')), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const outcome = await new FileSmsChannel(blocker).send({ messageId: 'abc', to: '+8613800000000', body: 'Hi' });
    expect(outcome).toMatchObject({ status: 'transient' });
  });
});

describe('FileSmsChannel numbers', () => {
  it('refuses a number that is not E.164, as Twilio would, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-sms-'));
    const outcome = await new FileSmsChannel(dir).send({ messageId: 'abc', to: '138 0000 0000', body: 'Hi' });
    expect(outcome).toMatchObject({ status: 'permanent', code: 'INVALID_NUMBER' });
    expect(() => readFileSync(join(dir, 'sms.jsonl'))).toThrow(/ENOENT/);
  });
});
