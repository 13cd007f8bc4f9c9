import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { PgliteWireServer } from './pglite-wire-server';

interface ServerFile {
  pid: number;
  port: number;
}

/**
 * The embedded default: PostgreSQL compiled to WebAssembly (PGlite), with its data in one
 * directory, served on a loopback port so the application uses the ordinary `pg` driver.
 *
 * PGlite must be opened by one process only. The process that opens it writes `server.json`
 * into the data directory; a second process (the CLI while the service runs) finds that file
 * and connects to the running instance instead of opening the files again.
 */
export class EmbeddedPostgres {
  private closeOwned?: () => Promise<void>;

  private constructor(
    readonly url: string,
    readonly ownsDatabase: boolean,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    const serverFile = join(dir, 'server.json');
    const running = await findRunningServer(serverFile);
    if (running) return new EmbeddedPostgres(urlFor(running.port), false);

    // PGlite ships as ESM with a CommonJS build; loading it lazily keeps it out of processes
    // that use a real PostgreSQL.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(dir);
    const server = new PgliteWireServer(db);
    const port = await server.listen(0, '127.0.0.1');
    writeFileSync(serverFile, JSON.stringify({ pid: process.pid, port } satisfies ServerFile));
    const embedded = new EmbeddedPostgres(urlFor(port), true);
    embedded.closeOwned = async () => {
      await server.close();
      await db.close();
      rmSync(serverFile, { force: true });
    };
    return embedded;
  }

  async stop(): Promise<void> {
    await this.closeOwned?.();
    this.closeOwned = undefined;
  }
}

function urlFor(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

async function findRunningServer(serverFile: string): Promise<ServerFile | null> {
  let info: ServerFile;
  try {
    info = JSON.parse(readFileSync(serverFile, 'utf8')) as ServerFile;
  } catch {
    return null;
  }
  if (info.pid === process.pid || !isAlive(info.pid)) return null;
  const reachable = await new Promise<boolean>((done) => {
    const socket = connect(info.port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
  return reachable ? info : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
