#!/usr/bin/env node
// The performance benchmark (`npm run bench`; not part of the tests). Prints, with medians of
// several runs: (1) CLI startup vs bare node, (2) create/destroy on moto at the default
// concurrency vs --concurrency 1 with AWS call counts, (3) the real engine scheduling fake steps
// under a real-AWS latency model, (4) peak RSS of a create, (5) a modelled deploy, our defaults vs AWS's. Exits 0; the goals are reported, not
// enforced. Run after `npm run build` (the npm script does it).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/ecs-wizard.js');
const dist = (p) => import(path.join(root, 'dist', p));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, digits = 0) => n.toFixed(digits);
const rows = [];
const row = (part, what, value, goal = '') => {
  rows.push([part, what, value, goal]);
  process.stderr.write(`  ${part} ${what}: ${value}${goal ? `  (${goal})` : ''}\n`);
};

// ---------------------------------------------------------------------------------------------
// (1) Startup: `--help` must not load the SDK or Inquirer.js.
function wall(args, env = process.env) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
function startup(runs = 15) {
  wall(['-e', '0']);
  wall([bin, '--help']); // warm the file cache
  const bare = [];
  const help = [];
  for (let i = 0; i < runs; i++) {
    bare.push(wall(['-e', '0']));
    help.push(wall([bin, '--help']));
  }
  const ratio = median(help) / median(bare);
  row('1 startup', `node -e 0 (median of ${runs})`, `${fmt(median(bare))} ms`);
  row('1 startup', `ecs-wizard --help (median of ${runs})`, `${fmt(median(help))} ms`);
  row('1 startup', '--help / bare node', fmt(ratio, 2), `goal ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'MISSED'}`);
}

// ---------------------------------------------------------------------------------------------
// (2) On moto. Started as test/support/moto.ts does: loopback, free port, stopped by pid.
async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
async function startMoto() {
  const port = await freePort();
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  const [cmd, args] = !probe.error && probe.status === 0 ? ['moto_server', []] : ['python3', ['-m', 'moto.server']];
  const child = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('moto server exited; install it with: pip install "moto[server]>=5.2"');
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`moto did not answer on ${endpoint}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))),
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_ENDPOINT_URL: endpoint,
    },
  };
}

/** Runs the CLI; returns wall time, the JSON result and the child's peak RSS (from process.resourceUsage at exit). */
function cli(moto, args) {
  const rssHook = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nBENCH_MAXRSS_KB='+process.resourceUsage().maxRSS+'\\n'))`;
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', rssHook, bin, ...args, '--output', 'json'], { env: moto.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`ecs-wizard ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  const rss = Number(/BENCH_MAXRSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  return { ms, result: JSON.parse(r.stdout), rssMb: rss };
}

function stackFiles(stack) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecs-wizard-bench-'));
  const answers = path.join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify({ stack, region: 'us-east-1' }));
  return { answers, stateDir: path.join(dir, 'state') };
}

const callsOf = (r) => (r.result.calls ? `${r.result.calls.mutating}/${r.result.calls.read}` : 'n/a');

async function onMoto(runs = 3) {
  const moto = await startMoto();
  const rss = [];
  try {
    // Warm moto (its first calls are slow) with one untimed create + destroy.
    const w = stackFiles('bench-warm');
    cli(moto, ['create', '--answers', w.answers, '--yes', '--no-wait', '--state-dir', w.stateDir]);
    cli(moto, ['destroy', 'bench-warm', '--yes', '--state-dir', w.stateDir]);
    const modes = [
      ['default', []],
      ['1', ['--concurrency', '1']],
    ];
    const out = {};
    for (const [label, extra] of modes) {
      const creates = [];
      const destroys = [];
      for (let i = 0; i < runs; i++) {
        const stack = `bench-c${label}-${i}`;
        const f = stackFiles(stack);
        const c = cli(moto, ['create', '--answers', f.answers, '--yes', '--no-wait', '--state-dir', f.stateDir, ...extra]);
        rss.push(c.rssMb);
        creates.push(c);
        if (i === 0 && label === 'default') {
          const noop = cli(moto, ['create', '--answers', f.answers, '--yes', '--no-wait', '--state-dir', f.stateDir]);
          const n = noop.result.calls;
          row('2 moto', 'no-op create: AWS calls mutating/read', callsOf(noop), n ? `goal 0 mutating: ${n.mutating === 0 ? 'met' : 'MISSED'}` : 'no calls field');
        }
        destroys.push(cli(moto, ['destroy', stack, '--yes', '--state-dir', f.stateDir, ...extra]));
      }
      out[label] = { create: median(creates.map((c) => c.ms)), destroy: median(destroys.map((c) => c.ms)) };
      row('2 moto', `create, concurrency ${label} (median of ${runs}; calls mutating/read)`, `${fmt(out[label].create)} ms; ${callsOf(creates[0])}`);
      row('2 moto', `destroy, concurrency ${label} (median of ${runs}; calls mutating/read)`, `${fmt(out[label].destroy)} ms; ${callsOf(destroys[0])}`);
    }
    row('2 moto', 'create: sequential / default', fmt(out['1'].create / out.default.create, 2), 'moto answers in ms: little to overlap');
    row('2 moto', 'destroy: sequential / default', fmt(out['1'].destroy / out.default.destroy, 2));
  } finally {
    await moto.stop();
  }
  return rss;
}

