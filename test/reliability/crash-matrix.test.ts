import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isWaitStep, type EngineEvent, type RunResult } from '../../src/engine/types.js';
import { topoOrder } from '../../src/engine/graph.js';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { startMoto } from '../support/moto.js';
import { StackCounter, baselineProblems, duplicates, leftovers, type StackCounts } from '../support/counts.js';
import { seededRandom } from '../support/faults.js';
import { tempDir } from '../support/stack.js';
import { Proc, failures } from './harness.js';
import { CREATE_CALLS, DESTROY_CALLS, callsByStep, expectedCalls } from './plan-calls.js';

/**
 * The crash matrix: the run is stopped at every step boundary and in the middle of every mutating
 * call (the call reached AWS, its response never came back, the process is dead), then the next
 * `create` must converge with exactly one of each resource, and `destroy` must leave nothing. The
 * steps and calls are enumerated from buildPlan() and a clean run, and the clean run is held to
 * the calls plan-calls.ts lists for each step, so the number of cases is exactly what the plan
 * implies. One moto for the file; each case has its own stack name instead of a reset, which keeps
 * the cases independent, so they run concurrently (vitest's maxConcurrency).
 */

// Answers that switch on as many steps and kinds as one plan can hold (ECR repository, a secret).
const answersFor = (stack: string): Partial<AnswersInput> & { stack: string } => ({
  stack,
  service: { ecrRepository: `${stack}-app`, secrets: { DB_PASSWORD: `arn:aws:ssm:us-east-1:123456789012:parameter/${stack}/db` } },
});

const moto = await startMoto();
const counter = new StackCounter(moto.endpoint);
afterAll(async () => {
  counter.destroy();
  await moto.stop();
});

const countOf = (stack: string): Promise<StackCounts> => counter.count(stack, { ecrRepository: `${stack}-app` });

/** Runs `run` at concurrency 1, noting how many mutating calls had been made as each step started. */
async function sequential(proc: Proc, run: (onEvent: (e: EngineEvent) => void) => Promise<RunResult>) {
  const from = proc.faults.mutatingSent.length;
  const marks: { stepId: string; at: number }[] = [];
  const result = await run((e) => {
    if (e.type === 'start' && marks.at(-1)?.stepId !== e.stepId) marks.push({ stepId: e.stepId, at: proc.faults.mutatingSent.length - from });
  });
  const calls = proc.faults.mutatingSent.slice(from);
  return { result, calls, byStep: callsByStep(calls, marks) };
}

// A clean run, sequential, to enumerate the plan's steps and mutating calls in order.
const clean = Proc.fresh(answersFor('cm-clean'), moto.endpoint);
let t0 = Date.now();
const cleanCreate = await sequential(clean, (onEvent) => clean.create({ concurrency: 1, onEvent }));
const createMs = Date.now() - t0;
const mutatingCalls = cleanCreate.calls;
const resourceSteps = topoOrder(clean.plan).filter((id) => !isWaitStep(clean.plan.find((s) => s.id === id)!));
const baseline = await countOf('cm-clean');
t0 = Date.now();
const cleanDestroy = await sequential(clean, (onEvent) => clean.destroy({ concurrency: 1, onEvent }));
console.log(`crash matrix: clean create ${createMs} ms (${mutatingCalls.length} mutating calls), destroy ${Date.now() - t0} ms (${cleanDestroy.calls.length})`);
const destroyCalls = cleanDestroy.calls;
const afterCleanDestroy = await countOf('cm-clean');
clean.close();

// What the plan says the matrix must hold: one case per mutating call of create (twice: resume,
// and destroy straight away), one per step boundary, one per mutating call of destroy.
const expectedCreate = expectedCalls(clean.plan, clean.answers, CREATE_CALLS);
const expectedDestroy = expectedCalls(clean.plan, clean.answers, DESTROY_CALLS);
const total = (byStep: Record<string, string[]>): number => Object.values(byStep).reduce((n, calls) => n + calls.length, 0);
const expectedCases = 2 * total(expectedCreate) + resourceSteps.length + total(expectedDestroy);

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

