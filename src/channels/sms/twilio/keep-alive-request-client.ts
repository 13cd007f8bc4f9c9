import * as http from 'node:http';
import * as https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient';
import type TwilioResponse from 'twilio/lib/http/response';

export interface KeepAliveRequestClientOptions {
  /** Deadline of one exchange, from the hand-over to the last byte of the answer; a request may override it. */
  timeoutMs?: number;
  /** Connections per API host, busy or idle; requests beyond it wait for a free one. */
  maxSockets?: number;
  /** How long an idle connection is kept for the next request before we close it ourselves. */
  idleSocketMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
// twilio's own default, so a process that sends nothing else behaves as before.
const DEFAULT_MAX_SOCKETS = 20;
// Below the idle timeouts of common load balancers (60 s), so we close first rather than write into
// a connection the far side has just dropped.
const DEFAULT_IDLE_SOCKET_MS = 15_000;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/**
 * Twilio gave no answer. `requestSent` says whether the whole request had gone to the socket: if
 * not, Twilio cannot have taken it; if so, it may have, and only the message's history can say
 * whether trying again is safe.
 */
export class TwilioNoAnswerError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly requestSent: boolean,
  ) {
    super(message);
    this.name = 'TwilioNoAnswerError';
  }
}

/**
 * The transport under the `twilio` client (its documented `httpClient` option): twilio still builds
 * every request (URL, auth, User-Agent, parameters) and reads every answer (the resource, or
 * RestException with Twilio's code); this class only moves the bytes, on Node's own HTTP client
 * with a bounded keep-alive pool. twilio's default transport goes through axios, which costs about
 * half a millisecond of CPU per message in request building and interceptors.
 *
 * What it sends is what twilio's default client sends, byte for byte (see the parity test), except
 * that it does not ask for a compressed answer: a Message resource is about a kilobyte, and
 * inflating it would cost more CPU than the bytes saved. It never follows redirects (the Messages
 * API does not send any), keeps no `lastRequest`/`lastResponse` (they are shared by concurrent
 * requests, so they would say little), and retries nothing: a retry is the delivery layer's
 * decision, made with the message's history. Unlike twilio's default it reads nothing from the
 * environment behind AppConfig's back (HTTP_PROXY, TWILIO_CA_BUNDLE): a proxy or a private CA
 * would be configuration of its own.
 *
 * It extends twilio's RequestClient only so that twilio's types accept it; the axios instance the
 * parent constructor makes is never used.
 */
