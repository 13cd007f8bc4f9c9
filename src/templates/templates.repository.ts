import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ChannelKind } from '../channels/channel.types';
import type { TemplateParts } from './engine/template-validator';

export type VersionState = 'draft' | 'published' | 'retired';

export interface TemplateRow {
  id: string;
  key: string;
  channel: ChannelKind;
  locale: string;
  variant: string;
  createdBy: string;
  createdAt: Date;
  archivedAt: Date | null;
  publishedVersion: number | null;
  draftVersion: number | null;
  latestVersion: number;
}

export interface VersionRow {
  templateId: string;
  version: number;
  state: VersionState;
  subject: string | null;
  html: string | null;
  text: string | null;
  body: string | null;
  layout: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
}

/** One live published version, for the render-time index. */
export interface PublishedEntry {
  id: string;
  key: string;
  channel: ChannelKind;
  locale: string;
  variant: string;
  version: number;
}

const TEMPLATE_COLUMNS = `t.id, t.key, t.channel, t.locale, t.variant, t.created_by AS "createdBy", t.created_at AS "createdAt",
  t.archived_at AS "archivedAt",
  (SELECT v.version FROM template_versions v WHERE v.template_id = t.id AND v.state = 'published') AS "publishedVersion",
  (SELECT v.version FROM template_versions v WHERE v.template_id = t.id AND v.state = 'draft') AS "draftVersion",
  (SELECT max(v.version) FROM template_versions v WHERE v.template_id = t.id) AS "latestVersion"`;

const VERSION_COLUMNS = `template_id AS "templateId", version, state, subject, html, text, body, layout, created_by AS "createdBy",
  created_at AS "createdAt", updated_at AS "updatedAt", published_at AS "publishedAt"`;

const PARTS = ['subject', 'html', 'text', 'body', 'layout'] as const;

@Injectable()
export class TemplatesRepository {
  list(db: EntityManager, filter: { channel?: ChannelKind; key?: string; includeArchived: boolean }): Promise<TemplateRow[]> {
    return db.query(
      `SELECT ${TEMPLATE_COLUMNS} FROM templates t
        WHERE ($1::text IS NULL OR t.channel = $1) AND ($2::text IS NULL OR t.key = $2) AND ($3 OR t.archived_at IS NULL)
        ORDER BY t.channel, t.key, t.locale, t.variant, t.created_at`,
      [filter.channel ?? null, filter.key ?? null, filter.includeArchived],
    );
  }

  /** With `lock`, the template row is held until the transaction ends: version numbers and states change one writer at a time. */
  async find(db: EntityManager, id: string, lock = false): Promise<TemplateRow | null> {
    const rows: TemplateRow[] = await db.query(`SELECT ${TEMPLATE_COLUMNS} FROM templates t WHERE t.id = $1${lock ? ' FOR UPDATE OF t' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async insert(tx: EntityManager, template: { key: string; channel: ChannelKind; locale: string; variant: string; createdBy: string }): Promise<string> {
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO templates (key, channel, locale, variant, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [template.key, template.channel, template.locale, template.variant, template.createdBy],
    );
    return rows[0].id;
  }

  async insertDraft(tx: EntityManager, templateId: string, version: number, parts: TemplateParts, createdBy: string): Promise<void> {
    await tx.query(
      `INSERT INTO template_versions (template_id, version, state, subject, html, text, body, layout, created_by)
       VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8)`,
      [templateId, version, ...PARTS.map((p) => parts[p] ?? null), createdBy],
    );
  }

  async updateDraft(tx: EntityManager, templateId: string, version: number, parts: TemplateParts): Promise<void> {
    await tx.query(
      `UPDATE template_versions SET subject = $3, html = $4, text = $5, body = $6, layout = $7, updated_at = now()
        WHERE template_id = $1 AND version = $2 AND state = 'draft'`,
      [templateId, version, ...PARTS.map((p) => parts[p] ?? null)],
    );
  }

  /** The published version (if any) becomes retired and `version` becomes the published one. */
  async publish(tx: EntityManager, templateId: string, version: number): Promise<void> {
    await tx.query(`UPDATE template_versions SET state = 'retired', updated_at = now() WHERE template_id = $1 AND state = 'published'`, [templateId]);
    await tx.query(
      `UPDATE template_versions SET state = 'published', published_at = now(), updated_at = now() WHERE template_id = $1 AND version = $2`,
      [templateId, version],
    );
  }

  async archive(tx: EntityManager, templateId: string): Promise<void> {
    await tx.query(`UPDATE templates SET archived_at = now() WHERE id = $1 AND archived_at IS NULL`, [templateId]);
  }

  versions(db: EntityManager, templateId: string): Promise<VersionRow[]> {
    return db.query(`SELECT ${VERSION_COLUMNS} FROM template_versions WHERE template_id = $1 ORDER BY version DESC`, [templateId]);
  }

  async version(db: EntityManager, templateId: string, version: number): Promise<VersionRow | null> {
    const rows: VersionRow[] = await db.query(`SELECT ${VERSION_COLUMNS} FROM template_versions WHERE template_id = $1 AND version = $2`, [templateId, version]);
    return rows[0] ?? null;
  }

  published(db: EntityManager): Promise<PublishedEntry[]> {
    return db.query(
      `SELECT t.id, t.key, t.channel, t.locale, t.variant, v.version
         FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.state = 'published'
        WHERE t.archived_at IS NULL`,
    );
  }
}
