import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/engine/types.js';
import { askWhilePaused, plainReporter, ttyReporter, reporterKind, type Reporter } from '../../../src/ui/reporter.js';
import { colourEnabled } from '../../../src/ui/style.js';
import { makeReporter, printResult } from '../../../src/cli/output.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { CommonOptions } from '../../../src/cli/options.js';

/** A stream that records what is written; isTTY/columns as a terminal would report them. */
function fakeStream(isTTY: boolean) {
  const s = { isTTY, columns: 100, text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s as typeof s & NodeJS.WritableStream;
}

/** The same run for every renderer: two steps in parallel, a wait with progress, a failure, a skip. */
function play(r: Reporter, clock: { t: number }): void {
  const at = (ms: number, e: EngineEvent): void => {
    clock.t = ms;
    r.event(e);
  };
  at(0, { type: 'start', stepId: 'vpc', title: 'VPC', action: 'find' });
  at(100, { type: 'start', stepId: 'vpc', title: 'VPC', action: 'create' });
  at(400, { type: 'start', stepId: 'cluster', title: 'ECS cluster', action: 'find' });
  at(1200, { type: 'end', stepId: 'vpc', title: 'VPC', outcome: 'created', durationMs: 1200 });
  at(1300, { type: 'end', stepId: 'cluster', title: 'ECS cluster', outcome: 'exists', durationMs: 900 });
  at(1400, { type: 'start', stepId: 'load-balancer-active', title: 'Load balancer active', action: 'wait' });
  at(43_400, { type: 'progress', stepId: 'load-balancer-active', title: 'Load balancer active', message: 'waiting for the load balancer to become active (42 s)' });
  at(44_000, { type: 'start', stepId: 'service', title: 'ECS service', action: 'create' });
  const denied = Object.assign(new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateService'), { name: 'AccessDeniedException' });
  at(44_500, { type: 'end', stepId: 'service', title: 'ECS service', outcome: 'failed', durationMs: 500, error: denied });
  at(61_400, { type: 'end', stepId: 'load-balancer-active', title: 'Load balancer active', outcome: 'waited', durationMs: 60_000 });
  at(61_500, { type: 'end', stepId: 'service-stable', title: 'Service stable', outcome: 'skipped', durationMs: 0 });
  r.close();
}

const visible = (s: string): string => s.replace(/\x1b/g, '␛').replace(/\r/g, '␍');

describe('reporters render the same event sequence', () => {
  it('TTY: a live block of running steps with spinner, what it waits for and elapsed time; marks for done/failed/skipped', () => {
    // GIVEN a terminal stream, colour off (NO_COLOR) and a fixed clock
    const out = fakeStream(true);
    const clock = { t: 0 };
    // WHEN the run is played
    play(ttyReporter(out, { now: () => clock.t, colour: false, animate: false }), clock);
    // THEN running steps are redrawn in place and finished ones persist with a mark
    expect(visible(out.text)).toMatchInlineSnapshot(`
      "⠋ VPC: checking  0.0 s
      ␍␛[1A␛[J⠙ VPC: creating  0.1 s
      ␍␛[1A␛[J⠹ VPC: creating  0.4 s
      ⠹ ECS cluster: checking  0.0 s
      ␍␛[2A␛[J✔ VPC: created 1.2 s
      ⠸ ECS cluster: checking  0.8 s
      ␍␛[1A␛[J✔ ECS cluster: already exists 0.9 s
      ⠴ Load balancer active: waiting  0.0 s
      ␍␛[1A␛[J⠦ Load balancer active: waiting for the load balancer to become active  42 s
      ␍␛[1A␛[J⠧ Load balancer active: waiting for the load balancer to become active  43 s
      ⠧ ECS service: creating  0.0 s
      ␍␛[2A␛[J✖ ECS service: failed — AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateService 0.5 s
      ⠇ Load balancer active: waiting for the load balancer to become active  43 s
      ␍␛[1A␛[J✔ Load balancer active: ready 1 m 00 s
      - Service stable: skipped
      "
    `);
    expect(out.text).toContain('Load balancer active: waiting for the load balancer to become active  42 s');
    expect(out.text).toContain('✖ ECS service: failed — AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateService');
  });

  it('TTY with colour: escape codes only when colour is on', () => {
    const out = fakeStream(true);
    const clock = { t: 0 };
    play(ttyReporter(out, { now: () => clock.t, colour: true, animate: false }), clock);
    expect(out.text).toContain('\x1b[32m✔\x1b[39m VPC: created');
  });

  it('plain: one timestamped line per event and no escape characters at all', () => {
    // GIVEN a pipe and a fixed wall clock
    const out = fakeStream(false);
    const clock = { t: 0 };
    // WHEN the same run is played
    play(plainReporter(out, () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5) + clock.t)), clock);
    // THEN every event is one line, readable top to bottom
    expect(out.text).toMatchInlineSnapshot(`
      "03:04:05 VPC: checking
      03:04:05 VPC: creating
      03:04:05 ECS cluster: checking
      03:04:06 VPC: created (1.2 s)
      03:04:06 ECS cluster: already exists (0.9 s)
      03:04:06 Load balancer active: waiting
      03:04:48 Load balancer active: waiting for the load balancer to become active (42 s)
      03:04:49 ECS service: creating
      03:04:49 ECS service: FAILED — AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateService (0.5 s)
      03:05:06 Load balancer active: ready (1 m 00 s)
      03:05:06 Service stable: skipped (0.0 s)
      "
    `);
    expect(out.text).not.toContain('\x1b');
    expect(out.text.trim().split('\n')).toHaveLength(11);
  });
});

