/**
 * An HTTP server that answers Twilio's "create message" call (POST
 * /2010-04-01/Accounts/{AccountSid}/Messages.json, a form body) with a 201 Message resource and
 * otherwise only counts. It runs as its own process, so neither side of the SMS benchmark shares an
 * event loop with it. Prints `PORT <n>` when listening; answers IPC `count` with the messages
 * accepted, the form-body bytes they carried and when the first and last arrived, and `reset` by
 * starting again from zero.
 *
 * It reads each body whole and checks that To and Body are present (a real provider would refuse a
 * message without them), but does no more parsing than that: both sides pay the same for it.
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

const PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/i;

let accepted = 0;
let refused = 0;
let bodyBytes = 0;
let firstAt = 0;
let lastAt = 0;
// A per-process random prefix plus a counter: unique SIDs of Twilio's shape without a syscall each.
const sidPrefix = randomBytes(8).toString('hex');
let sidCounter = 0;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const match = PATH.exec((req.url ?? '').split('?')[0]);
    if (req.method !== 'POST' || !match) {
      refused++;
      return reply(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    }
    const form = Buffer.concat(chunks).toString('utf8');
    if (!/(^|&)To=/.test(form) || !/(^|&)Body=/.test(form)) {
      refused++;
      return reply(res, 400, { code: 21602, message: 'To and Body are required.', status: 400 });
    }
    accepted++;
    bodyBytes += form.length;
    lastAt = performance.now();
    if (firstAt === 0) firstAt = lastAt;
    const sid = 'SM' + sidPrefix + (sidCounter++).toString(16).padStart(16, '0');
    const now = new Date().toUTCString().replace('GMT', '+0000');
    reply(res, 201, {
      account_sid: match[1],
      api_version: '2010-04-01',
      date_created: now,
      date_updated: now,
      date_sent: null,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      num_media: '0',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid,
      status: 'queued',
      uri: `/2010-04-01/Accounts/${match[1]}/Messages/${sid}.json`,
    });
  });
}

const server = createServer({ keepAliveTimeout: 30_000 }, handle);
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
process.on('message', (message: string) => {
  if (message === 'reset') {
    accepted = 0;
    refused = 0;
    bodyBytes = 0;
    firstAt = 0;
    lastAt = 0;
  }
  if (message === 'count' || message === 'reset') process.send?.({ accepted, refused, bodyBytes, spanMs: lastAt - firstAt });
});
process.on('disconnect', () => process.exit(0));
