/**
 * The raw ceiling of the SMS benchmark, in a process of its own like the Tidings side: bare HTTP
 * POSTs of the form bodies Twilio's client would send (To, From, Body, StatusCallback; basic auth),
 * through node's http Agent with keep-alive, `concurrency` requests in flight — the worker's
 * concurrency. No database, no client library, no bookkeeping: what the machine allows.
 *
 * IPC {cmd:'send', file, concurrency, …} → {sent, failed, ms}; ends when the parent disconnects.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

interface SendCommand {
  cmd: 'send';
  file: string;
  concurrency: number;
  /** The sink's base URL. */
  apiBaseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  statusCallbackUrl: string;
}

/** A form encoded as twilio's client encodes it (qs: %20 for a space), so both sides post the same bytes. */
function form(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())}`)
    .join('&');
}

function post(agent: Agent, url: URL, authorization: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent,
        method: 'POST',
        headers: {
          Authorization: authorization,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        // Read the answer whole, as any client must, to reuse the connection.
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function send(command: SendCommand): Promise<{ sent: number; failed: number; ms: number }> {
  // Read and encode before the clock starts: the raw side gets its bodies for free.
  const messages = readFileSync(command.file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { to: string; body: string });
  const forms = messages.map((m) =>
    form({ To: m.to, Body: m.body, StatusCallback: `${command.statusCallbackUrl}?m=${randomUUID()}`, From: command.from }),
  );
  const url = new URL(`${command.apiBaseUrl}/2010-04-01/Accounts/${command.accountSid}/Messages.json`);
  const authorization = 'Basic ' + Buffer.from(`${command.accountSid}:${command.authToken}`).toString('base64');
  const agent = new Agent({ keepAlive: true, maxSockets: command.concurrency });
  let next = 0;
  let sent = 0;
  let failed = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < forms.length) {
      const status = await post(agent, url, authorization, forms[next++]);
      if (status === 201) sent++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, lane));
  const ms = performance.now() - started;
  agent.destroy();
  return { sent, failed, ms };
}

process.on('message', (message: SendCommand) => {
  send(message).then(
    (result) => process.send!(result),
    (error: unknown) => process.send!({ error: error instanceof Error ? error.message : String(error) }),
  );
});
process.send!({ ready: true });
process.on('disconnect', () => process.exit(0));