// ---------------------------------------------------------------------------------------------
// (3) The scheduler under a latency model. Seconds of real AWS per step, with the reasoning.
// Resource steps take their time from when they start; wait steps finish when the world is ready
// (e.g. an ALB turns active ~180 s after CreateLoadBalancer, whether or not anyone is waiting).
const CREATE_S = {
  vpc: 2, // CreateVpc + state available: ~1–2 s (EC2 control plane)
  subnets: 2, // 2 × CreateSubnet + ModifySubnetAttribute, each ~0.3 s, in series
  'internet-gateway': 2, // create + attach, ~1 s each
  'route-table': 2, // create, route, 2 associations
  'alb-security-group': 1.5, // CreateSecurityGroup + AuthorizeSecurityGroupIngress
  'instance-security-group': 1.5,
  'instance-role': 2, // CreateRole + AttachRolePolicy (IAM is global, ~0.5–1 s per call)
  'instance-profile': 10, // create + AddRoleToInstanceProfile, then ~10 s until EC2 sees it (DESIGN.md: propagation)
  'execution-role': 2,
  'ecr-repository': 1,
  'target-group': 1, // CreateTargetGroup + attributes
  'load-balancer': 3, // CreateLoadBalancer returns at once in "provisioning"
  listener: 1, // a listener can be added while the ALB provisions
  'launch-template': 2, // SSM AMI lookup + CreateLaunchTemplate
  cluster: 2, // CreateCluster
  'auto-scaling-group': 15, // CreateAutoScalingGroup; the first launch with a fresh profile retries "Invalid IamInstanceProfile" for seconds
  'capacity-provider': 3, // CreateCapacityProvider + PutClusterCapacityProviders
  'task-definition': 1,
  service: 3, // CreateService
  'service-scaling': 2, // RegisterScalableTarget + PutScalingPolicy (+ CloudWatch alarms)
  // The production shape (issue 16): EC2 and Route 53 control-plane calls answer in well under a second.
  'private-subnets': 2, // like subnets: CreateSubnet per zone, ~0.3 s each, then "available"
  'elastic-ips': 1, // AllocateAddress per NAT gateway, ~0.3 s each
  'nat-gateways': 2, // CreateNatGateway returns at once, "pending" (the wait is nat-gateways-available)
  'private-route-tables': 3, // CreateRouteTable, CreateRoute (retried while the new NAT id is not visible, ~1 s), associations
  'hosted-zone': 1, // ListHostedZonesByName per candidate name + two ListResourceRecordSets
  certificate: 1, // RequestCertificate returns the ARN at once
  'certificate-validation': 3, // ACM names the CNAME a few seconds after the request; one ChangeResourceRecordSets (INSYNC is not awaited)
  'https-listener': 1,
  'redirect-listener': 1,
  'alias-record': 1, // ChangeResourceRecordSets UPSERT
};
const WORLD = {
  // ALBs take 2–4 min from CreateLoadBalancer to "active" (AWS docs/forums; Copilot/CDK deploy logs): 180 s.
  'load-balancer-active': { after: ['load-balancer'], s: 180 },
  // EC2 launch to ASG InService: ~45–60 s for an ECS-optimized AMI.
  'instances-in-service': { after: ['auto-scaling-group'], s: 60 },
  // Boot + ECS agent start + registration with the cluster: ~90 s after launch (an event of the
  // world, not a step: the service-stable wait covers it).
  'container-instances': { after: ['auto-scaling-group'], s: 90 },
  // Tasks placed, pulled, started and 2 healthy ALB checks (interval 10 s, threshold 2): ~60 s after
  // CreateService — and never before the instances have joined and the ALB is active.
  'service-stable': { after: ['service'], s: 60, alsoAfter: ['load-balancer-active', 'container-instances'] },
  // A NAT gateway goes from pending to available in about 1–2 min (AWS: "a few minutes"; Terraform and
  // CloudFormation deploy logs show ~1.5 min): 90 s.
  'nat-gateways-available': { after: ['nat-gateways'], s: 90 },
  // ACM validates through a Route 53 record of the same account within a few minutes of the CNAME
  // being public (its docs allow hours for slow DNS propagation): 120 s.
  'certificate-issued': { after: ['certificate-validation'], s: 120 },
};
const DESTROY_S = {
  'service-scaling': 1,
  service: 45, // scale to 0, tasks drain (deregistration delay 30 s), DeleteService
  'task-definition': 1,
  'capacity-provider': 10, // detach from the cluster, delete (AWS deletes it asynchronously)
  'auto-scaling-group': 150, // ForceDelete: instances terminate in 1–3 min, then the group goes
  'launch-template': 1,
  // DeleteCluster once instances and services are gone; private hosts whose agents lost their route (the NAT gateways
  // go first) stay registered: a refused DeleteCluster, List/DescribeContainerInstances, DescribeInstances, a forced
  // DeregisterContainerInstance each (~0.3 s per call), then DeleteCluster again after the retry's first 1 s backoff
  cluster: 4,
  listener: 1,
  'load-balancer': 5,
  'target-group': 1, // after the listener and the ALB are gone
  'ecr-repository': 1,
  'instance-profile': 2,
  'instance-role': 2,
  'execution-role': 2,
  'alb-security-group': 60, // the ALB's ENIs linger ~1 min: DependencyViolation until they are released
  'instance-security-group': 5,
  'route-table': 2,
  'internet-gateway': 5, // detach fails while public IPs remain mapped; fine once instances are gone
  subnets: 5,
  vpc: 2,
  // The production shape (issue 16)
  'nat-gateways': 60, // DeleteNatGateway returns at once; "deleting" for about a minute before "deleted" (Terraform's delete waits ~1 min)
  'elastic-ips': 1, // ReleaseAddress once its NAT gateway is deleted
  'private-route-tables': 2, // like route-table: disassociate, delete
  'private-subnets': 5, // like subnets
  certificate: 5, // DeleteCertificate answers ResourceInUseException for a few seconds after the HTTPS listener goes
  'certificate-validation': 1, // one ChangeResourceRecordSets DELETE
  'alias-record': 1,
  'https-listener': 1,
  'redirect-listener': 1,
};
// Steps whose delete the engine runs in two parts (`waitUntilGone`): the delete calls take these
// seconds, and the step is gone DESTROY_S seconds after its delete began, as above.
const DELETE_CALLS_S = {
  service: 2, // UpdateService desiredCount 0 + DeleteService force: two ECS control-plane calls, ~1 s each (like CreateCluster: 2 above)
};

