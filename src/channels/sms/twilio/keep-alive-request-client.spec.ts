import fc from 'fast-check';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import twilio from 'twilio';
import { KeepAliveRequestClient, TwilioNoAnswerError } from './keep-alive-request-client';
import { outcomeOfTwilioError } from './twilio-errors';

/**
 * Our transport against twilio's own (axios), both driven by the real `twilio` client, against a
 * server that records the raw bytes of each request and answers as the test says. A plain TCP
 * server rather than node:http, so that what is compared is what went over the wire.
 */

interface RawRequest {
  connection: number;
  requestLine: string;
  /** Lower-cased name → value, in the order sent. */
  headers: Array<[string, string]>;
  body: string;
}

type Answer =
  | { status: number; body: string; contentType?: string }
  /** Read the request, never answer. */
  | 'hang'
  /** Read the request, then close the connection without a word. */
  | 'drop';

class RecordingServer {
  readonly requests: RawRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private connections = 0;
  url = '';

  constructor(private readonly answer: (request: RawRequest) => Answer) {}

  async start(): Promise<this> {
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  get connectionsOpened(): number {
    return this.connections;
  }

  private serve(socket: Socket): void {
    const connection = ++this.connections;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Requests on a kept-alive connection follow one another; take each whole one.
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [requestLine, ...lines] = pending.subarray(0, end).toString('latin1').split('\r\n');
        const headers = lines.map((line): [string, string] => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        });
        const length = Number(headers.find(([name]) => name === 'content-length')?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const body = pending.subarray(end + 4, end + 4 + length).toString('utf8');
        pending = pending.subarray(end + 4 + length);
        const request = { connection, requestLine, headers, body };
        this.requests.push(request);
        this.reply(socket, this.answer(request));
      }
    });
  }

  private reply(socket: Socket, answer: Answer): void {
    if (answer === 'hang') return;
    if (answer === 'drop') {
      socket.destroy();
      return;
    }
    const body = Buffer.from(answer.body);
    socket.write(
      `HTTP/1.1 ${answer.status} X\r\nContent-Type: ${answer.contentType ?? 'application/json; charset=utf-8'}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`,
    );
    socket.write(body);
  }
}

const ACCOUNT = 'AC' + 'c'.repeat(32);
const TOKEN = 'auth-token-parity-0123456789';
const created = (to: string) =>
  JSON.stringify({
    sid: 'SM' + 'd'.repeat(32),
    account_sid: ACCOUNT,
    to,
    status: 'queued',
    num_segments: '1',
    date_created: 'Tue, 01 Dec 2026 10:00:00 +0000',
    error_code: null,
  });
const twilioError = (status: number, code: number, message: string) =>
  JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

/** What the server does for a message to one number (a test picks the number). */
const ANSWERS: Record<string, Answer> = {
  '+15555550400': { status: 400, body: twilioError(400, 21211, "The 'To' number is not a valid phone number.") },
  '+15555550401': { status: 401, body: twilioError(401, 20003, 'Authenticate') },
  '+15555550404': { status: 404, body: twilioError(404, 20404, 'The requested resource was not found') },
  '+15555550429': { status: 429, body: twilioError(429, 20429, 'Too Many Requests') },
  '+15555550500': { status: 500, body: twilioError(500, 20500, 'An internal server error has occurred') },
  '+15555550503': { status: 503, body: '<html>Service Unavailable</html>', contentType: 'text/html' },
  '+15555550610': { status: 400, body: twilioError(400, 21610, 'Attempt to send to unsubscribed recipient') },
  '+15555550001': 'hang',
  '+15555550002': 'drop',
};

