import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import twilio from 'twilio';

/**
 * A loopback HTTP server speaking as much of Twilio's REST API as Tidings uses: creating a message
 * (POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form body, HTTP basic auth). It answers
 * like Twilio (a Message resource, or Twilio's error JSON for numbers a test chose), records every
 * request, and plays Twilio's side of the webhooks: status callbacks and inbound messages, signed
 * with the auth token exactly as Twilio signs them.
 */
export interface FakeRequest {
  method: string;
  path: string;
  auth: { username: string; password: string } | null;
  form: Record<string, string>;
  headers: IncomingMessage['headers'];
}

export interface FakeMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  numSegments: number;
}

/** How the fake answers a message to one number. */
export type FakeBehaviour =
  | { kind: 'error'; status: number; code: number; message?: string }
  /** Reads the request, then never answers (a lost connection after Twilio took it). */
  | { kind: 'hang' };

export interface WebhookResult {
  status: number;
  body: string;
  contentType: string | null;
}

export interface SignOptions {
  /** 'valid' (default), 'forged' (a signature made with another token) or 'missing' (no header). */
  signature?: 'valid' | 'forged' | 'missing';
}

const ERROR_TEXT: Record<number, string> = {
  20003: 'Authenticate',
  20429: 'Too Many Requests',
  21211: "The 'To' number is not a valid phone number.",
  21602: 'Message body is required.',
  21604: "A 'To' phone number is required.",
  21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account.",
  21610: 'Attempt to send to unsubscribed recipient',
  20500: 'An internal server error has occurred',
};

export class TwilioFake {
  readonly requests: FakeRequest[] = [];
  readonly messages: FakeMessage[] = [];
  private readonly behaviours = new Map<string, FakeBehaviour>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  url = '';

  /**
   * @param accountSid and authToken: the credentials the fake accepts and signs webhooks with.
   * @param deliverTo maps the public URL a webhook is signed for (what Twilio would call) to where
   *   the test's app actually listens, as a reverse proxy would.
   */
  constructor(
    readonly accountSid: string,
    readonly authToken: string,
    private readonly deliverTo: (publicUrl: string) => string = (u) => u,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Answer messages to `to` this way from now on. */
  respondTo(to: string, behaviour: FakeBehaviour): void {
    this.behaviours.set(to, behaviour);
  }

  /** The messages created for one number, oldest first. */
  messagesTo(to: string): FakeMessage[] {
    return this.messages.filter((m) => m.to === to);
  }

  /** Twilio's status callback for a message it created, to the StatusCallback URL the sender gave. */
  async sendStatus(sid: string, status: string, options: SignOptions & { errorCode?: number } = {}): Promise<WebhookResult> {
    const message = this.messages.find((m) => m.sid === sid);
    if (!message?.statusCallback) throw new Error(`The fake created no message ${sid} with a StatusCallback`);
    const params: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      From: message.from ?? '+15005550006',
      MessageSid: sid,
      MessageStatus: status,
      SmsSid: sid,
      SmsStatus: status,
      To: message.to,
    };
    if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
    if (options.errorCode !== undefined) params.ErrorCode = String(options.errorCode);
    return this.post(message.statusCallback, params, options);
  }

  /** Twilio's webhook for a text a person sent to our number. */
  async sendInbound(url: string, message: { from: string; to?: string; body: string; sid?: string }, options: SignOptions = {}): Promise<WebhookResult & { sid: string }> {
    const sid = message.sid ?? messageSid();
    const params: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      Body: message.body,
      From: message.from,
      FromCountry: 'CN',
      MessageSid: sid,
      NumMedia: '0',
      NumSegments: '1',
      SmsMessageSid: sid,
      SmsSid: sid,
      SmsStatus: 'received',
      To: message.to ?? '+15005550006',
      ToCountry: 'US',
    };
    return { ...(await this.post(url, params, options)), sid };
  }

  /** POSTs form params to the app, signed (or not) for `publicUrl` the way Twilio signs. */
  async post(publicUrl: string, params: Record<string, string>, options: SignOptions = {}): Promise<WebhookResult> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'User-Agent': 'TwilioProxy/1.1' };
    const mode = options.signature ?? 'valid';
    if (mode !== 'missing') {
      const token = mode === 'valid' ? this.authToken : 'not-the-auth-token-0123456789';
      headers['X-Twilio-Signature'] = twilio.getExpectedTwilioSignature(token, publicUrl, params);
    }
    const response = await fetch(this.deliverTo(publicUrl), { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = (req.url ?? '').split('?')[0];
    const record: FakeRequest = { method: req.method ?? '', path, auth: basicAuth(req.headers.authorization), form, headers: req.headers };
    this.requests.push(record);

    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if (!match || req.method !== 'POST') return this.reply(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    if (record.auth?.username !== this.accountSid || record.auth.password !== this.authToken || match[1] !== this.accountSid) {
      return this.error(res, 401, 20003);
    }
    if (!form.To) return this.error(res, 400, 21604);
    if (!form.Body) return this.error(res, 400, 21602);
    if (!form.From && !form.MessagingServiceSid) return this.error(res, 400, 21606);
    if (!/^\+[1-9]\d{6,14}$/.test(form.To)) return this.error(res, 400, 21211);

    const behaviour = this.behaviours.get(form.To);
    if (behaviour?.kind === 'hang') return; // the socket stays open until the client gives up or stop()
    if (behaviour?.kind === 'error') return this.error(res, behaviour.status, behaviour.code, behaviour.message);

    const message: FakeMessage = {
      sid: messageSid(),
      to: form.To,
      from: form.From ?? null,
      messagingServiceSid: form.MessagingServiceSid ?? null,
      body: form.Body,
      statusCallback: form.StatusCallback ?? null,
      numSegments: segmentsOf(form.Body),
    };
    this.messages.push(message);
    const now = new Date().toUTCString().replace('GMT', '+0000');
    this.reply(res, 201, {
      account_sid: this.accountSid,
      api_version: '2010-04-01',
      body: message.body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: message.from,
      messaging_service_sid: message.messagingServiceSid,
      num_media: '0',
      num_segments: String(message.numSegments),
      price: null,
      price_unit: 'USD',
      sid: message.sid,
      status: message.messagingServiceSid ? 'accepted' : 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}/Media.json` },
      to: message.to,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}.json`,
    });
  }

  private error(res: ServerResponse, status: number, code: number, message?: string): void {
    this.reply(res, status, {
      code,
      message: message ?? ERROR_TEXT[code] ?? 'Error',
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
}

export function messageSid(): string {
  return 'SM' + randomBytes(16).toString('hex');
}

export function accountSid(): string {
  return 'AC' + randomBytes(16).toString('hex');
}

function basicAuth(header: string | undefined): { username: string; password: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Twilio's own count, done independently of the app's: GSM-7 when every character is in GSM 03.38,
 * else UCS-2 by UTF-16 unit. Good enough for the fake; it does not avoid splitting escape pairs.
 */
function segmentsOf(body: string): number {
  const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€\f]*$/.test(body);
  const units = gsm ? body.length + (body.match(/[\^{}\\[~\]|€\f]/g)?.length ?? 0) : body.length;
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return units <= single ? 1 : Math.ceil(units / part);
}
