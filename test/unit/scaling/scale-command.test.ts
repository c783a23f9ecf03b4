import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { AutoScalingClient, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { sdkError } from '../../support/aws-wire.js';
import { AwsClients } from '../../../src/aws/clients.js';
import { StateFile, emptyState, readState, stateFilePath } from '../../../src/engine/state.js';
import { isWizardError } from '../../../src/errors.js';
import { scale, type ScaleFlags } from '../../../src/cli/commands/scale.js';
import type { CliContext } from '../../../src/cli/context.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import type { AnswersInput } from '../../../src/wizard/schema.js';
import { FAST_TIMING, tempDir } from '../../support/stack.js';

const ecs = mockClient(ECSClient);
const asg = mockClient(AutoScalingClient);
const aas = mockClient(ApplicationAutoScalingClient);
const ec2 = mockClient(EC2Client);
// The Price List API (never the network here): as a caller without pricing:GetProducts sees it.
const pricing = mockClient(PricingClient);
const allCalls = () => ecs.calls().length + asg.calls().length + aas.calls().length + ec2.calls().length + pricing.calls().length;

beforeEach(async () => {
  pricing.on(GetProductsCommand).rejects(await sdkError(PricingClient, GetProductsCommand, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: pricing:GetProducts'));
  // preflight resolves credentials; these never leave the process (every client is mocked).
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_ENDPOINT_URL', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  ecs.reset();
  asg.reset();
  aas.reset();
  ec2.reset();
  pricing.reset();
});

function cliContext(stateDir: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.resume();
  const ctx: CliContext = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { ECS_WIZARD_STATE_DIR: stateDir },
    cwd: stateDir,
    isTTY: false,
    makeClients: (t) => new AwsClients({ ...t, region: 'us-east-1' }),
    timing: FAST_TIMING,
    signal: new AbortController().signal,
  };
  return { ctx, out: () => out };
}

async function stackWithState(input: Partial<AnswersInput> = {}) {
  const dir = tempDir();
  const answers = validateAnswers({ stack: 'shop', region: 'us-east-1', ...input });
  const state = new StateFile(stateFilePath(dir, 'shop'), { ...emptyState('shop'), answers, region: 'us-east-1' });
  await state.put({ stepId: 'service', status: 'created', outputs: { serviceName: 'shop', clusterName: 'shop', serviceArn: 'arn:svc' }, updatedAt: '' });
  await state.put({ stepId: 'auto-scaling-group', status: 'created', outputs: { autoScalingGroupName: 'shop-ecs', autoScalingGroupArn: 'arn:asg' }, updatedAt: '' });
  return { dir, file: stateFilePath(dir, 'shop') };
}

const run = async (dir: string, flags: ScaleFlags) => {
  const c = cliContext(dir);
  const err = await scale('shop', { stateDir: dir, ...flags }, c.ctx).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, out: c.out() };
};

describe('ecs-wizard scale: refused before any AWS call', () => {
  it('names every malformed flag at once', async () => {
    const { dir } = await stackWithState();
    const { err } = await run(dir, { desiredCount: 'three', maxSize: '-1' });
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual(['--desired-count', '--max-size']);
    expect(allCalls()).toBe(0);
  });

  it('refuses min > desired and desired > max by the schema rules, naming the flag', async () => {
    const { dir, file } = await stackWithState();
    const before = await readState(file);
    const { err } = await run(dir, { minCount: '5' }); // desiredCount is 2
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/--min-count: must be ≤ service\.desiredCount \(2\)/);
    const second = await run(dir, { minSize: '3', desiredCapacity: '2' });
    expect((second.err as { problems: { path: string }[] }).problems.map((p) => p.path)).toContain('--min-size');
    const third = await run(dir, { desiredCount: '9' }); // max count is 6
    expect((third.err as Error).message).toMatch(/maxCount: must be ≥ service\.desiredCount \(9\)/);
    // THEN nothing was called and the state's answers are unchanged
    expect(allCalls()).toBe(0);
    expect((await readState(file))!.answers).toEqual(before!.answers);
  });

  it('refuses service bounds when service auto scaling is off, and an empty request', async () => {
    const { dir } = await stackWithState({ scaling: { service: { enabled: false } } });
    const { err } = await run(dir, { maxCount: '8' });
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/--max-count: service auto scaling is off/);
    const none = await run(dir, {});
    expect(isWizardError(none.err, 'USAGE')).toBe(true);
    expect(allCalls()).toBe(0);
  });

  it('refuses a stack with no state', async () => {
    const { err } = await run(tempDir(), { desiredCount: '1' });
    expect(isWizardError(err, 'STATE_MISSING')).toBe(true);
    expect(allCalls()).toBe(0);
  });
});

