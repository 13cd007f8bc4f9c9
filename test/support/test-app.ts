import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { SYSTEM_ACTOR } from '../../src/auth/actor';
import { Role } from '../../src/auth/api-key.entity';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { Clock } from '../../src/campaigns/calendar/clock';
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
export interface TestAppOptions {
  /** Replaces the system clock everywhere (campaigns, triggers, workers), e.g. a ManualClock. */
  clock?: Clock;
}

export async function createTestApp(env: Record<string, string | undefined> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const settings: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SECRET_KEY: TEST_SECRET_KEY,
    DATABASE_URL: 'DATABASE_URL' in env ? env.DATABASE_URL : resolvedTestDatabaseUrl(),
    DB_POOL_SIZE: '5',
    // Tests drive deliveries themselves (DeliveryWorker.runOnce) unless they ask for the loop.
    RUN_WORKERS: 'false',
    ...env,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let app: NestExpressApplication;
  if (options.clock) {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).overrideProvider(Clock).useValue(options.clock).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  } else {
    app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, logger: false });
  }
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
