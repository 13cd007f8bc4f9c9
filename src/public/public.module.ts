import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { CsrfGuard, CsrfTokens } from './csrf';
import { PublicPageFilter } from './public-page.filter';
import { PublicPages } from './public-pages.service';
import { PublicRouteThrottlerGuard } from './public-throttler.guard';

/**
 * What every customer-facing page shares: rendering (PublicPages), CSRF tokens for forms, the error
 * page filter and the per-IP rate limit on all @Public() routes. Feature modules (preferences,
 * sign-up, tracking) import it.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // Named "default" so a plain @SkipThrottle() exempts a public route (signed provider webhooks).
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.PUBLIC_RATE_LIMIT_PER_MINUTE }],
      }),
    }),
  ],
  providers: [PublicPages, CsrfTokens, CsrfGuard, PublicPageFilter, { provide: APP_GUARD, useClass: PublicRouteThrottlerGuard }],
  exports: [PublicPages, CsrfTokens, CsrfGuard, PublicPageFilter],
})
export class PublicModule {}
