#!/usr/bin/env node
// A stand-in for the ECS agents and the task registrations that a local emulator (moto) lacks, for
// any stack ecs-wizard made there. Names come from the stack's state. Each pass:
//   - every instance of the stack's Auto Scaling group joins its cluster (RegisterContainerInstance
//     with an instance identity document, as a real agent does), and a container instance whose
//     instance left the group is deregistered (as ECS does when one terminates);
//   - the service's running tasks (moto reports MOTO_ECS_SERVICE_RUNNING of them, and starts none)
//     are registered in its target group, one per instance in turn, on dynamic host ports, as ECS
//     registers running tasks; targets of tasks no longer running are deregistered.
//
//   node scripts/local-agent.mjs STACK --endpoint-url URL [--state-dir DIR] [--once] [--interval-ms N]
//
// Loops until Ctrl-C, or makes one pass with --once. Never for a real AWS account: an endpoint is
// required. Reads the built CLI (dist/): `npm install` (or `npm run build`) first.
// test/support/fake-agent.ts is the test suite's own, independent, stand-in on purpose.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DeregisterContainerInstanceCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RegisterContainerInstanceCommand,
} from '@aws-sdk/client-ecs';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
/** The first of ECS's dynamic host ports (the task definitions map hostPort 0). */
const FIRST_HOST_PORT = 32768;

/** The CLI's own way in to a stack's state (a directory or s3://…, validated the same way). */
async function cliModules() {
  const [{ commonOptions }, { processContext }, { readExistingStack }, { plural }] = await Promise.all([
    import(`${dist}/cli/options.js`),
    import(`${dist}/cli/context.js`),
    import(`${dist}/cli/state-store.js`),
    import(`${dist}/words.js`),
  ]);
  return { commonOptions, processContext, readExistingStack, plural };
}

const outputsOf = (state, id) => (state.resources[id] && state.resources[id].status !== 'destroyed' ? state.resources[id].outputs : {});

/**
 * One pass over the stack, read afresh from its state: joins and leaves, targets in and out.
 * Returns what it saw (`instances` joined, `targets` registered) and says each change through `log`.
 */
export async function agentPass({ state, aws, log = () => {} }) {
  const cluster = outputsOf(state, 'cluster').clusterName;
  const group = outputsOf(state, 'auto-scaling-group').autoScalingGroupName;
  const targetGroupArn = outputsOf(state, 'target-group').targetGroupArn;
  const service = outputsOf(state, 'service');
  const seen = { cluster, instances: 0, targets: 0, targetGroup: outputsOf(state, 'target-group').targetGroupName };
  if (!cluster || !group) return seen;

  const ecs = aws.get(ECSClient);
  const g = (await aws.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))).AutoScalingGroups?.[0];
  const members = new Map((g?.Instances ?? []).filter((i) => i.InstanceId && !/^Terminat/.test(i.LifecycleState ?? '')).map((i) => [i.InstanceId, i]));
  const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns ?? [];
  const described = arns.length ? ((await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances ?? []) : [];
  const joined = new Set();
  for (const ci of described) {
    if (ci.status === 'INACTIVE' || !ci.ec2InstanceId) continue;
    if (members.has(ci.ec2InstanceId)) {
      joined.add(ci.ec2InstanceId);
    } else {
      await ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: ci.containerInstanceArn, force: true }));
      log(`${ci.ec2InstanceId} left the group: deregistered from cluster ${cluster}`);
    }
  }
  const accountId = /^arn:[^:]+:ecs:[^:]*:(\d{12}):/.exec(outputsOf(state, 'cluster').clusterArn ?? '')?.[1] ?? '123456789012';
  for (const [instanceId, i] of members) {
    if (joined.has(instanceId)) continue;
    const document = JSON.stringify({ instanceId, region: state.region, accountId, availabilityZone: i.AvailabilityZone });
    await ecs.send(new RegisterContainerInstanceCommand({ cluster, instanceIdentityDocument: document }));
    joined.add(instanceId);
    log(`${instanceId} joined cluster ${cluster}`);
  }
  seen.instances = joined.size;

  if (!targetGroupArn || !service.serviceName) return seen;
  const svc = (await ecs.send(new DescribeServicesCommand({ cluster: service.clusterName ?? cluster, services: [service.serviceName] }))).services?.[0];
  const running = svc?.status === 'ACTIVE' ? (svc.runningCount ?? 0) : 0;
  // The running tasks, spread over the joined instances in turn, each on its own dynamic port.
  const hosts = [...joined].sort();
  const wanted = new Map();
  for (let k = 0; hosts.length && k < running; k++) {
    const t = { Id: hosts[k % hosts.length], Port: FIRST_HOST_PORT + Math.floor(k / hosts.length) };
    wanted.set(`${t.Id}:${t.Port}`, t);
  }
  const elb = aws.get(ElasticLoadBalancingV2Client);
  const current = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
  const have = new Set(current.map((d) => `${d.Target?.Id}:${d.Target?.Port}`));
  const gone = current.map((d) => d.Target).filter((t) => t && !wanted.has(`${t.Id}:${t.Port}`));
  const added = [...wanted.entries()].filter(([key]) => !have.has(key)).map(([, t]) => t);
  if (gone.length) {
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: gone.map((t) => ({ Id: t.Id, Port: t.Port })) }));
    for (const t of gone) log(`task target ${t.Id}:${t.Port} deregistered from ${seen.targetGroup ?? 'the target group'}`);
  }
  if (added.length) {
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: added }));
    for (const t of added) log(`task target ${t.Id}:${t.Port} registered in ${seen.targetGroup ?? 'the target group'}`);
  }
  seen.targets = wanted.size;
  return seen;
}

