import { EventEmitter, once } from 'node:events';
import { AddressInfo, Socket } from 'node:net';
import { SMTPServer, SMTPServerSession } from 'smtp-server';

export interface ReceivedMessage {
  /** The message exactly as the client sent it after DATA (dot-unstuffed). */
  raw: Buffer;
  from: string;
  to: string[];
  /** The SMTP session (one per connection) it came through. */
  sessionId: string;
}

type Misbehaviour = { kind: 'refuse'; code: number; text: string } | { kind: 'drop-at-rcpt' } | { kind: 'drop-after-data' };

/**
 * A real SMTP server (`smtp-server`) on a loopback port that keeps every message it accepts.
 * It can be told to refuse given recipients with a 4xx/5xx reply, or to drop the connection
 * without a word when a recipient is named or after a message's data has fully arrived.
 */
export class SmtpSink {
  /** Messages answered with 250, in arrival order. */
  readonly messages: ReceivedMessage[] = [];
  /** Messages whose data arrived but were never answered (the connection was dropped instead). */
  readonly unanswered: ReceivedMessage[] = [];
  /** Connections accepted in total, open now, and the most open at one time. */
  connectionsAccepted = 0;
  openConnections = 0;
  maxOpenConnections = 0;

  private readonly rules = new Map<string, Misbehaviour>();
  private readonly sockets = new Map<number, Socket>();
  private readonly events = new EventEmitter();
  private readonly server: SMTPServer;

  /** The loopback port it listens on. */
  port = 0;

  private constructor() {
    this.server = new SMTPServer({
      logger: false,
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: 10 * 1024 * 1024,
      disableReverseLookup: true, // a reverse DNS lookup per connection would dominate every timing
      onRcptTo: (address, session, callback) => this.onRcptTo(address.address, session, callback),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => this.onMessage(Buffer.concat(chunks), session, callback));
      },
    });
    this.server.on('error', () => undefined); // a client that drops the connection is not a test failure
    this.server.server.on('connection', (socket: Socket) => this.track(socket));
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    sink.server.listen(0, '127.0.0.1');
    await once(sink.server.server, 'listening');
    sink.port = (sink.server.server.address() as AddressInfo).port;
    return sink;
  }

  /** smtp://127.0.0.1:<port> */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Answers RCPT TO for `address` with e.g. 450 "4.2.1 mailbox busy" or 550 "5.1.1 mailbox unknown". */
  refuse(address: string, code: number, text: string): void {
    this.rules.set(address.toLowerCase(), { kind: 'refuse', code, text });
  }

  /** Drops the connection without replying, when `address` is named or after its data arrived. */
  dropConnection(address: string, when: 'at-rcpt' | 'after-data'): void {
    this.rules.set(address.toLowerCase(), { kind: when === 'at-rcpt' ? 'drop-at-rcpt' : 'drop-after-data' });
  }

  /** Resolves once no client connection is open (e.g. after a pool said QUIT). */
  async idle(): Promise<void> {
    while (this.openConnections > 0) await once(this.events, 'disconnect');
  }

  /** Forgets messages and rules; counters of connections start again from the ones open now. */
  reset(): void {
    this.messages.length = 0;
    this.unanswered.length = 0;
    this.rules.clear();
    this.connectionsAccepted = 0;
    this.maxOpenConnections = this.openConnections;
  }

  /** Stops listening and ends every connection still open; resolves when the port is closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets.values()) socket.destroy();
    await closed;
  }

  private track(socket: Socket): void {
    const port = socket.remotePort!;
    this.sockets.set(port, socket);
    this.connectionsAccepted += 1;
    this.openConnections += 1;
    this.maxOpenConnections = Math.max(this.maxOpenConnections, this.openConnections);
    socket.once('close', () => {
      this.sockets.delete(port);
      this.openConnections -= 1;
      this.events.emit('disconnect');
    });
  }

  private onRcptTo(address: string, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const rule = this.rules.get(address.toLowerCase());
    if (rule?.kind === 'refuse') return callback(Object.assign(new Error(rule.text), { responseCode: rule.code }));
    if (rule?.kind === 'drop-at-rcpt') return void this.sockets.get(session.remotePort)?.destroy();
    callback();
  }

  private onMessage(raw: Buffer, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void {
    const message: ReceivedMessage = {
      raw,
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      to: session.envelope.rcptTo.map((r) => r.address),
      sessionId: session.id,
    };
    if (message.to.some((to) => this.rules.get(to.toLowerCase())?.kind === 'drop-after-data')) {
      this.unanswered.push(message);
      this.sockets.get(session.remotePort)?.destroy();
      return;
    }
    this.messages.push(message);
    callback(null, `Ok: queued as ${this.messages.length}`);
  }
}
