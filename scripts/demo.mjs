#!/usr/bin/env node
// The demo: starts the local AWS emulator (moto server) on a free loopback port, then runs the real
// CLI against it — create (with a stand-in ECS agent, since moto runs none), status, destroy — and
// stops the emulator. Nothing here talks to real AWS.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { ECSClient, ListContainerInstancesCommand, DescribeContainerInstancesCommand, RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

// The pinned SDK supports Node 20; its notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const answers = process.argv[2] ?? path.join(root, 'examples/demo.yaml');
const stack = 'demo-web';

function motoCommand() {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0) return ['moto_server', []];
  if (spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0) return ['python3', ['-m', 'moto.server']];
  console.error('The demo needs moto server, the local AWS emulator: pip install "moto[server]>=5.2"');
  process.exit(2);
}

const port = await new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const p = srv.address().port;
    srv.close(() => resolve(p));
  });
});
const endpoint = `http://127.0.0.1:${port}`;
const [cmd, args] = motoCommand();
const moto = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], {
  env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_ECS_SERVICE_RUNNING: '2' },
  stdio: 'ignore',
});
const stopMoto = () => moto.exitCode === null && moto.kill('SIGTERM');
process.on('exit', stopMoto);
for (let i = 0; ; i++) {
  try {
    await fetch(`${endpoint}/moto-api/`);
    break;
  } catch {
    if (i > 300) throw new Error('moto server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'demo',
  AWS_SECRET_ACCESS_KEY: 'demo',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};
const stateDir = mkdtempSync(path.join(tmpdir(), 'ecs-wizard-demo-'));
const common = ['--endpoint-url', endpoint, '--state-dir', stateDir];

// moto has no ECS agent: register each instance of the group as a container instance, as a real agent would,
// and (moto running no tasks) a task target per instance in the target group, as ECS would.
const sdk = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } };
const autoscaling = new AutoScalingClient(sdk);
const ecs = new ECSClient(sdk);
const elb = new ElasticLoadBalancingV2Client(sdk);
const seen = new Set();
/** One pass of the stand-in agent: joins new instances to the cluster, and a task target per instance. */
async function agentPass() {
  try {
    const g = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${stack}-ecs`] }));
    const ids = (g.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId);
    if (ids.length) {
      const listed = await ecs.send(new ListContainerInstancesCommand({ cluster: stack }));
      if (listed.containerInstanceArns?.length) {
        const d = await ecs.send(new DescribeContainerInstancesCommand({ cluster: stack, containerInstances: listed.containerInstanceArns }));
        for (const ci of d.containerInstances ?? []) seen.add(ci.ec2InstanceId);
      }
      for (const instanceId of ids.filter((id) => !seen.has(id))) {
        const doc = JSON.stringify({ instanceId, region: 'us-east-1', accountId: '123456789012', availabilityZone: 'us-east-1a' });
        await ecs.send(new RegisterContainerInstanceCommand({ cluster: stack, instanceIdentityDocument: doc }));
        seen.add(instanceId);
      }
      // moto runs no tasks either: register one per instance on a dynamic port, as ECS does for running tasks.
      const tg = (await elb.send(new DescribeTargetGroupsCommand({ Names: [`${stack}-tg`] }))).TargetGroups?.[0];
      if (tg) await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: ids.map((Id) => ({ Id, Port: 32768 })) }));
    }
  } catch {
    /* the cluster or group does not exist yet */
  }
}
let agentsRunning = true;
const agents = (async () => {
  while (agentsRunning) {
    await agentPass();
    await new Promise((r) => setTimeout(r, 500));
  }
})();

function run(title, cliArgs) {
  console.log(`\n\x1b[1m$ ecs-wizard ${cliArgs.join(' ')}\x1b[0m   # ${title}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/ecs-wizard.js'), ...cliArgs, ...common], { env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

console.log(`Local AWS emulator (moto) on ${endpoint}; state in ${stateDir}`);
const created = await run('build the whole stack', ['create', '--answers', path.relative(process.cwd(), answers) || answers, '--yes']);
agentsRunning = false;
await agents;
// create may end (its service stable) before a pass saw the target group: one more, so status sees the targets.
await agentPass();
const healthy = await run('what exists, and is it healthy?', ['status', stack]);
const destroyed = await run('tear it all down and verify nothing is left', ['destroy', stack, '--yes']);
autoscaling.destroy();
ecs.destroy();
elb.destroy();
stopMoto();
console.log(`\nDemo finished: create exit ${created}, status exit ${healthy}, destroy exit ${destroyed}.`);
process.exit(created || healthy || destroyed ? 1 : 0);