describe('a prompt in the middle of a run (destroy\'s confirmation, hosts refresh\'s)', () => {
  it('TTY: the live block is cleared for the prompt, lines wait until it is answered, and progress shows again after it', async () => {
    // GIVEN a terminal with one step running
    const out = fakeStream(true);
    const clock = { t: 0 };
    const r = ttyReporter(out, { now: () => clock.t, colour: false, animate: false });
    r.event({ type: 'start', stepId: 'inventory', title: 'Inventory', action: 'find' });
    // WHEN a prompt asks, and meanwhile a warning comes and the step ends
    let duringPrompt = '';
    const typed = await askWhilePaused(r, async () => {
      const mark = out.text.length;
      r.warn('the lock is held by a deploy');
      clock.t = 300;
      r.event({ type: 'end', stepId: 'inventory', title: 'Inventory', outcome: 'exists', durationMs: 300 });
      duringPrompt = out.text.slice(mark);
      return 'shop-web';
    });
    const afterPrompt = out.text.length;
    // AND the run goes on after the answer
    clock.t = 400;
    r.event({ type: 'start', stepId: 'service', title: 'ECS service', action: 'destroy' });
    clock.t = 1400;
    r.event({ type: 'end', stepId: 'service', title: 'ECS service', outcome: 'destroyed', durationMs: 1000 });
    r.close();
    // THEN the prompt's answer came back, and nothing was written over the prompt
    expect(typed).toBe('shop-web');
    expect(duringPrompt).toBe('');
    // AND the live line was erased before the prompt, what came meanwhile follows it in order, then the live progress
    expect(visible(out.text)).toMatchInlineSnapshot(`
      "⠋ Inventory: checking  0.0 s
      ␍␛[1A␛[J⚠ the lock is held by a deploy
      ✔ Inventory: already exists 0.3 s
      ⠹ ECS service: deleting  0.0 s
      ␍␛[1A␛[J✔ ECS service: deleted 1.0 s
      "
    `);
    expect(out.text.slice(afterPrompt)).toContain('ECS service: deleting');
  });

  it('plain: lines during the prompt are held and then written in order, with the time they happened', async () => {
    const out = fakeStream(false);
    const clock = { t: 0 };
    const r = plainReporter(out, () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5) + clock.t));
    r.info('before');
    await askWhilePaused(r, async () => {
      clock.t = 2000;
      r.info('meanwhile');
      expect(out.text).not.toContain('meanwhile');
    });
    clock.t = 5000;
    r.info('after');
    expect(out.text).toBe('03:04:05 before\n03:04:07 meanwhile\n03:04:10 after\n');
  });

  it('a prompt that throws (Ctrl-C) still resumes the reporter, and closing says what was held', async () => {
    const out = fakeStream(true);
    const r = ttyReporter(out, { colour: false, animate: false });
    await expect(askWhilePaused(r, async () => {
      r.warn('interrupted');
      throw new Error('ExitPromptError');
    })).rejects.toThrow('ExitPromptError');
    r.info('the state is saved');
    r.close();
    expect(out.text).toBe('⚠ interrupted\nthe state is saved\n');
  });
});

function fakeCtx(env: NodeJS.ProcessEnv = {}, isTTY = false) {
  const stdout = fakeStream(isTTY);
  const stderr = fakeStream(isTTY);
  const ctx = { stdout, stderr, env, isTTY, signal: new AbortController().signal } as unknown as CliContext;
  return { ctx, stdout, stderr };
}
const options = (output: 'text' | 'json', verbose = false) => ({ output, verbose }) as CommonOptions;

describe('--output json', () => {
  it('stdout holds exactly one JSON document; progress does not reach it', () => {
    // GIVEN the JSON renderer
    const { ctx, stdout, stderr } = fakeCtx();
    const reporter = makeReporter(options('json'), ctx);
    // WHEN a whole run is played and the result printed
    play(reporter, { t: 0 });
    reporter.log('aws EC2.DescribeVpcs 12 ms');
    printResult(ctx, options('json'), { stack: 'shop-web', ok: true, url: 'http://x', steps: [] });
    // THEN stdout parses as one document, and diagnostics went to stderr
    expect(JSON.parse(stdout.text)).toMatchObject({ stack: 'shop-web', url: 'http://x' });
    expect(stderr.text).toContain('aws EC2.DescribeVpcs');
    expect(stderr.text).not.toContain('VPC: created');
  });
});

describe('choosing a renderer', () => {
  it('picks tty only on a terminal outside CI, json whenever asked', () => {
    expect(reporterKind({ isTTY: true, output: 'text', env: {} })).toBe('tty');
    expect(reporterKind({ isTTY: true, output: 'text', env: { CI: 'true' } })).toBe('plain');
    expect(reporterKind({ isTTY: false, output: 'text', env: {} })).toBe('plain');
    expect(reporterKind({ isTTY: true, output: 'json', env: {} })).toBe('json');
  });

  it('honours NO_COLOR and FORCE_COLOR=0', () => {
    expect(colourEnabled({}, true)).toBe(true);
    expect(colourEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colourEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colourEnabled({}, false)).toBe(false);
  });

  it('text summary on a pipe has no escape codes and ends with the URL', () => {
    const { ctx, stdout } = fakeCtx({ FORCE_COLOR: '0' });
    printResult(ctx, options('text'), { stack: 'shop-web', ok: true, url: 'http://shop-web-alb.example', steps: [{ title: 'VPC', outcome: 'created' }, { title: 'ECS cluster', outcome: 'exists' }] });
    expect(stdout.text).not.toContain('\x1b');
    expect(stdout.text).toContain('2 steps (1 created, 1 already exists)');
    expect(stdout.text.trim().endsWith('URL: http://shop-web-alb.example')).toBe(true);
  });
});
