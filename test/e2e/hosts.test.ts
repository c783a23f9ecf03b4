import { promises as fs } from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeImagesCommand, DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, DescribeSubnetsCommand, EC2Client, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { startMoto, type Moto } from '../support/moto.js';
import { StackCounter, duplicates } from '../support/counts.js';
import { registerFakeAgents, runFakeAgents } from '../support/fake-agent.js';
import { stackNames } from '../../src/steps/names.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { cliEnv, runCli, startCli } from './cli.js';

/**
 * Patching and resizing the hosts through the built CLI against moto: `hosts` (text and JSON), a
 * changed instance type rolled by `create` (moto's TerminateInstanceInAutoScalingGroup launches the
 * replacement from the latest template version; test/support/fake-agent.ts plays the ECS agents
 * that join and leave the cluster), a rerun with no mutating call, Ctrl-C in the middle of a roll
 * and `hosts refresh` / `create` continuing it, and `hosts refresh` refusing to run unattended
 * without --yes. moto reports 2 tasks running for every service, as the stack's service wants.
 */
const STACK = 'e2e-hosts';
const names = stackNames(STACK);
let moto: Moto;
let dir: string;
let env: Record<string, string>;
let sdk: { asg: AutoScalingClient; ec2: EC2Client };

const answers = (instanceType: string, amiId?: string) =>
  `stack: ${STACK}\ninstances:\n  instanceType: ${instanceType}\n  minSize: 1\n  desiredCapacity: 2\n  maxSize: 2\n${amiId ? `  amiId: ${amiId}\n` : ''}service:\n  desiredCount: 2\n`;

/** The group's size and each of its instances' type, straight from moto. */
async function group() {
  const g = (await sdk.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [names.autoScalingGroup] }))).AutoScalingGroups![0]!;
  const ids = (g.Instances ?? []).map((i) => i.InstanceId!);
  const described = ids.length ? (await sdk.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances ?? []) : [];
  return { max: g.MaxSize, desired: g.DesiredCapacity, ids, types: described.map((i) => i.InstanceType).sort() };
}

const state = async () => JSON.parse(await fs.readFile(path.join(dir, '.ecs-wizard', `${STACK}.json`), 'utf8'));

/** Starts the CLI and sends Ctrl-C once its progress shows `pattern`. */
async function interruptAt(args: string[], pattern: RegExp) {
  const run = startCli(args, { env, cwd: dir });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (pattern.test(run.stderrSoFar())) {
        clearInterval(timer);
        run.child.kill('SIGINT');
        resolve();
      }
    }, 10);
    run.child.once('close', () => {
      clearInterval(timer);
      reject(new Error(`ended before ${pattern}:\n${run.stderrSoFar()}`));
    });
  });
  return run.done;
}

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2 });
  const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  sdk = { asg: new AutoScalingClient(cfg), ec2: new EC2Client(cfg) };
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ecs-wizard-hosts-'));
  env = cliEnv(moto.env(), dir);
  await fs.writeFile(path.join(dir, 'stack.yaml'), answers('t3.small'));
  const created = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--no-wait'], { env, cwd: dir });
  expect(created.code, created.stderr).toBe(0);
  expect(await registerFakeAgents(moto.endpoint, names.cluster, names.autoScalingGroup)).toBe(2);
});

