import { connect } from 'node:net';
import { Client } from 'pg';

/** The variable global setup leaves for the workers: the database every test uses. */
export const RESOLVED_URL_VARIABLE = 'TIDINGS_TEST_DATABASE_URL';

export function resolvedTestDatabaseUrl(): string {
  const url = process.env[RESOLVED_URL_VARIABLE];
  if (!url) throw new Error('test/global-setup.ts did not run: no test database');
  return url;
}

export function isReachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Drops and recreates one database on a server, so every run starts from an empty schema. */
export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