export class KeepAliveRequestClient extends twilio.RequestClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** The last credentials seen and their header: one account sends every message. */
  private basicAuth = { credentials: '', header: '' };

  constructor(options: KeepAliveRequestClientOptions = {}) {
    super({ timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, autoRetry: false });
    const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    const agentOptions = {
      keepAlive: true,
      maxSockets,
      // Every connection may stay open while idle: closing them between bursts would mean a new
      // connection (and TLS handshake) for most messages of the next burst.
      maxFreeSockets: maxSockets,
      timeout: options.idleSocketMs ?? DEFAULT_IDLE_SOCKET_MS,
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  override async request<TData>(opts: TwilioRequestClient.RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    if (!opts.method) throw new Error('http method is required');
    if (!opts.uri) throw new Error('uri is required');
    const headers = opts.headers ?? {};
    if (!headers.Connection && !headers.connection) headers.Connection = 'keep-alive';
    if (opts.username && opts.password) headers.Authorization = this.basicAuthorization(opts.username, opts.password);
    else if (opts.authStrategy) headers.Authorization = await opts.authStrategy.getAuthString();

    let body: string | undefined;
    if (opts.data) {
      if (headers['Content-Type'] === FORM) body = encodeTwilioForm(opts.data);
      else if (headers['Content-Type'] === JSON_TYPE) body = JSON.stringify(opts.data);
    }
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    const query = opts.params ? encodeTwilioForm(opts.params) : '';
    const url = new URL(query ? `${opts.uri}${opts.uri.includes('?') ? '&' : '?'}${query}` : opts.uri);
    return this.exchange<TData>(url, opts.method, headers, body, opts.timeout || this.defaultTimeout);
  }

  /** Closes the idle connections; requests in flight finish. */
  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private exchange<TData>(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<TwilioResponse<TData>> {
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error & { code?: string }, requestSent: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        reject(error instanceof TwilioNoAnswerError ? error : new TwilioNoAnswerError(error.message, error.code ?? 'UNKNOWN', requestSent));
      };
      const req = (secure ? https : http).request(url, { method, headers, agent: secure ? this.httpsAgent : this.httpAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => fail(error, true));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          try {
            const raw = decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), res.headers['content-encoding']);
            resolve({ statusCode: res.statusCode!, body: parseBody(raw) as TData, headers: res.headers });
          } catch (error) {
            reject(new TwilioNoAnswerError(`unreadable answer: ${error instanceof Error ? error.message : String(error)}`, 'EBADANSWER', true));
          }
        });
      });
      req.on('error', (error) => fail(error, req.writableFinished));
      const deadline = setTimeout(() => {
        const sent = req.writableFinished;
        fail(Object.assign(new Error(`no answer from Twilio within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }), sent);
        req.destroy();
      }, timeoutMs);
      req.end(body);
    });
  }

  private basicAuthorization(username: string, password: string): string {
    const credentials = `${username}:${password}`;
    if (this.basicAuth.credentials !== credentials) {
      this.basicAuth = { credentials, header: 'Basic ' + Buffer.from(credentials).toString('base64') };
    }
    return this.basicAuth.header;
  }
}

/**
 * A form (or query string) encoded as twilio's default client encodes it with qs
 * (`arrayFormat: 'repeat'`, RFC 3986): names and values percent-encoded as UTF-8 with only
 * `A-Z a-z 0-9 - . _ ~` left as they are (a space is %20), an array repeats its name, null is an
 * empty value, undefined is left out, a Date is its ISO string, a nested object is `name[key]`.
 * twilio itself only hands over flat strings and arrays of strings.
 */
export function encodeTwilioForm(data: object): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(data)) appendPair(pairs, name, value);
  return pairs.join('&');
}

function appendPair(pairs: string[], name: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null) pairs.push(`${encodeComponent(name)}=`);
  else if (Array.isArray(value)) for (const item of value) appendPair(pairs, name, item);
  else if (value instanceof Date) pairs.push(`${encodeComponent(name)}=${encodeComponent(value.toISOString())}`);
  else if (typeof value === 'object') for (const [key, inner] of Object.entries(value)) appendPair(pairs, `${name}[${key}]`, inner);
  else pairs.push(`${encodeComponent(name)}=${encodeComponent(String(value))}`);
}

/** encodeURIComponent leaves !'()* as they are; RFC 3986 (and qs) reserve them. */
const SUB_DELIMS = /[!'()*]/g;
const percentOf = (c: string) => '%' + c.charCodeAt(0).toString(16).toUpperCase();
// A UTF-16 surrogate without its pair (text cut in the middle of an emoji) has no UTF-8 form.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function encodeComponent(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    // qs would write four bytes of nonsense for it; the replacement character is at least honest.
    encoded = encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD'));
  }
  return encoded.replace(SUB_DELIMS, percentOf);
}

/** We never ask for compression, but a server may compress anyway; the answer is small. */
function decode(raw: Buffer, encoding: string | undefined): string {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return raw.toString('utf8');
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(raw).toString('utf8');
    case 'deflate':
      return inflateSync(raw).toString('utf8');
    case 'br':
      return brotliDecompressSync(raw).toString('utf8');
    default:
      throw new Error(`unknown content encoding ${encoding}`);
  }
}

/** As axios hands answers to twilio: JSON parsed when it is JSON, else the text itself. */
function parseBody(text: string): unknown {
  if (!text) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