afterAll(async () => {
  for (const c of Object.values(sdk ?? {})) c.destroy();
  await moto?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('ecs-wizard hosts', () => {
  it('lists each instance with its AMI and whether it is current, in text and JSON', async () => {
    // GIVEN a stack of 2 t3.small hosts that joined the cluster
    // WHEN hosts runs, as JSON and as text
    const json = await runCli(['hosts', STACK, '--output', 'json'], { env, cwd: dir });
    const text = await runCli(['hosts', STACK], { env, cwd: dir });
    // THEN one JSON document lists both, current, with type and AMI; nothing was changed
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.hosts).toHaveLength(2);
    for (const h of report.hosts) {
      expect(h).toMatchObject({ instanceType: 't3.small', current: true, containerInstance: { status: 'ACTIVE', agentVersion: '1.0.0' } });
      expect(h.instanceId).toMatch(/^i-/);
      expect(h.amiId).toBe(report.launch.amiId);
    }
    expect(report).toMatchObject({ current: 2, total: 2, verdict: '2 of 2 hosts current', calls: { mutating: 0 } });
    expect(report.latestAmi.x86_64.amiId).toBe(report.launch.amiId);
    // AND the text has a row per instance and the verdict, without colour codes in a pipe
    expect(text.code, text.stderr).toBe(0);
    for (const h of report.hosts) expect(text.stdout).toMatch(new RegExp(`✔ ${h.instanceId}\\s+\\S+\\s+t3\\.small\\s+${h.amiId}`));
    expect(text.stdout).toContain('✔ 2 of 2 hosts current');
    expect(text.stdout).not.toContain('\x1b');
    // AND status says how many hosts run the latest ECS AMI, and when it was released
    const status = await runCli(['status', STACK], { env, cwd: dir });
    expect(status.stdout).toMatch(new RegExp(`Hosts: 2 of 2 on the latest ECS AMI \\(${report.latestAmi.x86_64.amiId}, released \\d{4}-\\d\\d-\\d\\d\\)`));
  });

  it('hosts refresh without a terminal and without --yes is bad input: exit 2, no AWS request', async () => {
    // GIVEN an endpoint that counts every request it gets
    let requests = 0;
    const counter = createServer((_req, res) => {
      requests++;
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((r) => counter.listen(0, '127.0.0.1', () => r()));
    const port = (counter.address() as { port: number }).port;
    try {
      // WHEN hosts refresh runs with no TTY and no --yes
      const r = await runCli(['hosts', 'refresh', STACK, '--output', 'json'], { env: { ...env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }, cwd: dir });
      // THEN it exits 2 naming --yes, with one JSON document, and sent nothing
      expect(r.code, r.stderr).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 2, error: { code: 'USAGE', problems: [{ path: '--yes' }] } });
      expect(requests).toBe(0);
    } finally {
      counter.close();
    }
  });

  it('hosts refresh with nothing out of date says so and exits 0', async () => {
    const r = await runCli(['hosts', 'refresh', STACK, '--yes', '--output', 'json'], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, nothing: true, verdict: '2 of 2 hosts current', calls: { mutating: 0 } });
  });

  it('create with a new instance type rolls the hosts one at a time; a rerun changes nothing', async () => {
    // GIVEN the answers now say t3.medium, and agents that join the cluster as hosts come
    await fs.writeFile(path.join(dir, 'stack.yaml'), answers('t3.medium'));
    const before = await group();
    const agents = runFakeAgents(moto.endpoint, names.cluster, names.autoScalingGroup);
    try {
      // WHEN a dry run shows the plan, then create runs
      const plan = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--dry-run'], { env, cwd: dir });
      const r = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], { env, cwd: dir });
      // THEN the plan named the roll, and create replaced both hosts: draining → tasks moved → terminated → replacement joined
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('roll 2 instances: t3.small → t3.medium');
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout);
      expect(result.roll).toMatchObject({ reason: 't3.small → t3.medium', hosts: before.ids });
      expect(result.roll.steps.map((s: { id: string; outcome: string }) => [s.id, s.outcome])).toEqual([
        ['spare-host', 'created'],
        ...before.ids.map((id) => [`host:${id}`, 'created']),
        ['restore', 'created'],
      ]);
      // AND the hosts are 2 t3.medium, the group is back at max 2 / desired 2, the old instances left the cluster
      const after = await group();
      expect(after).toMatchObject({ max: 2, desired: 2, types: ['t3.medium', 't3.medium'] });
      expect(after.ids.some((id) => before.ids.includes(id))).toBe(false);
      // (the agents notice the last one leave a moment later, as ECS does)
      await vi.waitFor(() => expect([...agents.left].sort()).toEqual([...before.ids].sort()), { timeout: 5000 });
      const counter = new StackCounter(moto.endpoint);
      try {
        expect(duplicates(await counter.count(STACK), { subnets: 2, securityGroups: 2, instances: 2 })).toEqual({});
      } finally {
        counter.destroy();
      }
      expect((await state()).roll).toBeUndefined();

      // WHEN create runs again with the same answers
      const again = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], { env, cwd: dir });
      // THEN it makes no mutating call and rolls nothing
      expect(again.code, again.stderr).toBe(0);
      const rerun = JSON.parse(again.stdout);
      expect(rerun.calls.mutating).toBe(0);
      expect(rerun.roll).toBeUndefined();
      const hosts = JSON.parse((await runCli(['hosts', STACK, '--output', 'json'], { env, cwd: dir })).stdout);
      expect(hosts).toMatchObject({ verdict: '2 of 2 hosts current' });
    } finally {
      await agents.stop();
    }
  });

  it('Ctrl-C in the middle of a roll exits 130 with the roll recorded; hosts refresh and create continue it', async () => {
    // GIVEN the answers say t3.large now
    await fs.writeFile(path.join(dir, 'stack.yaml'), answers('t3.large'));
    const before = await group();
    const agents = runFakeAgents(moto.endpoint, names.cluster, names.autoScalingGroup);
    try {
      // WHEN create is interrupted while the first host drains
      const first = await interruptAt(['create', '--answers', 'stack.yaml', '--yes'], /Host i-\S+( \([^)]*\))?: draining/);
      // THEN it exits 130 saying how to continue, and the state holds the roll with the spare host done
      expect(first.code, first.stderr).toBe(130);
      expect(first.stderr).toMatch(/hosts refresh .*again to continue|again to resume/);
      const recorded = (await state()).roll;
      expect(recorded.spec.reason).toBe('t3.medium → t3.large');
      expect(recorded.resources['spare-host'].status).toBe('created');
      // (the surge is still in place: 3 hosts wanted)
      expect((await group()).desired).toBe(3);

      // WHEN hosts refresh is interrupted in turn, on the next host
      const second = await interruptAt(['hosts', 'refresh', STACK, '--yes'], new RegExp(`Host (?!${before.ids[0]})i-\\S+( \\([^)]*\\))?: draining`));
      expect(second.code, second.stderr).toBe(130);
      expect((await state()).roll.resources[`host:${before.ids[0]}`].status).toBe('created');

      // AND create runs again: it finishes the same roll
      const third = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], { env, cwd: dir });
      expect(third.code, third.stderr).toBe(0);
      expect(JSON.parse(third.stdout).roll.steps.map((s: { outcome: string }) => s.outcome)).toEqual(['exists', 'exists', 'created', 'created']);
      // THEN: 2 t3.large hosts, the group back at its size, no roll left, and a rerun changes nothing
      expect(await group()).toMatchObject({ max: 2, desired: 2, types: ['t3.large', 't3.large'] });
      expect((await state()).roll).toBeUndefined();
      const rerun = JSON.parse((await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], { env, cwd: dir })).stdout);
      expect(rerun.calls.mutating).toBe(0);
    } finally {
      await agents.stop();
    }
  });

  it('hosts refresh moves hosts an older AMI runs onto the latest ECS AMI: a new template version, then the roll', async () => {
    // GIVEN the hosts on another x86_64 AMI (pinned through create, which rolls them), then the pin removed
    const latest = JSON.parse((await runCli(['hosts', STACK, '--output', 'json'], { env, cwd: dir })).stdout).latestAmi.x86_64.amiId as string;
    const images = (await sdk.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }))).Images ?? [];
    const older = images.map((i) => i.ImageId!).find((id) => id !== latest)!;
    const agents = runFakeAgents(moto.endpoint, names.cluster, names.autoScalingGroup);
    try {
      await fs.writeFile(path.join(dir, 'stack.yaml'), answers('t3.large', older));
      const pinned = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], { env, cwd: dir });
      expect(pinned.code, pinned.stderr).toBe(0);
      expect(JSON.parse(pinned.stdout).roll.reason).toBe(`${latest} → ${older}`);
      await fs.writeFile(path.join(dir, 'stack.yaml'), answers('t3.large'));
      const unpinned = JSON.parse((await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], { env, cwd: dir })).stdout);
      expect(unpinned.calls.mutating).toBe(0);
      const stale = JSON.parse((await runCli(['hosts', STACK, '--output', 'json'], { env, cwd: dir })).stdout);
      expect(stale).toMatchObject({ verdict: '0 of 2 hosts current' });
      expect(stale.hosts.map((h: { amiId: string; current: boolean }) => [h.amiId, h.current])).toEqual([[older, false], [older, false]]);

      // WHEN hosts refresh runs (a dry run first)
      const dry = await runCli(['hosts', 'refresh', STACK, '--dry-run', '--output', 'json'], { env, cwd: dir });
      const r = await runCli(['hosts', 'refresh', STACK, '--yes', '--output', 'json'], { env, cwd: dir });
      // THEN the dry run changed nothing and said what would happen; the refresh made the version and rolled both
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, calls: { mutating: 0 }, reason: `${older} → ${latest}`, newVersion: { amiId: latest } });
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout);
      expect(result).toMatchObject({ ok: true, reason: `${older} → ${latest}`, verdict: '2 of 2 hosts current' });
      expect(result.steps.map((st: { id: string }) => st.id)).toEqual(['launch-version', 'spare-host', ...stale.hosts.map((h: { instanceId: string }) => `host:${h.instanceId}`), 'restore']);
      expect(result.expectedSeconds).toBeGreaterThan(0);
      const now = JSON.parse((await runCli(['hosts', STACK, '--output', 'json'], { env, cwd: dir })).stdout);
      expect(now.launch.amiId).toBe(latest);
      expect(now.hosts.map((h: { amiId: string }) => h.amiId)).toEqual([latest, latest]);
      // AND create afterwards changes nothing
      expect(JSON.parse((await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], { env, cwd: dir })).stdout).calls.mutating).toBe(0);
    } finally {
      await agents.stop();
    }
  });

  /**
   * moto stores the user data of a CreateLaunchTemplateVersion unparsed and then fails every launch
   * from that version (HTTP 500); AWS launches it. This stands in for it: moto gets the version
   * without its user data, and DescribeLaunchTemplateVersions answers with it, as AWS does.
   */
  function versionUserData(proxy: StrictAws, kept = new Map<string, string>()): Map<string, string> {
    proxy.rule({
      name: 'version-user-data-kept',
      service: 'ec2',
      operation: 'CreateLaunchTemplateVersion',
      when: (req) => req.params.has('LaunchTemplateData.UserData'),
      async respond(req, ctx) {
        const params = new URLSearchParams(req.params);
        const userData = params.get('LaunchTemplateData.UserData')!;
        params.delete('LaunchTemplateData.UserData');
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'content-length' && k !== 'host'));
        const r = await fetch(`${ctx.upstream}${req.path}`, { method: 'POST', headers, body: params.toString() });
        const body = await r.text();
        const id = /<launchTemplateId>([^<]+)</.exec(body)?.[1];
        const version = /<versionNumber>(\d+)</.exec(body)?.[1];
        if (id && version) kept.set(`${id}:${version}`, userData);
        return { status: r.status, headers: { 'content-type': r.headers.get('content-type') ?? 'text/xml' }, body };
      },
    });
    proxy.rule({
      name: 'version-user-data-described',
      service: 'ec2',
      operation: 'DescribeLaunchTemplateVersions',
      async respond(_req, ctx) {
        const r = await ctx.forward();
        // The tool asks for one version ($Latest): its template id and number are the only ones in the answer.
        const ids = [...r.body.matchAll(/<launchTemplateId>([^<]+)</g)].map((m) => m[1]);
        const versions = [...r.body.matchAll(/<versionNumber>(\d+)</g)].map((m) => m[1]);
        const userData = versions.length === 1 ? kept.get(`${ids[0]}:${versions[0]}`) : undefined;
        if (!userData || r.body.includes('<userData>')) return r;
        return { ...r, body: r.body.replace('<launchTemplateData>', `<launchTemplateData><userData>${userData}</userData>`) };
      },
    });
    return kept;
  }

  /**
   * moto's UpdateAutoScalingGroup drops CapacityRebalance, and drops the group's mixed instances
   * policy when a later update (the roll's spare host and restore) does not repeat it; AWS keeps
   * both. This stands in: such an update reaches moto with the policy the group has, and the
   * group's answer says the CapacityRebalance that was set.
   */
  function groupKeepsSpot(proxy: StrictAws, kept = new Map<string, { policy: [string, string][]; rebalance?: string }>()): typeof kept {
    proxy.rule({
      name: 'group-spot-kept',
      service: 'autoscaling',
      operation: 'UpdateAutoScalingGroup',
      async respond(req, ctx) {
        const name = req.params.get('AutoScalingGroupName')!;
        const had = kept.get(name) ?? { policy: [] };
        const policy = [...req.params].filter(([k]) => k.startsWith('MixedInstancesPolicy.'));
        const switchedOff = [...req.params.keys()].some((k) => k.startsWith('LaunchTemplate.'));
        kept.set(name, { policy: switchedOff ? [] : policy.length ? policy : had.policy, rebalance: req.params.get('CapacityRebalance') ?? had.rebalance });
        if (policy.length || switchedOff || had.policy.length === 0) return ctx.forward();
        const params = new URLSearchParams([...req.params, ...had.policy]);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'content-length' && k !== 'host'));
        const r = await fetch(`${ctx.upstream}${req.path}`, { method: 'POST', headers, body: params.toString() });
        return { status: r.status, headers: { 'content-type': r.headers.get('content-type') ?? 'text/xml' }, body: await r.text() };
      },
    });
    proxy.rule({
      name: 'group-rebalance-described',
      service: 'autoscaling',
      operation: 'DescribeAutoScalingGroups',
      async respond(_req, ctx) {
        const r = await ctx.forward();
        const name = /<AutoScalingGroupName>([^<]+)</.exec(r.body)?.[1];
        const value = name ? kept.get(name)?.rebalance : undefined;
        if (!value) return r;
        return { ...r, body: r.body.replace(/<CapacityRebalance>[^<]*<\/CapacityRebalance>/, `<CapacityRebalance>${value}</CapacityRebalance>`) };
      },
    });
    return kept;
  }

  it('create with private instances and Spot answered on an existing stack: a new template version, every host rolled into the private subnets; a host of the second Spot type is current', async () => {
    // GIVEN the public, on-demand stack, and answers that now want private instances and Spot
    const proxy = await startStrictAws(moto.endpoint);
    const kept = versionUserData(proxy);
    const spot = groupKeepsSpot(proxy);
    const via = { env: { ...env, AWS_ENDPOINT_URL: proxy.endpoint }, cwd: dir };
    await fs.writeFile(path.join(dir, 'stack.yaml'), `${answers('t3.large').replace('instances:\n', 'instances:\n  spot: { instanceTypes: [t3.large, t3a.large] }\n')}network:\n  instanceSubnets: private\n`);
    const before = await group();
    const agents = runFakeAgents(moto.endpoint, names.cluster, names.autoScalingGroup);
    try {
      // WHEN a dry run shows the plan, then create runs
      const plan = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--dry-run'], via);
      const r = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], via);
      // THEN the plan named the roll and its reason, and create rolled both hosts for it
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('roll 2 instances: public → private instances, Spot draining on');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).roll).toMatchObject({ reason: 'public → private instances, Spot draining on', hosts: before.ids });
      // AND the template's latest version holds what a fresh create writes: an interface without a public IP, Spot draining in the user data
      expect(proxy.fired('version-user-data-kept')).toBe(1);
      const viaEc2 = new EC2Client({ region: 'us-east-1', endpoint: proxy.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      const v = (await viaEc2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: names.launchTemplate, Versions: ['$Latest'] }))).LaunchTemplateVersions![0]!;
      expect(v.LaunchTemplateData?.NetworkInterfaces?.[0]).toMatchObject({ AssociatePublicIpAddress: false, DeviceIndex: 0 });
      expect(v.LaunchTemplateData?.SecurityGroupIds ?? []).toEqual([]);
      expect(v.LaunchTemplateData?.IamInstanceProfile?.Arn).toBeTruthy();
      viaEc2.destroy();
      const userData = Buffer.from(v.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8');
      expect(userData).toContain(`ECS_CLUSTER=${names.cluster}`);
      expect(userData).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
      // AND the hosts are new ones, all in the stack's private subnets (no route to the internet gateway)
      const after = await group();
      expect(after.ids).toHaveLength(2);
      expect(after.ids.some((id) => before.ids.includes(id))).toBe(false);
      const instances = (await sdk.ec2.send(new DescribeInstancesCommand({ InstanceIds: after.ids }))).Reservations!.flatMap((x) => x.Instances ?? []);
      const subnets = (await sdk.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...new Set(instances.map((i) => i.SubnetId!))] }))).Subnets ?? [];
      expect(subnets.map((s) => s.MapPublicIpOnLaunch)).toEqual(subnets.map(() => false));
      expect(instances.map((i) => i.PublicIpAddress)).toEqual([undefined, undefined]);
      expect((await state()).roll).toBeUndefined();

      // WHEN one host runs the second listed type (Spot capacity AWS had in t3a.large), and create runs again with the same answers
      await sdk.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: after.ids[0], InstanceType: { Value: 't3a.large' } }));
      proxy.clear();
      versionUserData(proxy, kept);
      groupKeepsSpot(proxy, spot);
      const again = JSON.parse((await runCli(['create', '--answers', 'stack.yaml', '--yes', '--output', 'json'], via)).stdout);
      // THEN it makes no mutating call, and neither its review nor its run rolls anything: a listed type is current
      expect(proxy.mutating().map((q) => `${q.service}:${q.operation}`)).toEqual([]);
      expect(again.calls.mutating).toBe(0);
      expect(again.plan.roll).toBeUndefined();
      expect(again.roll).toBeUndefined();
      // AND hosts says both are current, the t3a.large one included
      const hosts = JSON.parse((await runCli(['hosts', STACK, '--output', 'json'], via)).stdout);
      expect(hosts.launch.instanceTypes).toEqual(['t3.large', 't3a.large']);
      expect(hosts.hosts.map((h: { instanceId: string; instanceType: string; current: boolean }) => [h.instanceId, h.instanceType, h.current]).sort()).toEqual(
        [[after.ids[0], 't3a.large', true], [after.ids[1], 't3.large', true]].sort(),
      );
      expect(hosts.verdict).toBe('2 of 2 hosts current');
    } finally {
      await agents.stop();
      await proxy.stop();
    }
  });
});