describe('ecs-wizard scale: applies and persists', () => {
  it('updates the scalable target, the service and the group, and writes the answers', async () => {
    // GIVEN a stack at desired 2, tasks 1–6, instances 1–4 desired 2
    const { dir, file } = await stackWithState();
    aas.on(RegisterScalableTargetCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    // WHEN scaled with JSON output
    const { err, out } = await run(dir, { desiredCount: '4', maxCount: '8', maxSize: '6', desiredCapacity: '3', output: 'json' });
    // THEN each API got the new values
    expect(err).toBeUndefined();
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toMatchObject({ ResourceId: 'service/shop/shop', MinCapacity: 1, MaxCapacity: 8 });
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop', service: 'shop', desiredCount: 4 });
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)[0]!.args[0].input).toEqual({ AutoScalingGroupName: 'shop-ecs', MinSize: 1, MaxSize: 6, DesiredCapacity: 3 });
    // AND the result is one JSON document, AND the state file's answers carry the new values
    expect(JSON.parse(out)).toMatchObject({ stack: 'shop', ok: true, service: { desiredCount: 4, minCount: 1, maxCount: 8 }, autoScalingGroup: { maxSize: 6, desiredCapacity: 3 } });
    const saved = (await readState(file))!;
    const answers = validateAnswers(saved.answers);
    expect([answers.service!.desiredCount, answers.scaling.service.maxCount, answers.instances.maxSize, answers.instances.desiredCapacity]).toEqual([4, 8, 6, 3]);
    // AND each changed answer says who set it, with which flag and when (a create that sets it back says so)
    const by = (flag: string) => ({ by: 'scale', flag, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/), user: expect.stringMatching(/.@./) });
    expect(saved.changedBy).toEqual({
      'service.desiredCount': by('--desired-count'),
      'scaling.service.maxCount': by('--max-count'),
      'instances.maxSize': by('--max-size'),
      'instances.desiredCapacity': by('--desired-capacity'),
    });
  });

  it('says what the stack costs with the new sizes, and the change at max and at desired capacity', async () => {
    // GIVEN the defaults in us-east-1 (2 × t3.small, max 4) and a caller the Price List API refuses
    const { dir } = await stackWithState();
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    // WHEN the group grows to desired 3, max 6
    const json = await run(dir, { maxSize: '6', desiredCapacity: '3', output: 'json' });
    expect(json.err).toBeUndefined();
    const cost = JSON.parse(json.out).cost;
    // THEN the figures are the bundled table's, with the refusal said
    expect(cost).toMatchObject({ source: 'bundled', fallback: 'AccessDeniedException', pricesAsOf: '2026-11-01' });
    // 6 × (730 × 0.0208 + 30 × 0.08 + 730 × 0.005) + the ALB (730 × 0.0225 + 730 × 0.008) + its two addresses (2 × 730 × 0.005)
    expect(cost.monthlyAtMax).toBeCloseTo(6 * (730 * 0.0208 + 30 * 0.08 + 730 * 0.005) + 730 * 0.0225 + 730 * 0.008 + 2 * 730 * 0.005, 2);
    // two more hosts at max, one more at desired capacity (each 730 × 0.0208 + 30 × 0.08 + 730 × 0.005 = 21.234)
    expect(cost.change).toMatchObject({ against: 'the sizes before this scale' });
    expect(cost.change.monthlyAtMax).toBeCloseTo(2 * 21.234, 1);
    expect(cost.change.monthly).toBeCloseTo(21.234, 1);
    expect(pricing.commandCalls(GetProductsCommand)).toHaveLength(1);
    // AND in text: the new figure and the change
    const text = await run(dir, { maxSize: '5' });
    expect(text.out).toMatch(/ {2}cost \(estimate\) {8}≈ \$93\/month at desired capacity \(up to \$136 at max\), us-east-1 prices as of 2026-11-01\n/);
    expect(text.out).toContain('unchanged at desired capacity, −$21.23/month at max (prices: bundled table as of 2026-11-01; Price List API not used: AccessDeniedException)');
  });

  it('touches only the resource a flag names', async () => {
    const { dir } = await stackWithState();
    ecs.on(UpdateServiceCommand).resolves({});
    const { err, out } = await run(dir, { desiredCount: '1' });
    expect(err).toBeUndefined();
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(aas.calls()).toHaveLength(0);
    expect(asg.calls()).toHaveLength(0);
    expect(out).toMatch(/service desired count\s+1/);
  });
});
