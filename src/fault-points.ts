/**
 * Named fault points: places in the pipeline where a test can stop a process deterministically,
 * instead of racing a timer to kill it "somewhere in the middle". A test sets
 * `MOVIEC_FAULT_POINT=<name>[@<n>]` on a child process; the n-th time (default the first) that
 * process reaches the point it prints `fault point <name> reached {…}` on stderr and stops itself
 * with SIGSTOP, exactly there. The test then does what the scenario needs — SIGKILL (a crash at
 * that point), or stop a dependency and SIGCONT (an outage at that point) — with no timer raced.
 * Unset — always, outside the tests — a point costs one comparison.
 *
 * Points: `staging.batch-written` (a batch of an import's input is committed to the staging
 * tables), `aggregate.committed` (an aggregation job committed its movies).
 */
import { writeSync } from 'node:fs';

export type FaultPointName = 'staging.batch-written' | 'aggregate.committed';

interface Armed {
  name: string;
  at: number;
  seen: number;
}

// Test-only, so read straight from the environment once (not part of the validated configuration).
const armed: Armed | undefined = parse(process.env.MOVIEC_FAULT_POINT);

function parse(value: string | undefined): Armed | undefined {
  const match = value?.match(/^([a-z.-]+)(?:@(\d+))?$/);
  return match ? { name: match[1]!, at: Number(match[2] ?? 1), seen: 0 } : undefined;
}

/** Stops this process at the n-th pass through `name` when a test armed it; otherwise nothing. */
export function faultPoint(name: FaultPointName, detail: Record<string, unknown> = {}): void {
  if (!armed || armed.name !== name || ++armed.seen !== armed.at) return;
  writeSync(2, `fault point ${name} reached ${JSON.stringify({ pass: armed.seen, ...detail })}\n`);
  // The kernel stops the process before this call returns; it goes on here after a SIGCONT.
  process.kill(process.pid, 'SIGSTOP');
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
