import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  // Validate before anything else is even loaded, so a bad variable is reported plainly, alone and at once.
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
  const { configureApp } = await import('./app.setup');
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true, bodyParser: false });
  configureApp(app);
  // SIGTERM lets the delivery worker finish the batch in hand; nothing is half-recorded.
  app.enableShutdownHooks();
  const config = app.get(AppConfig);
  await app.listen(config.PORT, config.HOST);
}

bootstrap().catch((error: unknown) => {
  // A port in use or an unreachable database: one readable line and a non-zero exit, not an unhandled rejection.
  process.stderr.write(`Tidings could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
