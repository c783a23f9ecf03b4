import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isWaitStep } from '../../src/engine/types.js';
import { topoOrder } from '../../src/engine/graph.js';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { startMoto } from '../support/moto.js';
import { StackCounter, duplicates, leftovers, type StackCounts } from '../support/counts.js';
import { seededRandom } from '../support/faults.js';
import { tempDir } from '../support/stack.js';
import { Proc, failures } from './harness.js';

/**
 * The crash matrix: the run is stopped at every step boundary and in the middle of every mutating
 * call (the call reached AWS, its response never came back, the process is dead), then the next
 * `create` must converge with exactly one of each resource, and `destroy` must leave nothing. The
 * steps and calls are enumerated from buildPlan() and a clean run, so a new step is covered
 * without editing this file. One moto for the file; each case has its own stack name instead of a
 * reset, which keeps the cases independent, so they run concurrently (vitest's maxConcurrency).
 */

// Answers that switch on as many steps as one plan can hold (ECR repository included).
const answersFor = (stack: string): Partial<AnswersInput> & { stack: string } => ({ stack, service: { ecrRepository: `${stack}-app` } });

const moto = await startMoto();
const counter = new StackCounter(moto.endpoint);
afterAll(async () => {
  counter.destroy();
  await moto.stop();
});

const countOf = (stack: string): Promise<StackCounts> => counter.count(stack, { ecrRepository: `${stack}-app` });

// A clean run, sequential, to enumerate the plan's steps and mutating calls in order.
const clean = Proc.fresh(answersFor('cm-clean'), moto.endpoint);
let t0 = Date.now();
const cleanRun = await clean.create({ concurrency: 1 });
const createMs = Date.now() - t0;
const mutatingCalls = [...clean.faults.mutatingSent];
const resourceSteps = topoOrder(clean.plan).filter((id) => !isWaitStep(clean.plan.find((s) => s.id === id)!));
const baseline = await countOf('cm-clean');
t0 = Date.now();
const cleanDestroy = await clean.destroy({ concurrency: 1 });
console.log(`crash matrix: clean create ${createMs} ms (${clean.faults.mutatingSent.length} mutating calls), destroy ${Date.now() - t0} ms`);
const destroyCalls = [...clean.faults.mutatingSent.slice(mutatingCalls.length)];
const afterCleanDestroy = await countOf('cm-clean');
clean.close();

describe('crash matrix: the clean run the matrix is built from', () => {
  it('creates every step of the plan once and destroys to nothing', () => {
    // GIVEN the full plan  WHEN it runs without faults  THEN everything is created once and removed
    expect(failures(cleanRun)).toEqual([]);
    expect(cleanRun.ok).toBe(true);
    expect(mutatingCalls.length).toBeGreaterThan(resourceSteps.length - 1);
    expect(duplicates(baseline, { subnets: 2, securityGroups: 2, instances: 2, routeTables: 1 })).toEqual({});
    expect(baseline.vpcs).toBe(1);
    expect(failures(cleanDestroy)).toEqual([]);
    expect(leftovers(afterCleanDestroy)).toEqual({});
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
  stderr: string;
  ms: number;
}

function cli(args: string[], killAfterMs?: number): Promise<Exit> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bin, ...args], { env: moto.env({ PATH: process.env.PATH ?? '' }), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - started });
    });
  });
}

function cliStack(stack: string): { create: string[]; destroy: string[] } {
  const dir = tempDir('ecs-wizard-kill-');
  const answers = path.join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify({ region: 'us-east-1', ...answersFor(stack) }));
  const common = ['--state-dir', path.join(dir, 'state'), '--endpoint-url', moto.endpoint, '--output', 'json'];
  return { create: ['create', '--answers', answers, '--yes', '--no-wait', ...common], destroy: ['destroy', stack, '--yes', ...common] };
}

describe('SIGKILL of the CLI at random moments', () => {
  it('create converges after each kill, and destroy leaves nothing', { timeout: 120_000 }, async () => {
    // GIVEN how long a clean create takes through the CLI
    const c = cliStack('ck-clean');
    const full = await cli(c.create);
    expect(full.code, full.stderr).toBe(0);
    const cliBaseline = await countOf('ck-clean');
    expect((await cli(c.destroy)).code).toBe(0);
    const rand = seededRandom(8);
    for (let i = 1; i <= 3; i++) {
      const stack = `ck-${i}`;
      const s = cliStack(stack);
      // WHEN create is SIGKILLed at a seeded random moment of its run
      const at = Math.round(200 + rand() * (full.ms - 200));
      const killed = await cli(s.create, at);
      // THEN the next create converges to exactly one of each resource (taking over the stale lock)
      const again = await cli(s.create);
      expect(again.code, `kill #${i} at ${at} ms (${killed.signal ?? killed.code}): ${again.stderr}`).toBe(0);
      expect(await countOf(stack)).toEqual(cliBaseline);
      // AND destroy leaves nothing
      const gone = await cli(s.destroy);
      expect(gone.code, gone.stderr).toBe(0);
      expect(leftovers(await countOf(stack))).toEqual({});
    }
  });
});
