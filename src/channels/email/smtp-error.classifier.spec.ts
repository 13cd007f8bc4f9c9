import { classifySmtpError } from './smtp-error.classifier';

/** Errors shaped the way nodemailer 10 reports them (fields observed against a real smtp-server). */
const smtpReply = (response: string, command: string) =>
  Object.assign(new Error(`Can't send mail - all recipients were rejected: ${response}`), {
    code: 'EENVELOPE',
    response,
    responseCode: Number(response.slice(0, 3)),
    command,
  });
const connectionLost = () => Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' });
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' });

describe('classifySmtpError', () => {
  it('treats a 4xx reply as transient and keeps the code and the server text', () => {
    expect(classifySmtpError(smtpReply('450 4.2.1 mailbox busy', 'RCPT TO'), { bodySent: false })).toEqual({
      status: 'transient',
      code: '450',
      error: '450 4.2.1 mailbox busy',
      details: { command: 'RCPT TO', smtpCode: 450, enhancedStatus: '4.2.1', errorCode: 'EENVELOPE', bodySent: false },
    });
  });

  it('treats a 5xx reply as permanent and keeps the server text', () => {
    const outcome = classifySmtpError(smtpReply('550 5.1.1 mailbox unknown', 'RCPT TO'));
    expect(outcome).toMatchObject({ status: 'permanent', code: '550', error: '550 5.1.1 mailbox unknown' });
    expect(outcome.details).toMatchObject({ enhancedStatus: '5.1.1' });
  });

  it('trusts a reply to the final dot over the fact that the body went out', () => {
    const rejected = Object.assign(new Error('Message failed: 554 5.7.1 spam'), { code: 'EMESSAGE', response: '554 5.7.1 spam', responseCode: 554, command: 'DATA' });
    const deferred = Object.assign(new Error('Message failed: 451 4.3.0 try later'), { code: 'EMESSAGE', response: '451 4.3.0 try later', responseCode: 451, command: 'DATA' });
    expect(classifySmtpError(rejected, { bodySent: true }).status).toBe('permanent');
    expect(classifySmtpError(deferred, { bodySent: true }).status).toBe('transient');
  });

  it('retries 503 (bad sequence of commands): the session was out of step, the message was not refused', () => {
    expect(classifySmtpError(smtpReply('503 5.5.1 bad sequence of commands', 'RCPT TO')).status).toBe('transient');
  });

  it('treats a 421 service-closing reply as transient', () => {
    expect(classifySmtpError(smtpReply('421 4.3.2 shutting down', 'MAIL FROM'), { bodySent: false })).toMatchObject({ status: 'transient', code: '421' });
  });

  it('treats a refused connection as transient and names the system error', () => {
    expect(classifySmtpError(refused())).toMatchObject({ status: 'transient', code: 'ECONNREFUSED', error: 'connect ECONNREFUSED 127.0.0.1:2525' });
  });

  it('treats connect and greeting timeouts as transient', () => {
    for (const timeoutType of ['CONNECT_TIMEOUT', 'GREETING_TIMEOUT']) {
      const timeout = Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT', command: 'CONN', timeoutType });
      expect(classifySmtpError(timeout).status).toBe('transient');
    }
  });

  it('treats a connection lost before the body was sent as transient, after it as ambiguous', () => {
    expect(classifySmtpError(connectionLost(), { bodySent: false }).status).toBe('transient');
    expect(classifySmtpError(connectionLost(), { bodySent: true })).toMatchObject({ status: 'ambiguous', code: 'ECONNECTION' });
  });

  it('calls a lost connection ambiguous when nobody knows how far the message got', () => {
    expect(classifySmtpError(connectionLost()).status).toBe('ambiguous');
    const idle = Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' });
    expect(classifySmtpError(idle).status).toBe('ambiguous');
  });

  it('keeps relay configuration problems transient so they never count against the recipient', () => {
    const auth = Object.assign(new Error('Invalid login'), { code: 'EAUTH', command: 'API' });
    expect(classifySmtpError(auth, { bodySent: false })).toMatchObject({ status: 'transient', code: 'EAUTH' });
  });

  it('treats a message the relay could never take (no reply, envelope error) as permanent', () => {
    const tooBig = Object.assign(new Error('Message size larger than allowed 1000'), { code: 'EMESSAGE', command: 'MAIL FROM' });
    expect(classifySmtpError(tooBig, { bodySent: false })).toMatchObject({ status: 'permanent', code: 'EMESSAGE' });
  });

  it('treats a failure of our own message stream as transient even mid-body', () => {
    const stream = Object.assign(new Error('read error'), { code: 'ESTREAM', command: 'API' });
    expect(classifySmtpError(stream, { bodySent: true }).status).toBe('transient');
  });

  it('copes with things that are not errors at all', () => {
    expect(classifySmtpError('boom')).toMatchObject({ status: 'transient', error: 'boom' });
    expect(classifySmtpError(undefined)).toMatchObject({ status: 'transient', error: 'unknown SMTP error' });
  });
});
