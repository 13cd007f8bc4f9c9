import { Controller, Get, HttpStatus, Param, Res, UseFilters } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../auth/decorators';
import { DashboardAssets } from './dashboard-assets';
import { DashboardPageError } from './dashboard-page.error';
import { DashboardPageFilter } from './dashboard-page.filter';

/**
 * The dashboard's static files from our own origin (CSP script-src 'self'): Chart.js's UMD build
 * and our script and style sheet. They hold no data, so they need no session; page URLs carry a
 * content hash, so the files may be cached for a year.
 */
@Public()
@SkipThrottle()
@UseFilters(DashboardPageFilter)
@ApiExcludeController()
@Controller('dashboard/assets')
export class DashboardAssetsController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get(':name')
  file(@Param('name') name: string, @Res() res: Response): void {
    const asset = this.assets.get(name);
    if (!asset) throw new DashboardPageError(HttpStatus.NOT_FOUND);
    res.setHeader('Content-Type', asset.contentType);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', `"${asset.hash}"`);
    res.send(asset.body);
  }
}
