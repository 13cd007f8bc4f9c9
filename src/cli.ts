import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { SYSTEM_ACTOR } from './auth/actor';
import { ROLES, Role } from './auth/api-key.entity';
import { ApiKeysService } from './auth/api-keys.service';
import { ConfigError } from './config/app-config';

const USAGE = `Usage: npm run cli -- <command>
  migrate [--revert]                     run pending migrations (or revert the last one)
  apikey create --role <admin|marketer|viewer> [--name <name>]
  apikey list
  apikey revoke <id>`;

type Command = (app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>, args: string[]) => Promise<void>;

const commands: Record<string, Command> = {
  async migrate(app, args) {
    const { values } = parseArgs({ args, options: { revert: { type: 'boolean' } } });
    const db = app.get(DataSource);
    if (values.revert) {
      await db.undoLastMigration({ transaction: 'each' });
      console.log('Reverted the last migration.');
    } else {
      // The application context already ran pending migrations on start-up.
      const pending = await db.showMigrations();
      console.log(pending ? 'Some migrations are still pending.' : 'The schema is up to date.');
    }
  },

  async apikey(app, args) {
    const [action, ...rest] = args;
    const keys = app.get(ApiKeysService);
    if (action === 'create') {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string' }, name: { type: 'string' } } });
      if (!ROLES.includes(values.role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const { key, apiKey } = await keys.create(values.name ?? `${values.role} key`, values.role as Role, SYSTEM_ACTOR);
      console.log(`Created ${apiKey.role} key ${apiKey.id} (${apiKey.name}). Keep it now; it is not shown again:\n${key}`);
    } else if (action === 'list') {
      for (const k of await keys.list()) {
        console.log([k.id, k.role.padEnd(8), k.keyPrefix + '…', k.revokedAt ? 'revoked' : 'active', k.name].join('  '));
      }
    } else if (action === 'revoke' && rest[0]) {
      await keys.revoke(rest[0], SYSTEM_ACTOR);
      console.log(`Revoked ${rest[0]}.`);
    } else {
      throw new UsageError('apikey needs create, list or revoke <id>');
    }
  },
};

class UsageError extends Error {}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  try {
    await command(app, args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