/** After a crash: the next create converges to the clean baseline, then destroy leaves nothing. */
async function convergeThenDestroy(crashed: Proc, stack: string): Promise<void> {
  const resumed = crashed.next(answersFor(stack), moto.endpoint);
  const again = await resumed.create();
  expect(failures(again), 'resumed create').toEqual([]);
  expect(await countOf(stack), 'resources after the resumed create').toEqual(baseline);
  const gone = await resumed.destroy();
  resumed.close();
  expect(failures(gone), 'destroy').toEqual([]);
  expect(leftovers(await countOf(stack)), 'left after destroy').toEqual({});
}

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

describe.concurrent('crash in the middle of a mutating call of create, then destroy straight away', () => {
  it.each(mutatingCalls.map((op, i) => [i + 1, op] as const))('#%i %s → destroy leaves nothing', async (k) => {
    // GIVEN a create that died right after mutating call #k reached AWS
    const stack = `cm-d${k}`;
    const first = Proc.fresh(answersFor(stack), moto.endpoint, { crashAtMutatingCall: k });
    await first.create({ concurrency: 1 });
    // WHEN the user destroys from that state THEN nothing is left (interrupted creates are looked up)
    const next = first.next(answersFor(stack), moto.endpoint);
    const gone = await next.destroy();
    next.close();
    expect(failures(gone)).toEqual([]);
    expect(leftovers(await countOf(stack))).toEqual({});
  });
});

describe.concurrent('crash at a step boundary of create', () => {
  it.each(resourceSteps)('after "%s" → create converges, destroy leaves nothing', async (stepId) => {
    // GIVEN a create that dies right after the step's outputs were recorded
    const stack = `cm-b${resourceSteps.indexOf(stepId)}`;
    const first = Proc.fresh(answersFor(stack), moto.endpoint);
    await first.create({
      concurrency: 1,
      onEvent: (e) => {
        if (e.type === 'end' && e.stepId === stepId) first.faults.crash(`after step ${stepId}`);
      },
    });
    expect(first.faults.crashed).toBe(`after step ${stepId}`);
    // WHEN create runs again THEN it converges; destroy cleans up
    await convergeThenDestroy(first, stack);
  });
});

describe.concurrent('crash in the middle of a mutating call of destroy', () => {
  it.each(destroyCalls.map((op, i) => [i + 1, op] as const))('#%i %s → destroy again leaves nothing', async (k, op) => {
    // GIVEN a complete stack, and a destroy that dies right after its mutating call #k reached AWS
    const stack = `cm-x${k}`;
    const maker = Proc.fresh(answersFor(stack), moto.endpoint);
    expect(failures(await maker.create())).toEqual([]);
    maker.close();
    const dying = new Proc(answersFor(stack), moto.endpoint, maker.stateDir, { crashAtMutatingCall: k });
    await dying.destroy({ concurrency: 1 });
    expect(dying.faults.crashed).toContain(op);
    // WHEN destroy runs again from the state the crash left THEN nothing is left
    const again = dying.next(answersFor(stack), moto.endpoint);
    const gone = await again.destroy();
    again.close();
    expect(failures(gone)).toEqual([]);
    expect(leftovers(await countOf(stack))).toEqual({});
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

function cliStack(stack: string): { create: string[]; destroy: string[] } {
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
    const c = cliStack('ck-clean');
    const full = await cli(c.create);
    expect(full.code, full.stderr).toBe(0);
    expect(full.lines).toBeGreaterThan(20);
    const cliBaseline = await countOf('ck-clean');
    expect((await cli(c.destroy)).code).toBe(0);
    const rand = seededRandom(8);
    for (let i = 1; i <= 3; i++) {
      const stack = `ck-${i}`;
      const s = cliStack(stack);
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
