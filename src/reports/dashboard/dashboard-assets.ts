import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultTemplatesDir } from '../../templates/files/file-template-catalogue';

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  hash: string;
  /** The URL pages use: the content hash in the query, so a new release is never served from an old cache. */
  url: string;
}

/**
 * The dashboard's static files, read once at start-up (a few hundred kilobytes in all). Only these
 * names are served: nothing from the request reaches the file system.
 */
@Injectable()
export class DashboardAssets {
  private readonly files = new Map<string, DashboardAsset>();

  constructor() {
    // chart.js's package exports name only its ES and CommonJS entries; the UMD build sits beside them.
    const chartDist = dirname(require.resolve('chart.js'));
    const own = join(defaultTemplatesDir(), 'dashboard', 'assets');
    this.add('chart.umd.js', join(chartDist, 'chart.umd.min.js'), 'text/javascript; charset=utf-8');
    this.add('dashboard.js', join(own, 'dashboard.js'), 'text/javascript; charset=utf-8');
    this.add('dashboard.css', join(own, 'dashboard.css'), 'text/css; charset=utf-8');
  }

  get(name: string): DashboardAsset | undefined {
    return this.files.get(name);
  }

  /** The URLs the layout links to. */
  urls(): { chart: string; script: string; style: string } {
    const url = (name: string) => this.files.get(name)?.url ?? '';
    return { chart: url('chart.umd.js'), script: url('dashboard.js'), style: url('dashboard.css') };
  }

  private add(name: string, path: string, contentType: string): void {
    const body = readFileSync(path);
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
    this.files.set(name, { body, contentType, hash, url: `/dashboard/assets/${name}?v=${hash}` });
  }
}
