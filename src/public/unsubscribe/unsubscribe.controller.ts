import { SkipThrottle } from '@nestjs/throttler';
import { Body, Controller, Get, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CsrfTokens } from '../csrf';
import { PublicPageError } from '../public-page.error';
import { PublicPages } from '../public-pages.service';
import { PublicPageRoutes } from '../public-routes.decorator';
import { UNSUBSCRIBE_PAGE, UnsubscribeService } from './unsubscribe.service';

/** The one answer to every one-click POST, whatever the token: it must not tell a prober anything. */
const ONE_CLICK_ANSWER = 'Unsubscribe request received.\n';
const MAX_MULTIPART_BYTES = 16 * 1024;

/**
 * `/unsubscribe/:token`, the URL in List-Unsubscribe. POST with `List-Unsubscribe=One-Click`
 * (RFC 8058) unsubscribes at once, with no cookie or page: the signed token is the authority. A GET
 * (a person, or a scanner following the link) only shows the confirmation page; the page's form
 * posts back here with its CSRF field and the channels and topics chosen.
 */
@PublicPageRoutes()
@Controller('unsubscribe')
export class UnsubscribeController {
  constructor(
    private readonly unsubscribe: UnsubscribeService,
    private readonly pages: PublicPages,
    private readonly csrf: CsrfTokens,
  ) {}

  @Get(':token')
  async show(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const page = await this.unsubscribe.page(token);
    this.pages.render(res, UNSUBSCRIBE_PAGE, page.locale, { ...page.context, csrf: this.csrf.issue(req, res) });
  }

  // RFC 8058 senders may post many one-click requests from one relay; the token alone is the authority.
  @SkipThrottle()
  @Post(':token')
  async post(@Param('token') token: string, @Body() body: Record<string, string | string[] | undefined> | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (await isOneClick(req, body)) {
      await this.unsubscribe.oneClick(token);
      res.status(HttpStatus.OK).setHeader('Cache-Control', 'no-store');
      res.type('text/plain').send(ONE_CLICK_ANSWER);
      return;
    }
    // Anything else is the confirmation form, which a person submits from our page.
    if (!this.csrf.verify(req)) throw new PublicPageError(HttpStatus.FORBIDDEN);
    const page = await this.unsubscribe.confirm(token, body ?? {});
    this.pages.render(res, UNSUBSCRIBE_PAGE, page.locale, { ...page.context, csrf: this.csrf.issue(req, res) });
  }
}

/**
 * RFC 8058 lets the mail client send the one field as application/x-www-form-urlencoded (parsed
 * already) or as multipart/form-data, which no body parser here reads: a small multipart body is
 * read and looked at directly.
 */
async function isOneClick(req: Request, body: Record<string, unknown> | undefined): Promise<boolean> {
  if (body && body['List-Unsubscribe'] === 'One-Click') return true;
  if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '') || !req.readable) return false;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MULTIPART_BYTES) return false;
    chunks.push(chunk);
  }
  return /name="List-Unsubscribe"\r?\n\r?\n(One-Click)\r?\n/i.test(Buffer.concat(chunks).toString('utf8').replace(/\r?\nContent-Type:[^\r\n]*/gi, ''));
}
