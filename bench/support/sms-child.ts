/**
 * Child processes of the SMS and API phases, run by plain `node` rather than under ts-node: the
 * TypeScript compiler ts-node keeps loaded adds about 60 MB of RSS, which would be charged to the
 * process whose memory the benchmark reports. A child script is transpiled once into the run's
 * scratch folder and loads the service from the build (dist/), as production does.
 */
import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as ts from 'typescript';

export const ROOT = join(__dirname, '..', '..');

/**
 * Builds the service if its sources changed (scripts/build-if-needed.js) and copies the build into
 * the run's scratch folder, so a rebuild started meanwhile (which empties dist/) cannot pull files
 * from under a process the benchmark is starting. Returns the copy's dist folder; run it with
 * `cwd: ROOT` and NODE_PATH pointing at the project's node_modules (forkPlain and the API phase do).
 */
export function snapshotBuild(workDir: string): string {
  const target = join(workDir, 'dist');
  for (let attempt = 1; ; attempt++) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, stdio: 'inherit' });
    try {
      cpSync(join(ROOT, 'dist'), target, { recursive: true, force: true });
      if (existsSync(join(target, 'src', 'main.js')) && existsSync(join(target, 'src', 'app.module.js'))) return target;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
    if (attempt >= 3) throw new Error('dist/ stayed incomplete (someone keeps rebuilding it)');
  }
}

export interface ChildOptions {
  workDir: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  execArgv?: string[];
  args?: string[];
  /** Let the child's stdout through (a sink prints its port there; the caller reads it). */
  stdout?: 'pipe' | 'inherit';
}

/** Forks `script` (a .ts file of bench/support) under plain node, with an IPC channel. */
export function forkPlain(script: string, options: ChildOptions): ChildProcess {
  const source = readFileSync(script, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: basename(script),
  });
  const compiled = join(options.workDir, basename(script).replace(/\.ts$/, '.js'));
  writeFileSync(compiled, outputText);
  return fork(compiled, options.args ?? [], {
    cwd: ROOT,
    execArgv: options.execArgv ?? [],
    // The compiled script lives outside the repository; NODE_PATH lets it find the project's packages.
    env: { ...process.env, BENCH_ROOT: ROOT, NODE_PATH: join(ROOT, 'node_modules'), ...options.env },
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends a message and resolves with the child's next message (children answer one at a time). */
export function ask<T>(child: ChildProcess, message: unknown): Promise<T> {
  const answer = nextMessage<T>(child, `answered ${JSON.stringify(message)}`);
  child.send(message as object);
  return answer;
}

/** Waits for the child's first message (its "ready"). */
export function firstMessage<T>(child: ChildProcess): Promise<T> {
  return nextMessage<T>(child, 'it was ready');
}

/** The child's next message; an `{ error }` message or the child ending first rejects. */
function nextMessage<T>(child: ChildProcess, awaited: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`child process ended (code ${code}) before ${awaited}`));
    child.once('exit', onExit);
    child.once('message', (reply) => {
      child.off('exit', onExit);
      const answer = reply as T & { error?: string };
      if (answer && typeof answer === 'object' && answer.error) reject(new Error(answer.error));
      else resolve(answer);
    });
  });
}

/** Waits for a line `PORT <n>` on the child's stdout. */
export function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.once('exit', (code) => reject(new Error(`child process ended (code ${code}) before it listened`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /PORT (\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
  });
}

/** Closes the child's IPC channel, on which every bench child exits (writing a CPU profile if asked), and waits until it has. */
export async function endChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
