import { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';
import { migrations } from '../../migrations';
import { entities } from './entities';

/** One definition of the connection for the service, the CLI and the tests. */
export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    // JIT off: PostgreSQL compiles a query once its estimated cost passes jit_above_cost, and the
    // report statements (CTEs whose row estimates multiply) crossed it at every size — a campaign
    // funnel over 1,000,000 outbox rows spent 3.2 s of its 4.2 s compiling (bench/reports-scale.ts).
    // Nothing Tidings runs is long enough to earn the compile time back.
    extra: { max: poolSize, options: '-c jit=off' },
  };
}
