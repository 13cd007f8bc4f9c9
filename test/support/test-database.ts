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

/**
 * A database of its own on the test server, for a suite whose workers would otherwise pick up other
 * suites' campaigns (or whose campaigns others would pick up). On the embedded default, where there
 * is one database only, it is the shared one.
 */
export async function isolatedDatabase(suffix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const shared = new URL(resolvedTestDatabaseUrl());
  const sharedName = shared.pathname.slice(1);
  if (!sharedName.startsWith('tidings_test_')) return { url: shared.toString(), drop: async () => undefined };
  const server = new URL(shared);
  server.pathname = '/postgres';
  const name = `${sharedName}_${suffix}`;
  const url = await recreateDatabase(server.toString(), name);
  return {
    url,
    drop: async () => {
      const admin = new Client({ connectionString: server.toString() });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
