import { keywordReply, smsKeyword } from './sms-keywords';

describe('smsKeyword', () => {
  it.each(['STOP', 'stop', ' Stop ', 'STOPALL', 'unsubscribe', 'CANCEL', 'End', 'QUIT', 'revoke', 'OPTOUT', '退订', ' 退订\u3000'])(
    '%j revokes consent',
    (text) => expect(smsKeyword(text)).toBe('opt_out'),
  );

  it.each(['START', 'yes', 'Unstop'])('%j restores consent', (text) => expect(smsKeyword(text)).toBe('opt_in'));

  it.each(['HELP', 'info'])('%j asks for help', (text) => expect(smsKeyword(text)).toBe('help'));

  it.each(['please stop', 'STOP!', 'stop it', 'STO P', '', 'Thanks, see you on Sunday', '不要退订'])('%j is an ordinary reply', (text) =>
    expect(smsKeyword(text)).toBeNull(),
  );

  it('answers in the language asked', () => {
    expect(keywordReply('opt_out', false)).toMatch(/START/);
    expect(keywordReply('opt_out', true)).toContain('退订');
    expect(keywordReply('help', false)).toMatch(/STOP/);
  });
});
