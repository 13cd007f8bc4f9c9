/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went, by the code that spent
 * it: each sample is charged to the deepest frame on its stack that belongs to a package
 * (node_modules/<name>) or to one of our folders (src/<domain>[/<sub>]), so time in node's own
 * buffers, streams or JSON under pg's parser counts as pg, under axios as axios. Stacks with no such
 * frame are charged to node's module (node:_http_client when HTTP is on the stack, else the
 * innermost: node:net …), the engine's (GC, program) or idle. Used by the SMS and API phases with `--profile`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The owner of one frame, or null when it says nothing (a builtin called by someone else). */
function ownerOf(frame: ProfileNode['callFrame']): string | null {
  if (frame.functionName === '(garbage collector)') return '(gc)';
  if (frame.functionName === '(idle)') return '(idle)';
  if (frame.functionName === '(program)') return '(program)';
  const url = frame.url;
  if (!url) return null;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/(?:dist\/)?src\/([^/]+)(?:\/([^/]+)\/)?/.exec(url);
  if (ours) return `src/${ours[1]}${ours[2] ? `/${ours[2]}` : ''}`;
  if (url.startsWith('node:')) return url;
  return null;
}

/** Milliseconds per owner, the biggest first; `total` excludes idle. */
export function summariseProfile(file: string): { total: number; idle: number; byOwner: Array<[string, number]> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const owners = new Map<number, string>();
  const ownerOfNode = (id: number): string => {
    const known = owners.get(id);
    if (known) return known;
    // Walk up until a frame names an owner; node: frames only count when nothing above does.
    const chain: number[] = [];
    let current: number | undefined = id;
    let owner: string | null = null;
    let firstNodeModule: string | null = null;
    while (current !== undefined) {
      const cached = owners.get(current);
      if (cached) {
        owner = cached;
        break;
      }
      chain.push(current);
      const own = ownerOf(byId.get(current)!.callFrame);
      if (own && !own.startsWith('node:')) {
        owner = own;
        break;
      }
      // Of node's own modules, HTTP says the most (a socket write under it is an HTTP request's).
      if (own && (!firstNodeModule || (own.startsWith('node:_http_') && !firstNodeModule.startsWith('node:_http_')))) firstNodeModule = own;
      current = parent.get(current);
    }
    if (!owner) return firstNodeModule ?? '(native, unattributed)';
    // Every frame walked past lies under that owner (a node: frame under pg is pg's time).
    for (const walked of chain) owners.set(walked, owner);
    return owner;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const owner = ownerOfNode(id);
    totals.set(owner, (totals.get(owner) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const idle = totals.get('(idle)') ?? 0;
  totals.delete('(idle)');
  // The profiler's own stop (the inspector session writing the profile) is not the process's work.
  totals.delete('node:inspector');
  const byOwner = [...totals.entries()].sort((a, b) => b[1] - a[1]);
  return { total: byOwner.reduce((sum, [, ms]) => sum + ms, 0), idle, byOwner };
}

/** Sums owners into named groups (first matching pattern wins; the rest is "other"), in percent of busy time. */
export function groupProfile(summary: ReturnType<typeof summariseProfile>, groups: Array<[string, RegExp]>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name] of groups) result[name] = 0;
  result.other = 0;
  for (const [owner, ms] of summary.byOwner) {
    const group = groups.find(([, pattern]) => pattern.test(owner))?.[0] ?? 'other';
    result[group] += ms;
  }
  for (const name of Object.keys(result)) result[name] = Math.round((1000 * result[name]) / summary.total) / 10;
  return result;
}

/** The newest .cpuprofile in a folder. */
export function newestProfile(dir: string): string | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  return files.length > 0 ? join(dir, files[files.length - 1]) : null;
}

/**
 * A script to preload (`node -r <it>`) into a process whose steady state is to be profiled, not its
 * start-up. The process must have an IPC channel: the message {profiler: 'start'} starts V8's
 * sampling profiler, {profiler: 'stop'} stops it and writes `<outPrefix>-<n>.cpuprofile` (n = 1,
 * 2 …); SIGTERM or the channel closing writes a running profile the same way and exits normally.
 * (Not signals: Nest's shutdown hooks take SIGUSR2 and the rest as a reason to stop the service.)
 * Written as plain JS next to the run's scratch files.
 */
export function writeProfilerPreload(dir: string, outPrefix: string): string {
  const file = join(dir, 'steady-state-profiler.js');
  writeFileSync(
    file,
    `const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
let running = false;
let written = 0;
const stop = () => {
  if (!running) return;
  running = false;
  // The in-process session answers synchronously, so the file is written before anything exits.
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(${JSON.stringify(outPrefix)} + '-' + ++written + '.cpuprofile', JSON.stringify(result.profile));
  });
};
process.on('message', (message) => {
  if (message && message.profiler === 'stop') stop();
  if (message && message.profiler === 'start' && !running) {
    running = true;
    session.post('Profiler.start');
  }
});
const finish = () => {
  stop();
  process.exit(0);
};
process.once('SIGTERM', finish);
process.once('disconnect', finish);
`,
  );
  return file;
}
