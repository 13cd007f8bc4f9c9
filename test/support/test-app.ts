import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { SYSTEM_ACTOR } from '../../src/auth/actor';
import { Role } from '../../src/auth/api-key.entity';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { resolvedTestDatabaseUrl } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
  /** http://127.0.0.1:<port> of the listening service. */
  baseUrl: string;
  db: DataSource;
  keys: Record<Role, string>;
  /** A supertest agent for the running service. */
  http: ReturnType<typeof request>;
  auth(role: Role): { Authorization: string };
  close(): Promise<void>;
}

export const TEST_SECRET_KEY = 'test-secret-key-test-secret-key-0123456789';

/**
 * The real application, listening on a loopback port, on the test database. `env` overrides
 * configuration variables for this app only (they are applied before the config is read).
 */
export async function createTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const settings: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SECRET_KEY: TEST_SECRET_KEY,
    DATABASE_URL: 'DATABASE_URL' in env ? env.DATABASE_URL : resolvedTestDatabaseUrl(),
    DB_POOL_SIZE: '5',
    ...env,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, logger: false });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const apiKeys = app.get(ApiKeysService);
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'marketer', 'viewer'] as const) {
    keys[role] = (await apiKeys.create(`test ${role}`, role, SYSTEM_ACTOR)).key;
  }
  return {
    app,
    baseUrl,
    db: app.get(DataSource),
    keys,
    http: request(baseUrl),
    auth: (role) => ({ Authorization: `Bearer ${keys[role]}` }),
    close: () => app.close(),
  };
}
