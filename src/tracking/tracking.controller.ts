import { Throttle } from '@nestjs/throttler';
import { Controller, Get, HttpStatus, Param, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CampaignScoped } from '../auth/decorators';
import { ParseId } from '../common/parse-id.pipe';
import { PublicPageError } from '../public/public-page.error';
import { PublicPageRoutes } from '../public/public-routes.decorator';
import { TrackingService } from './tracking.service';

/** A transparent 1×1 GIF (42 bytes). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Every answer here is about one recipient: nobody may keep a copy, and each fetch must reach us. */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0, private');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Expires', '0');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
}

/**
 * The tracked links and the open pixel in every campaign e-mail (`/t/c/:token`, `/t/o/:token.gif`).
 * A bad, tampered or foreign token gets the plain error page (404; 410 when it has expired) and
 * records nothing; a click never redirects anywhere but the URL stored for its link.
 */
/**
 * Image proxies (Gmail's) and office gateways fetch for many readers from one address, so the
 * per-IP limit of the other public routes would turn real opens and clicks away; these routes only
 * ever record an event or redirect to a stored URL, so a far higher ceiling is safe.
 */
const TRACKING_REQUESTS_PER_MINUTE = 6_000;

@PublicPageRoutes()
@Throttle({ default: { limit: TRACKING_REQUESTS_PER_MINUTE, ttl: 60_000 } })
@Controller('t')
export class TrackingController {
  constructor(private readonly tracking: TrackingService) {}

  @Get('c/:token')
  async click(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const result = await this.tracking.click(token, { method: req.method, userAgent: req.get('user-agent') });
    noStore(res);
    if (result.kind !== 'redirect') throw new PublicPageError(result.kind === 'expired' ? HttpStatus.GONE : HttpStatus.NOT_FOUND);
    // The token must not follow the visitor to the destination in a Referer header.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.redirect(HttpStatus.FOUND, result.url);
  }

  /** Always the same GIF, whatever the token, so the pixel tells a prober nothing. */
  @Get('o/:pixel')
  async open(@Param('pixel') pixel: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (pixel.endsWith('.gif')) await this.tracking.open(pixel.slice(0, -'.gif'.length), { method: req.method, userAgent: req.get('user-agent') });
    noStore(res);
    // helmet's default same-origin policy would stop a webmail page on another origin from showing it.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.status(HttpStatus.OK).type('image/gif').send(PIXEL);
  }
}

/** Opens and clicks for the reporting side (behind an API key like the rest of the API). */
@ApiTags('campaigns')
@Controller('campaigns')
export class CampaignTrackingController {
  constructor(private readonly tracking: TrackingService) {}

  /** Unique and total opens and clicks by people, and the hits of machines apart (bots). */
  @Get(':id/tracking')
  @CampaignScoped('id')
  async counts(@Param('id', ParseId) id: string) {
    return { campaignId: id, ...(await this.tracking.campaignCounts(id)) };
  }
}
