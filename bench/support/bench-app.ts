import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';

export const BENCH_SECRET_KEY = 'bench-secret-key-bench-secret-key-0123456789';

/**
 * The application context in the harness process (migrations run, no HTTP, no workers), configured
 * from the given environment as production would be (the config is read when the context is built).
 */
export async function bootBenchApp(env: Record<string, string>): Promise<INestApplicationContext> {
  Object.assign(process.env, env);
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../../src/app.module');
  return NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
}
