import { createServer, Server, Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol to many client connections.
 *
 * PGlite is a single-session database. `@electric-sql/pglite-socket` multiplexes connections one
 * protocol message at a time, which lets a Parse from one connection land between another
 * connection's Parse and Bind (seen: "bind message supplies 2 parameters, but prepared statement
 * requires 1") and can stall under load. This server gives the session to one connection for a
 * whole request — every message up to and including Sync or a simple Query — and keeps it there
 * while that connection is inside a transaction, so concurrent transactions are serialised and
 * never see each other's work.
 */
export class PgliteWireServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private sessionOwner: Connection | null = null;
  private readonly waiting: Array<{ conn: Connection; grant: () => void }> = [];

  constructor(private readonly db: PGlite) {}

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('embedded database server has no TCP address');
    return address.port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const conn = new Connection(socket, this);
    socket.on('data', (chunk) => conn.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      void conn.closed();
    });
  }

  /** Waits until `conn` owns the single database session. */
  acquire(conn: Connection): Promise<void> {
    if (this.sessionOwner === conn) return Promise.resolve();
    if (this.sessionOwner === null) {
      this.sessionOwner = conn;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiting.push({ conn, grant }));
  }

  release(conn: Connection): void {
    if (this.sessionOwner !== conn) return;
    const next = this.waiting.shift();
    this.sessionOwner = next ? next.conn : null;
    next?.grant();
  }

  forget(conn: Connection): void {
    const index = this.waiting.findIndex((w) => w.conn === conn);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  execute(message: Uint8Array, onData: (data: Uint8Array) => void): Promise<void> {
    return this.db.runExclusive(() => this.db.execProtocolRawStream(message, { onRawData: onData }));
  }

  /** `exec` takes PGlite's own lock, so it must not run inside `runExclusive`. */
  async rollbackAbandonedTransaction(): Promise<void> {
    await this.db.exec('ROLLBACK');
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** Frontend messages after which the client waits for the server: the end of one request. */
const REQUEST_END = new Set(['S', 'Q', 'H', 'c', 'f', 'X']);

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private started = false;
  private work: Promise<void> = Promise.resolve();
  private inTransaction = false;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly server: PgliteWireServer,
  ) {}

  receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const message = this.nextMessage();
      if (!message) break;
      if (message === 'skip') continue;
      this.pending.push(message.bytes);
      if (message.endsRequest) {
        const request = Buffer.concat(this.pending);
        this.pending = [];
        this.work = this.work
          .then(() => this.run(request))
          .catch(() => {
            this.socket.destroy();
          });
      }
    }
  }

  private nextMessage(): { bytes: Buffer; endsRequest: boolean } | 'skip' | null {
    if (!this.started) {
      if (this.buffer.length < 8) return null;
      const length = this.buffer.readInt32BE(0);
      if (this.buffer.length < length) return null;
      const code = this.buffer.readInt32BE(4);
      const bytes = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N');
        return 'skip';
      }
      if (code === CANCEL_REQUEST) {
        this.socket.end();
        return 'skip';
      }
      if (code !== PROTOCOL_3) {
        this.socket.destroy();
        return null;
      }
      this.started = true;
      return { bytes, endsRequest: true };
    }
    if (this.buffer.length < 5) return null;
    const length = 1 + this.buffer.readInt32BE(1);
    if (this.buffer.length < length) return null;
    const bytes = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    const type = String.fromCharCode(bytes[0]);
    if (type === 'X') {
      this.ended = true;
      this.work = this.work.then(() => this.closed());
      return 'skip';
    }
    return { bytes, endsRequest: REQUEST_END.has(type) };
  }

  private async run(request: Buffer): Promise<void> {
    if (this.ended) return;
    await this.server.acquire(this);
    const tail = new ResponseTail();
    try {
      await this.server.execute(new Uint8Array(request), (data) => {
        tail.push(data);
        if (this.socket.writable) this.socket.write(Buffer.from(data));
      });
    } finally {
      // 'I' = idle: the session is free for others. 'T'/'E' = inside a transaction; no
      // ReadyForQuery at the end = mid-request (Flush) or mid-COPY. Otherwise this connection
      // keeps the session.
      const status = tail.readyForQueryStatus();
      if (status !== null) this.inTransaction = status !== 'I';
      if (status === 'I') this.server.release(this);
    }
  }

  async closed(): Promise<void> {
    this.ended = true;
    this.server.forget(this);
    if (this.inTransaction) {
      this.inTransaction = false;
      await this.server.rollbackAbandonedTransaction().catch(() => undefined);
    }
    this.server.release(this);
    this.socket.end();
  }
}

/**
 * Every response to Sync, Query or the end of a COPY finishes with ReadyForQuery:
 * 'Z', length 5, and the transaction status byte. Only the last six bytes matter.
 */
class ResponseTail {
  private last = Buffer.alloc(0);

  push(data: Uint8Array): void {
    this.last = Buffer.concat([this.last, Buffer.from(data)]).subarray(-6);
  }

  readyForQueryStatus(): string | null {
    const t = this.last;
    if (t.length === 6 && t[0] === 0x5a && t.readInt32BE(1) === 5) return String.fromCharCode(t[5]);
    return null;
  }
}
