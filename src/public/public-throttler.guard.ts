import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { PUBLIC_ROUTE } from '../auth/decorators';

/**
 * Per-IP rate limit (PUBLIC_RATE_LIMIT_PER_MINUTE per route) on the routes anyone can reach: the
 * ones marked @Public(). Routes behind an API key are not counted; a public route whose callers are
 * known machines (signed provider webhooks) may opt out with @SkipThrottle().
 */
@Injectable()
export class PublicRouteThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return !this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]);
  }

  /**
   * `req.ip` already honours `trust proxy` (loopback only, set in app.setup.ts); the library's
   * default would take the left-most X-Forwarded-For entry, which any client can write.
   */
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    return Promise.resolve(String(req.ip ?? 'unknown'));
  }
}