describe('KeepAliveRequestClient, compared with twilio\'s default transport', () => {
  let server: RecordingServer;
  const transports: KeepAliveRequestClient[] = [];

  beforeAll(async () => {
    server = await new RecordingServer((request) => {
      const to = new URLSearchParams(request.body).get('To') ?? '';
      return ANSWERS[to] ?? { status: 201, body: created(to) };
    }).start();
  });
  afterAll(async () => {
    for (const transport of transports) transport.destroy();
    await server.stop();
  });

  function ours(options: ConstructorParameters<typeof KeepAliveRequestClient>[0] = {}): KeepAliveRequestClient {
    const transport = new KeepAliveRequestClient({ timeoutMs: 300, ...options });
    transports.push(transport);
    return transport;
  }

  /** The real twilio client, pointed at the server, with our transport or its own. */
  function client(transport: KeepAliveRequestClient | 'default', baseUrl = server.url): twilio.Twilio {
    const made = twilio(ACCOUNT, TOKEN, transport === 'default' ? { timeout: 300, autoRetry: false } : { httpClient: transport });
    made.api.baseUrl = baseUrl;
    return made;
  }

  const failureOf = (sending: Promise<unknown>) => sending.then(() => null, (error: unknown) => error as Error & { code?: string });

  /** Sends with one client and returns what the server read. */
  async function recorded(send: () => Promise<unknown>): Promise<RawRequest> {
    const before = server.requests.length;
    await send().catch(() => undefined);
    expect(server.requests).toHaveLength(before + 1);
    return server.requests[before];
  }

  /** A request without what may rightly differ: the connection it came on, and axios asking for compression. */
  const comparable = (request: RawRequest) => ({
    requestLine: request.requestLine,
    headers: Object.fromEntries(request.headers.filter(([name]) => name !== 'accept-encoding')),
    body: request.body,
  });

  async function bothSend(params: Parameters<twilio.Twilio['messages']['create']>[0]): Promise<[RawRequest, RawRequest]> {
    const theirs = await recorded(() => client('default').messages.create(params));
    const mine = await recorded(() => client(ours()).messages.create(params));
    return [theirs, mine];
  }

  it('sends the request twilio\'s own transport sends: line, headers (auth, user agent), form body', async () => {
    const [theirs, mine] = await bothSend({
      to: '+15555550100',
      from: '+15005550006',
      body: "Dear Wei Li, 'tea' (not coffee) * ~ 你好 🎉 a+b=c&d 100%\nsee you",
      statusCallback: 'https://tidings.test/channels/sms/twilio/status?m=0b6f-1',
      mediaUrl: ['https://tidings.test/a.png', 'https://tidings.test/b.png'],
    });
    expect(comparable(mine)).toEqual(comparable(theirs));
    expect(mine.headers).toEqual(expect.arrayContaining([['authorization', 'Basic ' + Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')]]));
    expect(mine.body).toContain('MediaUrl=https%3A%2F%2Ftidings.test%2Fa.png&MediaUrl=https%3A%2F%2Ftidings.test%2Fb.png');
    // axios asks for a compressed answer; we do not (a ~1 KB answer is cheaper to read than to inflate).
    expect(theirs.headers.map(([name]) => name)).toContain('accept-encoding');
    expect(mine.headers.map(([name]) => name)).not.toContain('accept-encoding');
  });

  it('encodes any text of a message body exactly as twilio\'s own transport does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.boolean(), async (body, service) => {
        const [theirs, mine] = await bothSend({
          to: '+15555550101',
          body,
          ...(service ? { messagingServiceSid: 'MG' + 'e'.repeat(32) } : { from: '+15005550006' }),
        });
        expect(mine.body).toBe(theirs.body);
        expect(new URLSearchParams(mine.body).get('Body')).toBe(body);
      }),
      { numRuns: 60 },
    );
  });

  it('encodes query strings and unusual form values (null, undefined, numbers, booleans, dates, nested) as twilio\'s own transport does', async () => {
    const request = {
      method: 'post' as const,
      uri: `${server.url}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`,
      params: { PageSize: 50, 'Date Sent<': '2026-12-01', Empty: null },
      data: { To: '+15555550102', Body: 'x', MaxPrice: 0.05, ProvideFeedback: true, Skip: undefined, Blank: null, SendAt: new Date(Date.UTC(2026, 11, 1, 9, 30)), Tags: ['a b', 'c'], Extra: { key: 'v w' } },
    };
    const theirs = await recorded(() => client('default').request(request));
    const mine = await recorded(() => client(ours()).request(request));
    expect(comparable(mine)).toEqual(comparable(theirs));
  });

  it('reads a created message as twilio\'s own transport does', async () => {
    const params = { to: '+15555550103', from: '+15005550006', body: 'Hello' };
    const theirs = await client('default').messages.create(params);
    const mine = await client(ours()).messages.create(params);
    const read = (m: typeof mine) => ({ sid: m.sid, accountSid: m.accountSid, to: m.to, status: m.status, numSegments: m.numSegments, dateCreated: m.dateCreated, errorCode: m.errorCode });
    expect(read(mine)).toEqual(read(theirs));
    expect(mine).toMatchObject({ sid: 'SM' + 'd'.repeat(32), status: 'queued', numSegments: '1' });
  });

  it.each(['+15555550400', '+15555550401', '+15555550404', '+15555550429', '+15555550500', '+15555550503', '+15555550610'])(
    'raises the same error as twilio\'s own transport when Twilio answers an error (message to %s)',
    async (to) => {
      const params = { to, from: '+15005550006', body: 'Hello' };
      const theirs = await client('default').messages.create(params).then(() => null, (error: unknown) => error);
      const mine = await client(ours()).messages.create(params).then(() => null, (error: unknown) => error);
      expect(mine).toBeInstanceOf(twilio.RestException);
      const shape = (error: unknown) => {
        const { status, code, message, moreInfo } = error as InstanceType<typeof twilio.RestException>;
        return { status, code, message, moreInfo };
      };
      expect(shape(mine)).toEqual(shape(theirs));
      expect(outcomeOfTwilioError(mine)).toEqual(outcomeOfTwilioError(theirs));
    },
  );

  it('classifies Twilio\'s errors for delivery: 21610 and 21211 permanent, 401, 429 and 5xx transient', async () => {
    const outcome = async (to: string) =>
      outcomeOfTwilioError(await client(ours()).messages.create({ to, from: '+15005550006', body: 'Hello' }).then(() => null, (error: unknown) => error));
    expect(await outcome('+15555550610')).toMatchObject({ status: 'permanent', code: '21610' });
    expect(await outcome('+15555550400')).toMatchObject({ status: 'permanent', code: '21211' });
    expect(await outcome('+15555550401')).toMatchObject({ status: 'transient', code: '20003' });
    expect(await outcome('+15555550429')).toMatchObject({ status: 'transient', code: '20429' });
    expect(await outcome('+15555550503')).toMatchObject({ status: 'transient', code: '503' });
  });

  it('is ambiguous when Twilio read the request and the answer never came within the deadline', async () => {
    const params = { to: '+15555550001', from: '+15005550006', body: 'Hello' };
    const theirs = await failureOf(client('default').messages.create(params));
    const mine = await failureOf(client(ours({ timeoutMs: 200 })).messages.create(params));
    // axios calls its timeout ECONNABORTED; ours says what happened.
    expect(theirs).toMatchObject({ code: 'ECONNABORTED' });
    expect(mine).toBeInstanceOf(TwilioNoAnswerError);
    expect(mine).toMatchObject({ code: 'ETIMEDOUT', requestSent: true });
    expect(outcomeOfTwilioError(mine)).toMatchObject({ status: 'ambiguous', code: 'ETIMEDOUT' });
  });

  it('fails as twilio\'s own transport does when the connection drops after the request: ambiguous', async () => {
    const params = { to: '+15555550002', from: '+15005550006', body: 'Hello' };
    const theirs = await failureOf(client('default').messages.create(params));
    const mine = await failureOf(client(ours()).messages.create(params));
    expect(mine?.code).toBe(theirs?.code);
    expect(mine).toMatchObject({ code: 'ECONNRESET', requestSent: true });
    expect(outcomeOfTwilioError(mine)).toMatchObject({ status: 'ambiguous', code: 'ECONNRESET' });
  });

  it('fails as twilio\'s own transport does when nothing listens: transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const params = { to: '+15555550104', from: '+15005550006', body: 'Hello' };
    const theirs = await failureOf(client('default', url).messages.create(params));
    const mine = await failureOf(client(ours(), url).messages.create(params));
    expect(mine?.code).toBe(theirs?.code);
    expect(mine).toMatchObject({ code: 'ECONNREFUSED', requestSent: false });
    expect(outcomeOfTwilioError(mine)).toMatchObject({ status: 'transient', code: 'ECONNREFUSED' });
  });

  it('sends a burst over at most maxSockets kept-alive connections, and reuses them for the next burst', async () => {
    const sender = client(ours({ maxSockets: 3, timeoutMs: 30_000 }));
    const before = server.connectionsOpened;
    const burst = (first: number) =>
      Promise.all(Array.from({ length: 30 }, (_, i) => sender.messages.create({ to: `+1555556${String(first + i).padStart(4, '0')}`, from: '+15005550006', body: 'Hi' })));
    const sent = await burst(0);
    expect(new Set(sent.map((m) => m.status))).toEqual(new Set(['queued']));
    expect(server.connectionsOpened - before).toBe(3);
    await burst(100);
    expect(server.connectionsOpened - before).toBe(3);
  });

  it('replaces half of a broken emoji instead of failing the message', async () => {
    const broken = 'ok \uD83C';
    const request = await recorded(() => client(ours()).messages.create({ to: '+15555550105', from: '+15005550006', body: broken }));
    expect(new URLSearchParams(request.body).get('Body')).toBe('ok \uFFFD');
  });
});