/**
 * The agent for one stack: `pass()` reads the state and makes one pass; `start()` passes every
 * `intervalMs` until `stop()` (a stack whose state is not there yet is waited for).
 */
export async function localAgent({ stack, endpointUrl, stateDir, intervalMs = 1000, log = () => {}, signal }) {
  const { commonOptions, processContext, readExistingStack } = await cliModules();
  const ctx = processContext(signal ?? new AbortController().signal);
  // The same checks as the CLI's flags (a state directory that is a file, a malformed URL): exit 2.
  const opts = commonOptions({ stateDir, endpointUrl }, ctx);
  const clients = new Map();
  const awsFor = (state) => {
    const endpoint = endpointUrl ?? ctx.env.AWS_ENDPOINT_URL ?? state.endpointUrl;
    if (!endpoint) {
      throw Object.assign(new Error(`stack ${stack} was not made against an emulator (its state records no endpoint): the stand-in agent is only for one; give --endpoint-url`), { exitCode: 2 });
    }
    const key = `${state.region}|${endpoint}`;
    if (!clients.has(key)) clients.set(key, ctx.makeClients({ region: state.region, endpointUrl: endpoint }));
    return clients.get(key);
  };
  const pass = async () => {
    const { state } = await readExistingStack(opts, stack, ctx, 'local-agent');
    return agentPass({ state, aws: awsFor(state), log });
  };
  let running = false;
  let loop;
  return {
    pass,
    start() {
      running = true;
      loop = (async () => {
        let waiting = '';
        while (running) {
          try {
            await pass();
            waiting = '';
          } catch (err) {
            if (err.exitCode === 2) throw err;
            // The stack or its cluster not made yet (or gone): say so once, and look again.
            const why = err.message ?? String(err);
            if (why !== waiting) log(`waiting: ${why}`);
            waiting = why;
          }
          await new Promise((r) => setTimeout(r, intervalMs));
        }
      })();
      return loop;
    },
    async stop() {
      running = false;
      await loop?.catch(() => undefined);
      for (const c of clients.values()) c.destroy();
      clients.clear();
    },
  };
}

async function main() {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: { 'endpoint-url': { type: 'string' }, 'state-dir': { type: 'string' }, once: { type: 'boolean' }, 'interval-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    return usage(err.message);
  }
  const { values, positionals } = args;
  if (values.help) return usage();
  if (positionals.length !== 1) return usage(positionals.length ? `one STACK, got ${positionals.join(' ')}` : 'STACK is required');
  const interval = values['interval-ms'] === undefined ? 1000 : Number(values['interval-ms']);
  if (!Number.isInteger(interval) || interval < 50) return usage(`--interval-ms must be a whole number of milliseconds, at least 50, got "${values['interval-ms']}"`);
  const stack = positionals[0];
  const say = (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  try {
    const agent = await localAgent({ stack, endpointUrl: values['endpoint-url'], stateDir: values['state-dir'], intervalMs: interval, log: say });
    if (values.once) {
      const seen = await agent.pass();
      await agent.stop();
      const { plural } = await cliModules();
      say(`stack ${stack}: ${plural(seen.instances, 'instance')} joined${seen.cluster ? ` to cluster ${seen.cluster}` : ''}, ${plural(seen.targets, 'task target')}${seen.targetGroup ? ` in ${seen.targetGroup}` : ''}`);
      return 0;
    }
    say(`playing the ECS agents of stack ${stack} every ${interval} ms: Ctrl-C to stop`);
    const stopped = new Promise((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, resolve);
    });
    const looping = agent.start();
    await Promise.race([stopped, looping]);
    await agent.stop();
    say('stopped');
    return 0;
  } catch (err) {
    const code = err.exitCode ?? (err.code === 'INPUT_INVALID' || err.code === 'USAGE' ? 2 : 1);
    process.stderr.write(`local-agent: ${err.message}${err.hint ? `\nHint: ${err.hint}` : ''}\n`);
    return code;
  }
}

function usage(problem) {
  const text = 'usage: node scripts/local-agent.mjs STACK --endpoint-url URL [--state-dir DIR] [--once] [--interval-ms N]';
  process.stderr.write(problem ? `local-agent: ${problem}\n${text}\n` : `${text}\n`);
  return problem ? 2 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await main();
}