async function latencyModel(runs = 3, msPerSecond = 5, input = { stack: 'bench' }, part = '3 model', world = WORLD) {
  const { buildPlan } = await dist('steps/index.js');
  const { validateAnswers } = await dist('wizard/answers-file.js');
  const { runCreate, runDestroy, DEFAULT_CONCURRENCY } = await dist('engine/engine.js');
  const { destroyGraph, goneNode } = await dist('engine/graph.js');
  const plan = buildPlan(validateAnswers(input));
  const byId = new Map(plan.map((s) => [s.id, s]));
  const isWait = (s) => s.kind === 'wait';
  // Several services (issue 23): a service's step `service:api` takes its kind's seconds, and its
  // wait its kind's readiness after the same service's steps.
  const kindOf = (id) => id.split(':')[0];
  const secondsIn = (table, id) => table[id] ?? table[kindOf(id)] ?? 0;
  const world0 = world;
  world = new Proxy(world0, {
    get(t, id) {
      if (typeof id !== 'string' || t[id] || !t[kindOf(id)] || !id.includes(':')) return t[id];
      const w = t[kindOf(id)];
      const own = (a) => (byId.has(`${a}:${id.split(':')[1]}`) ? `${a}:${id.split(':')[1]}` : a);
      return { ...w, after: w.after.map(own), ...(w.alsoAfter ? { alsoAfter: w.alsoAfter.map(own) } : {}) };
    },
  });
  const sleep = (s) => new Promise((r) => setTimeout(r, s * msPerSecond));
  const memState = (resources = {}) => ({
    state: { resources },
    get: (id) => resources[id],
    put: async (rec) => void (resources[rec.stepId] = rec),
  });

  // Lower bounds: the longest chain through the plan with world readiness (create), and the longest
  // chain of deletes in reverse dependency order (destroy).
  const createFinish = new Map();
  const fCreate = (id) => {
    if (createFinish.has(id)) return createFinish.get(id);
    const s = byId.get(id);
    if (!s) {
      // An event of the world only (agents joining the cluster), not a step of the plan.
      const w = world[id];
      const f = Math.max(0, ...w.after.map((a) => fCreate(a) + w.s), ...(w.alsoAfter ?? []).map(fCreate));
      createFinish.set(id, f);
      return f;
    }
    const start = Math.max(0, ...s.dependsOn.map(fCreate));
    let f = start + secondsIn(CREATE_S, id);
    if (isWait(s)) {
      const w = world[id] ?? { after: [], s: 0 };
      f = Math.max(start, ...w.after.map((a) => fCreate(a) + w.s), ...(w.alsoAfter ?? []).map(fCreate));
    }
    createFinish.set(id, f);
    return f;
  };
  const createBound = Math.max(...plan.map((s) => fCreate(s.id)));
  // Destroy runs the engine's own destroy graph (a node per delete, one more per "really gone"
  // tail); the bound is its longest chain, node times from the tables. "Before" is the same plan
  // without teardown exceptions or split deletes: the create graph reversed, as destroy ran until then.
  const reversedOnly = plan.map((s) => (isWait(s) ? s : { ...s, teardown: undefined, waitUntilGone: undefined }));
  const destroyPath = (steps) => {
    const { order, prerequisites } = destroyGraph(steps);
    const tailOf = new Map(steps.map((s) => [goneNode(s.id), s.id]));
    const split = new Set(steps.filter((s) => !isWait(s) && s.waitUntilGone).map((s) => s.id));
    const seconds = (node) => {
      const id = tailOf.get(node) ?? node;
      if (isWait(byId.get(id))) return 0;
      const total = secondsIn(DESTROY_S, id);
      if (!split.has(id)) return total;
      const calls = DELETE_CALLS_S[id] ?? DELETE_CALLS_S[kindOf(id)] ?? total;
      return tailOf.has(node) ? total - calls : calls;
    };
    const finish = new Map();
    const f = (node) => {
      if (!finish.has(node)) finish.set(node, Math.max(0, ...prerequisites.get(node).map(f)) + seconds(node));
      return finish.get(node);
    };
    const last = order.reduce((a, n) => (f(n) > f(a) ? n : a), order[0]);
    // The chain: from the last node back through the prerequisite that finished last, each time.
    const chain = [last];
    for (let n = last; prerequisites.get(n).length; ) chain.unshift((n = prerequisites.get(n).reduce((a, p) => (f(p) > f(a) ? p : a))));
    const label = (node) => (tailOf.has(node) ? `${tailOf.get(node)} (until gone)` : split.has(node) ? `${node} (delete calls)` : node);
    const named = chain.filter((n) => seconds(n) > 0).map((n) => `${label(n)} ${fmt(seconds(n))}`);
    return { bound: f(last), chain: named.join(' → ') };
  };
  const destroyAfter = destroyPath(plan);
  const destroyBefore = destroyPath(reversedOnly);
  const destroyBound = destroyAfter.bound;
  const sum = (table) => plan.filter((s) => !isWait(s)).reduce((a, s) => a + secondsIn(table, s.id), 0);

  // The same plan with its find/create/destroy replaced by sleeps, through the real engine.
  function fakePlan(steps = plan) {
    const done = new Map();
    const doneAt = (id) => {
      let d = done.get(id);
      if (!d) {
        let resolve;
        d = { promise: new Promise((r) => (resolve = r)), resolve };
        done.set(id, d);
      }
      return d;
    };
    const ready = (id) => {
      const w = world[id];
      return Promise.all([
        ...w.after.map((a) => doneAt(a).promise.then((t) => new Promise((r) => setTimeout(r, Math.max(0, t + w.s * msPerSecond - performance.now()))))),
        ...(w.alsoAfter ?? []).map((a) => ready(a)),
      ]);
    };
    return steps.map((s) =>
      isWait(s)
        ? { ...s, run: async () => void (await ready(s.id)) }
        : {
            ...s,
            // The user's own resources (a hosted zone) are found, never created.
            find: async () => (s.external ? { id: s.id } : undefined),
            create: async () => {
              await sleep(secondsIn(CREATE_S, s.id));
              doneAt(s.id).resolve(performance.now());
              return { id: s.id };
            },
            ...(s.waitUntilGone
              ? {
                  destroy: async () => sleep(secondsIn(DELETE_CALLS_S, s.id)),
                  waitUntilGone: async () => sleep(secondsIn(DESTROY_S, s.id) - secondsIn(DELETE_CALLS_S, s.id)),
                }
              : { destroy: async () => sleep(secondsIn(DESTROY_S, s.id)) }),
          },
    );
  }
  const created = () =>
    Object.fromEntries(plan.filter((s) => !isWait(s)).map((s) => [s.id, { stepId: s.id, status: 'created', outputs: { id: s.id }, updatedAt: '' }]));
  async function timeRun(kind, concurrency) {
    const t = performance.now();
    const r =
      kind === 'create'
        ? await runCreate(fakePlan(), { env: {}, state: memState(), concurrency, wait: true })
        : await runDestroy(fakePlan(kind === 'destroy-before' ? reversedOnly : plan), { env: {}, state: memState(created()), concurrency });
    if (!r.ok) throw new Error(`fake ${kind} failed: ${JSON.stringify(r.results.filter((x) => x.outcome === 'failed'))}`);
    return (performance.now() - t) / msPerSecond; // back to modelled seconds
  }
  const results = {};
  for (const kind of ['create', 'destroy', 'destroy-before']) {
    for (const c of kind === 'destroy-before' ? [DEFAULT_CONCURRENCY] : [DEFAULT_CONCURRENCY, 1]) {
      const xs = [];
      for (let i = 0; i < runs; i++) xs.push(await timeRun(kind, c));
      results[`${kind}-${c}`] = median(xs);
    }
  }
  const par = (k) => results[`${k}-${DEFAULT_CONCURRENCY}`];
  const seq = (k) => results[`${k}-1`];
  row(part, `scale`, `1 s of AWS = ${msPerSecond} ms; median of ${runs}; default concurrency ${DEFAULT_CONCURRENCY}`);
  row(part, 'create: critical path (lower bound) / sum of steps', `${fmt(createBound)} s / ${fmt(sum(CREATE_S) + Object.entries(world).filter(([id]) => byId.has(id)).reduce((a, [, w]) => a + w.s, 0))} s`);
  row(part, 'create: modelled wall, parallel / sequential', `${fmt(par('create'))} s / ${fmt(seq('create'))} s`, `goal ≥ 1.5× faster: ${fmt(seq('create') / par('create'), 2)}× ${seq('create') / par('create') >= 1.5 ? 'met' : 'MISSED'}`);
  createWalls[part] = par('create');
  row(part, 'create: parallel wall / critical path', fmt(par('create') / createBound, 3), `goal ≤ 1.05: ${par('create') / createBound <= 1.05 ? 'met' : 'MISSED'}`);
  const wall = par('destroy');
  const ratio = wall / destroyBound;
  row(part, 'destroy before (create graph reversed): modelled wall / critical path', `${fmt(par('destroy-before'))} s / ${fmt(destroyBefore.bound)} s`, `chain: ${destroyBefore.chain}`);
  row(part, 'destroy: critical path (lower bound) / sum of steps', `${fmt(destroyBound)} s / ${fmt(sum(DESTROY_S))} s`, `chain: ${destroyAfter.chain}`);
  row(part, 'destroy: modelled wall', `${fmt(wall)} s (before: ${fmt(par('destroy-before'))} s)`, `goal ≤ 180 s: ${wall <= 180 ? 'met' : 'MISSED'}`);
  row(part, 'destroy: sequential wall', `${fmt(seq('destroy'))} s`, `${fmt(seq('destroy') / wall, 2)}× the parallel wall`);
  row(part, 'destroy: parallel wall / critical path', fmt(ratio, 3), `goal ≤ 1.05: ${ratio <= 1.05 ? 'met' : 'MISSED'}`);
  return `model destroy: modelled wall ${fmt(wall)} s (goal ≤ 180 s: ${wall <= 180 ? 'met' : 'MISSED'}; before: ${fmt(par('destroy-before'))} s), ${fmt(ratio, 3)}× its critical path of ${fmt(destroyBound)} s (goal ≤ 1.05: ${ratio <= 1.05 ? 'met' : 'MISSED'}): ${destroyAfter.chain}`;
}

