import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * `npm run worker` as a child process (through ts-node, so it runs the sources under test), with
 * the environment given. `kill()` is SIGKILL: no shutdown hook, no goodbye, the way a crash ends it.
 */
export class WorkerProcess {
  private child: ChildProcess | null = null;
  private output = '';
  exited: Promise<number | null> = Promise.resolve(null);

  /** `compiled`: the built program (dist/), as production runs it — benchmarks measure that one. */
  constructor(
    private readonly env: Record<string, string>,
    private readonly options: { compiled?: boolean; nodeArgs?: string[] } = {},
  ) {}

  start(): this {
    const program = this.options.compiled ? [join(ROOT, 'dist', 'src', 'worker.js')] : ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'worker.ts')];
    const args = [...(this.options.nodeArgs ?? []), ...program];
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    const child = this.child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    return this;
  }

  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  /** A message over the IPC channel (e.g. to a preloaded profiler). */
  send(message: unknown): void {
    this.child?.send(message as object);
  }

  /** Whether it has exited (crashed, or stopped). */
  get stopped(): boolean {
    return this.child === null || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('the worker process is not running');
    return this.child.pid;
  }

  /** The last lines it wrote, for a failing test's message. */
  get log(): string {
    return this.output;
  }
}
