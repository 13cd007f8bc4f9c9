import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { phaseClock } from './phase';

export const BENCH_SECRET_KEY = 'bench-secret-key-bench-secret-key-0123456789';

/**
 * The application context in the harness process (migrations run, no HTTP, no workers), configured
 * from the given environment as production would be (the config is read when the context is built).
 * Its start-up and its close are charged to the phase clock as boot and teardown.
 */
export async function bootBenchApp(env: Record<string, string>): Promise<INestApplicationContext> {
  return phaseClock().span('boot', async () => {
    Object.assign(process.env, env);
    const { NestFactory } = await import('@nestjs/core');
    const { AppModule } = await import('../../src/app.module');
    const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
    const close = app.close.bind(app);
    app.close = () => phaseClock().span('teardown', close);
    return app;
  });
}