/** The modelled parallel create wall of each latency model run, by its part. */
const createWalls = {};

// (3c) Several services (issue 23): web by default, api on /api/*, a worker — their steps side by
// side on the same shared stack. Goal: the create within 1.05× of a one-service stack's.
async function servicesModel() {
  const input = {
    stack: 'bench',
    services: { web: {}, api: { path: '/api/*', containerPort: 8080 }, worker: { loadBalanced: false, command: ['node', 'worker.js'] } },
  };
  await latencyModel(3, 5, input, '3c services');
  const ratio = createWalls['3c services'] / createWalls['3 model'];
  row('3c services', '3-service create: modelled wall / 1-service create', `${fmt(createWalls['3c services'])} s / ${fmt(createWalls['3 model'])} s = ${fmt(ratio, 3)}`, `goal ≤ 1.05: ${ratio <= 1.05 ? 'met' : 'MISSED'}`);
  return `model services: 3-service create ${fmt(ratio, 3)}× the 1-service create (goal ≤ 1.05: ${ratio <= 1.05 ? 'met' : 'MISSED'})`;
}

// (3b) The production shape (issue 16): HTTPS on a domain, private instances behind a NAT gateway
// per zone, Spot — the same model with the numbers above for the new steps. Instances in private
// subnets join the cluster only once a NAT gateway lets them out.
const PRODUCTION_WORLD = { ...WORLD, 'container-instances': { ...WORLD['container-instances'], alsoAfter: ['nat-gateways-available'] } };
async function productionModel() {
  const input = {
    stack: 'bench',
    loadBalancer: { domain: 'app.example.com' },
    network: { instanceSubnets: 'private', natGateways: 2 },
    instances: { spot: { instanceTypes: ['t3.small', 't3a.small'] } },
  };
  return (await latencyModel(3, 5, input, '3b production', PRODUCTION_WORLD)).replace(/^model destroy:/, 'model destroy (production shape: HTTPS, NAT per zone, Spot):');
}

