import 'reflect-metadata';
import { ConfigError, loadConfig, setProcessRole } from './config/app-config';

/**
 * `npm run worker`: delivery workers and the trigger scheduler without the HTTP API. Run as many as
 * you like, on one machine or several sharing the database; SIGTERM finishes the batch in hand.
 */
async function bootstrap(): Promise<void> {
  setProcessRole('worker');
  try {
    loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(error.message + '\n');
    process.exitCode = 1;
    return;
  }
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module');
  const app = await NestFactory.createApplicationContext(AppModule, { bufferLogs: true });
  const { Logger } = await import('nestjs-pino');
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Tidings worker could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
