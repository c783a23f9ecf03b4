import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stackNames } from '../../src/steps/names.js';
import { StackCounter, duplicates, leftovers } from '../support/counts.js';
import { registerFakeAgents } from '../support/fake-agent.js';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { LAUNCH_FAILURE, RULE, STRICT_THROTTLE_READS, strictProfile, type StrictProfile } from '../support/strict-rules.js';
import { tempDir } from '../support/stack.js';
import { cliEnv, startCli } from '../e2e/cli.js';

/**
 * The headline of issue 12: the built CLI, pointed at the strict-AWS proxy in front of moto, with
 * every rule of the strict profile on and 5 % of reads throttled — a fresh account (no ECS
 * service-linked role, a vCPU quota of 0 at first), eventual consistency after every create, an ALB
 * that provisions, deletes refused while dependencies linger. First `create` stops at once on the
 * quota, quoting AWS; with the quota raised, `create` resumes and finishes; a rerun makes no
 * mutating call; `destroy` converges with nothing left, counted from moto independently. Every
 * rule of the profile must have fired, so none of it passed by never reaching its path.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const STACK = 'strict-all';
let moto: Moto;
let aws: StrictAws;
let profile: StrictProfile;
let counter: StackCounter;
let vcpuLimitZero = true;

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2 });
  aws = await startStrictAws(moto.endpoint, { seed: 12, throttleReads: STRICT_THROTTLE_READS });
  profile = strictProfile(aws, { n: 1, ecsCreatesRole: true, launchFailure: { message: LAUNCH_FAILURE.vcpuLimit, active: () => vcpuLimitZero } });
  aws.rules(profile.rules);
  counter = new StackCounter(moto.endpoint);
}, 120_000);
afterAll(async () => {
  counter?.destroy();
  profile?.close();
  await aws?.stop();
  await moto?.stop();
});

const stateDir = tempDir('ecs-wizard-strict-');
const home = tempDir('ecs-wizard-home-');

interface Run {
  code: number | null;
  stderr: string;
  json: { ok: boolean; calls?: { mutating: number; read: number }; steps?: { id: string; outcome: string; error?: string }[]; error?: { message: string; hint?: string } };
}

/** Runs the built CLI against the proxy; while it runs, plays the ECS agent of the stack's instances (straight at moto). */
async function cli(args: string[]): Promise<Run> {
  const env = cliEnv(moto.env({ AWS_ENDPOINT_URL: aws.endpoint }), home);
  const common = ['--endpoint-url', aws.endpoint, '--state-dir', stateDir, '--output', 'json', '--wait-timeout', '60'];
  const { done } = startCli([...args, ...common], { env, cwd: ROOT });
  let finished = false;
  void done.then(() => (finished = true));
  const n = stackNames(STACK);
  while (!finished) {
    await registerFakeAgents(moto.endpoint, n.cluster, n.autoScalingGroup).catch(() => 0);
    await new Promise((r) => setTimeout(r, 250));
  }
  const r = await done;
  try {
    return { code: r.code, stderr: r.stderr, json: JSON.parse(r.stdout) as Run['json'] };
  } catch {
    throw new Error(`no JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

describe('create → rerun → destroy through every strict-AWS rule (built CLI)', () => {
  it('converges, makes no change on a rerun, and leaves nothing, with every rule firing', async () => {
    const answersFile = path.join(tempDir('ecs-wizard-answers-'), 'answers.json');
    // Three services (issue 23): the one named after the stack by default, api on /api/* (a listener rule), a worker.
    const services = { [STACK]: { desiredCount: 2 }, api: { desiredCount: 2, containerPort: 8080, path: '/api/*' }, worker: { desiredCount: 2, loadBalanced: false, command: ['sleep', '3600'] } };
    writeFileSync(answersFile, JSON.stringify({ stack: STACK, region: 'us-east-1', instances: { desiredCapacity: 2, maxSize: 3 }, services }));
    const create = ['create', '--answers', answersFile, '--yes'];

    // GIVEN a fresh account whose vCPU quota is 0
    // WHEN create runs THEN it stops on the launch failure with AWS's own words (everything else is made)
    const first = await cli(create);
    expect(first.code, first.stderr).toBe(1);
    const failedSteps = (first.json.steps ?? []).filter((s) => s.outcome === 'failed');
    expect(failedSteps.map((s) => s.id)).toEqual(['instances-in-service']);
    expect(failedSteps[0]!.error).toContain('current vCPU limit of 0');

    // GIVEN the quota raised  WHEN create runs again THEN it resumes and finishes
    vcpuLimitZero = false;
    const second = await cli(create);
    expect((second.json.steps ?? []).filter((s) => s.outcome === 'failed'), second.stderr).toEqual([]);
    expect(second.code).toBe(0);
    const made = await counter.count(STACK);
    expect(duplicates(made, { subnets: 2, securityGroups: 2, instances: 2, targetGroups: 2, services: 3, taskDefinitions: 3, alarms: 6 })).toEqual({});
    expect(made).toMatchObject({ vpcs: 1, subnets: 2, internetGateways: 1, routeTables: 1, securityGroups: 2, loadBalancers: 1, listeners: 1, listenerRules: 1, targetGroups: 2, autoScalingGroups: 1, clusters: 1, capacityProviders: 1, services: 3, taskDefinitions: 3, scalableTargets: 1 });

    // WHEN create runs a third time THEN not one mutating call reaches AWS
    const before = aws.requests.length;
    const third = await cli(create);
    expect(third.code, third.stderr).toBe(0);
    expect(third.json.calls?.mutating).toBe(0);
    expect(aws.requests.slice(before).filter((r) => !r.read)).toEqual([]);
    expect(await counter.count(STACK)).toEqual(made);

    // WHEN the stack is destroyed THEN it converges and moto holds nothing of it
    const gone = await cli(['destroy', STACK, '--yes']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(leftovers(await counter.count(STACK))).toEqual({});

    // AND every behaviour of the strict profile happened at least once
    const fired = aws.firedAll();
    expect(profile.names.filter((name) => !(fired[name]! >= 1)), JSON.stringify(fired)).toEqual([]);
  }, 240_000);
});