// ---------------------------------------------------------------------------------------------
// (5) A host roll under the latency model: the real roll steps (dist/hosts/roll.js) through the
// engine, in the simulated AWS of dist/hosts/model.js on a virtual clock (its seconds per phase are
// ROLL_SECONDS in src/hosts/roll.ts, each with its reason). Reports the modelled duration and the
// fewest tasks the service served at any second; test/unit/hosts/roll-model.test.ts asserts the latter.
async function rollModel() {
  const { modelRoll } = await dist('hosts/model.js');
  const { expectedRollSeconds } = await dist('hosts/roll.js');
  const worlds = [
    ['2 hosts, 2 tasks, 1 per host, maxSize 2', { hosts: 2, tasks: 2, tasksPerHost: 1, maxSize: 2 }],
    ['4 hosts, 6 tasks, 2 per host, maxSize 8', { hosts: 4, tasks: 6, tasksPerHost: 2, maxSize: 8 }],
  ];
  let headline = '';
  for (const [label, w] of worlds) {
    const r = await modelRoll(w);
    const ok = r.ok && r.minServing >= w.tasks && r.tasksKilled === 0;
    row('5 roll', `${label}: modelled duration (estimate shown before)`, `${fmt(r.seconds)} s (${fmt(expectedRollSeconds(w.hosts))} s)`);
    row('5 roll', `${label}: fewest tasks serving`, `${r.minServing} of ${w.tasks}`, `goal never below ${w.tasks}: ${ok ? 'met' : 'MISSED'}`);
    headline ||= `model roll: 2 hosts under a 2-task service in ${fmt(r.seconds)} s modelled, never fewer than ${r.minServing} tasks serving (goal ≥ 2: ${ok ? 'met' : 'MISSED'})`;
  }
  return headline;
}

