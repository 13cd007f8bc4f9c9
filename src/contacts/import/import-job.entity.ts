import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const IMPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed';

/** One bulk import of contacts from a file, with its progress and its resume point. */
@Entity('import_jobs')
export class ImportJob {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  status: ImportStatus;

  @Column('text')
  format: ImportFormat;

  /** The name the file had where it came from (the CLI's argument); null for uploads. */
  @Column('text', { nullable: true })
  sourceName: string | null;

  @Column('text')
  filePath: string;

  // bigint arrives from pg as a string; files stay far below 2^53 bytes.
  @Column('bigint', { transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  totalBytes: number;

  @Column('bigint', { transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  processedBytes: number;

  @Column('integer') rowsSeen: number;
  @Column('integer') rowsCreated: number;
  @Column('integer') rowsUpdated: number;
  @Column('integer') rowsUnchanged: number;
  @Column('integer') rowsFailed: number;

  /** Why the whole job failed; never holds values from the file. */
  @Column('text', { nullable: true })
  failure: string | null;

  /** The last physical line of the file whose row is committed; a resumed job starts after it. */
  @Column('integer')
  checkpointLine: number;

  /** The process that may work on the job until lease_expires_at. */
  @Column('text', { nullable: true })
  leaseOwner: string | null;

  @Column('timestamptz', { nullable: true })
  leaseExpiresAt: Date | null;

  @Column('text')
  createdBy: string;

  @Column('uuid', { nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  finishedAt: Date | null;
}

/** A row the import left out, and why. Holds no value from the file, so erasure has nothing to find here. */
@Entity('import_row_errors')
export class ImportRowError {
  @PrimaryColumn('uuid')
  jobId: string;

  @PrimaryColumn('integer')
  line: number;

  @PrimaryColumn('text')
  field: string;

  @Column('text')
  problem: string;
}
