/**
 * Named fault points: places in the pipeline where a test can stop a process deterministically,
 * instead of racing a timer to kill it "somewhere in the middle". A test sets
 * `MOVIEC_FAULT_POINT=<name>[@<n>]` on a child process; the n-th time (default the first) that
 * process reaches the point it prints `fault point <name> reached {…}` on stderr and stops itself
 * with SIGSTOP, exactly there. The test then does what the scenario needs — SIGKILL (a crash at
 * that point), or stop a dependency and SIGCONT (an outage at that point) — with no timer raced.
 * Unset — always, outside the tests — a point costs one comparison.
 *
 * Several points, `<name>[@<n>],<name>[@<n>],…`, hold several jobs at once (one per worker): each
 * point reached waits there (its caller awaits it) until all of them are reached; then the process
 * stops itself. After SIGCONT the first point listed goes on; each line then read on standard input
 * lets the next one go on, in the order listed — so a test decides which job meets the outage, and
 * when. (Standard input rather than a signal: a SIGUSR2 handler installed there was seen to be
 * ignored by the kernel, which ended the process instead.)
 *
 * Points: `staging.batch-written` (a batch of an import's input is committed to the staging
 * tables), `aggregate.starting` (an aggregation job is about to open its transaction),
 * `aggregate.committed` (an aggregation job committed its movies), `aggregate.bulk-committed` (a
 * first aggregation in bulk committed the catalogue and movie_search, not yet its postings and
 * word counts, which a second transaction commits next: db/aggregate-bulk.ts).
 */
import { writeSync } from 'node:fs';

export type FaultPointName = 'staging.batch-written' | 'aggregate.starting' | 'aggregate.committed' | 'aggregate.bulk-committed';

interface Armed {
  name: string;
  at: number;
  reached: boolean;
  goOn?: () => void;
}

// Test-only, so read straight from the environment once (not part of the validated configuration).
const armed: Armed[] | undefined = parse(process.env.MOVIEC_FAULT_POINT);
const passes = new Map<string, number>();

function parse(value: string | undefined): Armed[] | undefined {
  const points = (value ?? '').split(',').flatMap((part) => {
    const match = part.trim().match(/^([a-z.-]+)(?:@(\d+))?$/);
    return match ? [{ name: match[1]!, at: Number(match[2] ?? 1), reached: false }] : [];
  });
  return points.length ? points : undefined;
}

/**
 * Stops this process at the n-th pass through `name` when a test armed it; otherwise nothing. With
 * several points armed, the caller is held (the returned promise) until its turn to go on.
 */
export function faultPoint(name: FaultPointName, detail: Record<string, unknown> = {}): void | Promise<void> {
  if (!armed) return;
  const pass = (passes.get(name) ?? 0) + 1;
  passes.set(name, pass);
  const point = armed.find((p) => p.name === name && p.at === pass);
  if (!point) return;
  point.reached = true;
  writeSync(2, `fault point ${name} reached ${JSON.stringify({ pass, ...detail })}\n`);
  if (armed.length === 1) {
    // The kernel stops the process before this call returns; it goes on here after a SIGCONT.
    process.kill(process.pid, 'SIGSTOP');
    return;
  }
  const held = new Promise<void>((resolve) => (point.goOn = resolve));
  if (armed.every((p) => p.reached)) {
    process.kill(process.pid, 'SIGSTOP');
    // Continued: the first point listed goes on now, each later one on a line of standard input.
    let next = 0;
    const goOnNext = () => armed[next++]?.goOn?.();
    goOnNext();
    process.stdin.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) goOnNext();
      // The last one gone on: standard input no longer keeps the process alive.
      if (next >= armed.length) process.stdin.destroy();
    });
    process.stdin.on('error', () => undefined);
  }
  return held;
}

/**
 * Test hook beside the fault points: loopback addresses the poster mirror may fetch from, from
 * MOVIEC_TEST_POSTER_ADDRESSES=127.0.0.1[,…] (tests serve posters from local HTTP servers; the
 * mirror refuses every non-public address otherwise, and src/assets/download.ts accepts only
 * loopback ones here). Read when settings are made, so a test can set it per command; unset outside the tests.
 */
export function testPosterAddresses(): { testAllowedAddresses?: string[] } {
  const value = process.env.MOVIEC_TEST_POSTER_ADDRESSES;
  return value ? { testAllowedAddresses: value.split(',').map((a) => a.trim()).filter(Boolean) } : {};
}