// ---------------------------------------------------------------------------------------------
// (6) A deploy of a healthy image with 2 tasks, under the latency model: the real deploy plan
// (buildDeployPlan: revision → service update → placing → targets healthy → draining) through the
// real engine, each call a sleep and each phase a wait that ends at the first of the rollout wait's
// own polls (1 s, ×1.5, at most 5 s apart) after the world reaches its milestone. Our defaults
// against AWS's, side by side.
const DEPLOY_CALLS_S = {
  'task-definition': 1, // DescribeServices + DescribeTaskDefinition + ListTaskDefinitions, then RegisterTaskDefinition: four ECS control-plane calls, ~0.2–0.3 s each
  service: 1, // DescribeServices + UpdateService, ~0.3–0.5 s each
};
const DEPLOY_WORLD_S = {
  schedule: 5, // ECS's service scheduler places the new deployment's tasks within seconds of UpdateService (the deployment is listed at once; tasks start on the scheduler's next pass)
  pullAndStart: 10, // a small image (httpd, nginx) pulled and its container started on a host that has the base layers: ~5–15 s
  capacityWait: 150, // no room for the new tasks: PROVISIONING until the capacity provider's CapacityProviderReservation alarm fires on a 1-minute datapoint (~60 s), an instance launches and its agent joins (~90 s: 'container-instances' above)
  stop: 5, // after the deregistration delay: SIGTERM, the container exits, and ECS's steady-state check marks the deployment COMPLETED
};
const DEPLOY_SETTINGS = {
  // src/steps/service/target-group.ts healthCheck() (10 s × 2) and DEREGISTRATION_DELAY (30 s); the capacity
  // provider's targetCapacityPercent 90 keeps an instance of room (2 × t3.small hold 6 tasks of 512 MiB: 2 old + 2 new fit).
  ours: { label: 'our defaults', interval: 10, threshold: 2, deregistration: 30, spare: true },
  // ELB's target group defaults (interval 30 s, healthy threshold 5, deregistration delay 300 s); managed
  // scaling at 100 % packs instances, so with minimumHealthyPercent 100 the 2 new tasks need a new instance.
  aws: { label: "AWS's defaults", interval: 30, threshold: 5, deregistration: 300, spare: false },
};

