import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { baselineProblems, duplicates, leftovers } from '../support/counts.js';
import { seededRandom } from '../support/faults.js';
import { tempDir } from '../support/stack.js';
import { Proc, failures } from './harness.js';
import {
  afterCleanDestroy,
  answersFor,
  baseline,
  clean,
  cleanCreate,
  cleanDestroy,
  convergeThenDestroy,
  putSecretParameter,
  countOf,
  destroyCalls,
  expectedCases,
  expectedCreate,
  expectedDestroy,
  moto,
  mutatingCalls,
  resourceSteps,
} from './crash-matrix-setup.js';

/**
 * The crash matrix, first half (see crash-matrix-setup.ts): the clean run it is built from, a
 * crash in every mutating call of create followed by a resumed create, and SIGKILLs of the built
 * CLI. The other half is crash-matrix-destroy.test.ts.
 */

describe('crash matrix: the clean run the matrix is built from', () => {
  it('creates every step of the plan once and destroys to nothing', () => {
    // GIVEN the full plan  WHEN it runs without faults  THEN everything is created once and removed
    expect(failures(cleanCreate.result)).toEqual([]);
    expect(cleanCreate.result.ok).toBe(true);
    expect(duplicates(baseline, { subnets: 2, securityGroups: 2, instances: 2 })).toEqual({});
    // Every kind the plan makes was seen (a kind the counter missed would compare 0 with 0 below).
    expect(baselineProblems(baseline, clean.plan, clean.answers)).toEqual([]);
    expect(failures(cleanDestroy.result)).toEqual([]);
    expect(leftovers(afterCleanDestroy)).toEqual({});
  });

  it('makes exactly the mutating calls the plan implies, so the matrix holds every case', () => {
    // GIVEN the calls each step of the plan makes, written out by hand (plan-calls.ts)
    // WHEN the clean run's calls are split by step  THEN they match, call for call
    expect(cleanCreate.byStep).toEqual(expectedCreate);
    expect(cleanDestroy.byStep).toEqual(expectedDestroy);
    expect(2 * mutatingCalls.length + resourceSteps.length + destroyCalls.length).toBe(expectedCases);
  });
});

describe.concurrent('crash in the middle of a mutating call of create (reached AWS, response lost)', () => {
  it.each(mutatingCalls.map((op, i) => [i + 1, op] as const))('#%i %s → create converges, destroy leaves nothing', async (k, op) => {
    // GIVEN a create that dies right after mutating call #k reached AWS
    const stack = `cm-m${k}`;
    const first = Proc.fresh(answersFor(stack), moto.endpoint, { crashAtMutatingCall: k });
    const r = await first.create({ concurrency: 1 });
    expect(r.ok).toBe(false);
    expect(first.faults.crashed).toContain(op);
    // WHEN create runs again from the state the crash left THEN it converges; destroy cleans up
    await convergeThenDestroy(first, stack);
  });
});

// ---------------------------------------------------------------------------------------------
// The real thing: SIGKILL the built CLI at seeded random moments.

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/ecs-wizard.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Lines the CLI wrote to stderr (with --verbose, one per engine event and per AWS call). */
  lines: number;
}

/** Runs the CLI; with `killAtLine`, SIGKILLs it as soon as it has written that many progress lines. */
function cli(args: string[], killAtLine?: number): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: moto.env({ PATH: process.env.PATH ?? '' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lines = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      lines = stderr.split('\n').length - 1;
      if (killAtLine !== undefined && lines >= killAtLine && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, lines }));
  });
}

async function cliStack(stack: string): Promise<{ create: string[]; destroy: string[] }> {
  await putSecretParameter(stack);
  const dir = tempDir('ecs-wizard-kill-');
  const answers = path.join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify({ region: 'us-east-1', ...answersFor(stack) }));
  // --verbose: every engine event and AWS call is a line on stderr, the clock the kills are timed by.
  const common = ['--state-dir', path.join(dir, 'state'), '--endpoint-url', moto.endpoint, '--output', 'json', '--verbose'];
  return { create: ['create', '--answers', answers, '--yes', '--no-wait', ...common], destroy: ['destroy', stack, '--yes', ...common] };
}

describe('SIGKILL of the CLI at random moments', () => {
  it('create converges after each kill, and destroy leaves nothing', { timeout: 120_000 }, async () => {
    // GIVEN how many progress lines a clean create through the CLI writes
    const c = await cliStack('ck-clean');
    const full = await cli(c.create);
    expect(full.code, full.stderr).toBe(0);
    expect(full.lines).toBeGreaterThan(20);
    const cliBaseline = await countOf('ck-clean');
    expect((await cli(c.destroy)).code).toBe(0);
    const rand = seededRandom(8);
    for (let i = 1; i <= 3; i++) {
      const stack = `ck-${i}`;
      const s = await cliStack(stack);
      // WHEN create is SIGKILLed at a seeded random point of its run (well before its last line)
      const at = 1 + Math.floor(rand() * full.lines * 0.8);
      const killed = await cli(s.create, at);
      // THEN it died by the signal — it had not ended by itself, and printed no result
      expect({ code: killed.code, signal: killed.signal }, `kill #${i} at line ${at}`).toEqual({ code: null, signal: 'SIGKILL' });
      expect(killed.stdout).toBe('');
      expect(killed.lines).toBeLessThan(full.lines);
      // AND the next create converges to exactly one of each resource (taking over the stale lock)
      const again = await cli(s.create);
      expect(again.code, `kill #${i} at line ${at}: ${again.stderr}`).toBe(0);
      expect(await countOf(stack)).toEqual(cliBaseline);
      // AND destroy leaves nothing
      const gone = await cli(s.destroy);
      expect(gone.code, gone.stderr).toBe(0);
      expect(leftovers(await countOf(stack))).toEqual({});
    }
  });
});
