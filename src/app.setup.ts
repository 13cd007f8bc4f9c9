import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { urlencoded } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { rejectUnreadableBody } from './common/errors/body-errors';
import { createValidationPipe } from './common/errors/validation';
import { assignRequestId } from './common/request-id';
import { PUBLIC_FORM_PATHS } from './public/public-form-paths';

/** Everything main.ts does to the application besides listening; the tests use it too. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  app.useLogger(app.get(Logger));
  app.use(assignRequestId);
  // Security headers on every response. The public pages carry no scripts and only an inline
  // <style>, so helmet's strict default CSP fits; upgrade-insecure-requests is left out because a
  // development or test PUBLIC_BASE_URL is plain http.
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null, 'form-action': ["'self'"] } },
    }),
  );
  app.use(cookieParser());
  app.useBodyParser('json', { limit: config.JSON_BODY_LIMIT });
  // The public forms (preference centre, sign-up, one-click unsubscribe) post urlencoded bodies.
  app.use(PUBLIC_FORM_PATHS, urlencoded({ extended: false, limit: '64kb', parameterLimit: 500 }));
  app.use(rejectUnreadableBody);
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tidings')
      .setDescription('Multichannel customer care with a memory')
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: npm run cli -- apikey create --role admin' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