async function deployModel(runs = 3, msPerSecond = 5) {
  const { buildDeployPlan } = await dist('steps/index.js');
  const { runCreate } = await dist('engine/engine.js');
  const { servicesOf } = await dist('steps/services.js');
  const { validateAnswers } = await dist('wizard/answers-file.js');
  const plan = buildDeployPlan({ startScaling: false, service: servicesOf(validateAnswers({ stack: 'bench' }))[0] });
  const memState = () => {
    const resources = {};
    return { state: { resources }, get: (id) => resources[id], put: async (rec) => void (resources[rec.stepId] = rec) };
  };
  /** Seconds after the update at which each phase's milestone is reached. */
  const milestones = (k) => {
    const placed = DEPLOY_WORLD_S.schedule + (k.spare ? 0 : DEPLOY_WORLD_S.capacityWait) + DEPLOY_WORLD_S.pullAndStart;
    const healthy = placed + k.interval * k.threshold;
    const drained = healthy + k.deregistration + DEPLOY_WORLD_S.stop;
    return { 'rollout-placing': placed, 'rollout-healthy': healthy, 'rollout-draining': drained };
  };
  /** The first poll of a wait that starts at `start` (seconds) at or after `at`: polls at 0, 1, 2.5, … up to 5 s apart. */
  const noticed = (start, at) => {
    let t = start;
    let delay = 1;
    while (t < at) {
      t += delay;
      delay = Math.min(5, delay * 1.5);
    }
    return t;
  };
  const bound = (k) => DEPLOY_CALLS_S['task-definition'] + DEPLOY_CALLS_S.service + milestones(k)['rollout-draining'];
  async function once(k) {
    const world = milestones(k);
    let updatedAt = 0;
    const t0 = performance.now();
    const now = () => (performance.now() - t0) / msPerSecond;
    const steps = plan.map((s) =>
      s.kind === 'wait'
        ? { ...s, run: async () => new Promise((r) => setTimeout(r, Math.max(0, (noticed(now(), updatedAt + world[s.id]) - now()) * msPerSecond))) }
        : {
            ...s,
            find: async () => undefined,
            create: async () => {
              await new Promise((r) => setTimeout(r, (DEPLOY_CALLS_S[s.id] ?? 0) * msPerSecond));
              if (s.id === 'service') updatedAt = now();
              return { id: s.id };
            },
          },
    );
    const r = await runCreate(steps, { env: {}, state: memState(), concurrency: 8, wait: true });
    if (!r.ok) throw new Error(`fake deploy failed: ${JSON.stringify(r.results.filter((x) => x.outcome === 'failed'))}`);
    return { wall: now(), phases: Object.fromEntries(r.results.map((x) => [x.stepId, x.durationMs / msPerSecond])) };
  }
  const out = {};
  for (const [key, k] of Object.entries(DEPLOY_SETTINGS)) {
    const xs = [];
    for (let i = 0; i < runs; i++) xs.push(await once(k));
    const wall = median(xs.map((x) => x.wall));
    const p = xs[0].phases;
    out[key] = { wall, bound: bound(k), chain: `revision ${fmt(p['task-definition'])} → update ${fmt(p.service)} → placing ${fmt(p['rollout-placing'])} → targets healthy ${fmt(p['rollout-healthy'])} → draining ${fmt(p['rollout-draining'])}` };
  }
  row('6 deploy', `modelled deploy, 2 tasks, ${DEPLOY_SETTINGS.ours.label} (median of ${runs})`, `${fmt(out.ours.wall)} s`, `goal ≤ 90 s: ${out.ours.wall <= 90 ? 'met' : 'MISSED'}; ${out.ours.chain}`);
  row('6 deploy', `the same with ${DEPLOY_SETTINGS.aws.label} (baseline)`, `${fmt(out.aws.wall)} s`, out.aws.chain);
  row('6 deploy', 'baseline / ours; ours / its lower bound', `${fmt(out.aws.wall / out.ours.wall, 1)}× ; ${fmt(out.ours.wall / out.ours.bound, 2)}`, 'the bound: calls + world, polls noticing at once');
  return `model deploy (2 tasks): ${fmt(out.ours.wall)} s with our defaults (goal ≤ 90 s: ${out.ours.wall <= 90 ? 'met' : 'MISSED'}) vs ${fmt(out.aws.wall)} s with AWS's — health check 10 s × 2 instead of 30 s × 5, deregistration delay 30 s instead of 300 s, and room for the new tasks (capacity provider target 90 %) instead of a new instance`;
}

// ---------------------------------------------------------------------------------------------
function printTable() {
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['part', 'measure', 'value', 'goal'][i].length));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join(' │ ');
  console.log(line(['part', 'measure', 'value', 'goal']));
  console.log(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  for (const r of rows) console.log(line(r));
}

const started = Date.now();
process.stderr.write('ecs-wizard benchmark\n');
startup();
const rss = await onMoto();
const destroySummary = await latencyModel();
const productionSummary = await productionModel();
const servicesSummary = await servicesModel();
const rollSummary = await rollModel();
const deploySummary = await deployModel();
const peak = Math.max(...rss);
row('4 memory', `peak RSS of create (max of ${rss.length} runs; median ${fmt(median(rss))} MB)`, `${fmt(peak)} MB`, `goal < 200 MB: ${peak < 200 ? 'met' : 'MISSED'}`);
console.log('');
printTable();
console.log(`\n${destroySummary}`);
console.log(productionSummary);
console.log(servicesSummary);
console.log(rollSummary);
console.log(`${deploySummary}`);
console.log(`\n(${fmt((Date.now() - started) / 1000)} s)`);
