import type { AwsClients } from '../../aws/clients.js';
import type { StackState } from '../../engine/state.js';
import { colourEnabled, style } from '../../ui/style.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { awsTarget, callLog, preflight, readExistingStack, type CallCounts } from '../stack.js';
import { makeReporter } from '../output.js';
import type { LiveFacts } from '../../live/inspect.js';
import type { HostFacts } from '../../hosts/inspect.js';
import type { CostReport } from '../../cost/estimate.js';
import { costLines } from '../../cost/format.js';
import type { ReleaseRecord } from '../../engine/state.js';
import { waitingForImage, waitingForImageText, type WaitingForImage } from '../waiting-for-image.js';
import { stackUrl } from '../../steps/url.js';
import { plural } from '../../words.js';
import { answersSchema, type Answers } from '../../wizard/schema.js';
import { routeText, serviceOfId, servicesOf } from '../../steps/services.js';
import { discoveryUrl } from '../../steps/service/service-connect.js';
import type { ServiceFacts } from '../../live/inspect.js';

export type Health = 'healthy' | 'degraded' | 'missing' | 'incomplete';

export interface StatusReport extends LiveFacts {
  stack: string;
  region: string;
  stateFile: string;
  updatedAt: string;
  health: Health;
  ok: boolean;
  /** One line: "healthy", "degraded: service shop-web: 0 of 2 tasks running", "missing: ECS service shop-web". */
  verdict: string;
  url?: string;
  /** The newest release as the state recorded it (deploy, rollback or create). */
  release?: ReleaseRecord;
  /** How to push the missing image and start the service (when the stack's ECR repository has none). */
  waitingForImage?: WaitingForImage;
  /** How many hosts run the latest recommended ECS AMI (`ecs-wizard hosts` has the details). */
  hosts?: { onLatestAmi: number; total: number; latestAmi?: { amiId: string; released?: string }; rollPending?: string };
  /** What the stack costs now, from what runs (src/cost/): estimates in USD, dated. */
  cost?: CostReport;
  /**
   * One entry per service of the stack (issue 23), in the answers' order: its route, counts,
   * verdict, image and revision. The stack's own service's facts also stay at the top level
   * (`service`, `targets`, `serviceScaling`, `image`), as before several services.
   */
  services?: ServiceStatus[];
  calls?: CallCounts;
}

export interface ServiceStatus {
  name: string;
  /** `default → web:80`, `/api/* → api:8080`, `worker: no load balancer`. */
  route: string;
  /** How the stack's other services call it, when Service Connect serves it by name: `http://worker:8080`. */
  discovery?: string;
  desired?: number;
  running?: number;
  pending?: number;
  health: Health;
  /** "healthy", or what is wrong with this service alone. */
  verdict: string;
  image?: string;
  taskDefinition?: string;
  targets?: LiveFacts['targets'];
}

const TITLES: Record<string, string> = {
  vpc: 'VPC',
  subnets: 'subnets',
  'internet-gateway': 'internet gateway',
  'route-table': 'route table',
  'alb-security-group': 'load balancer security group',
  'instance-security-group': 'instance security group',
  'instance-role': 'instance role',
  'instance-profile': 'instance profile',
  'execution-role': 'task execution role',
  'ecr-repository': 'ECR repository',
  'log-group': 'log group',
  'secrets-policy': 'secrets access policy',
  'target-group': 'target group',
  'load-balancer': 'load balancer',
  listener: 'listener',
  'launch-template': 'launch template',
  'auto-scaling-group': 'Auto Scaling group',
  cluster: 'ECS cluster',
  'capacity-provider': 'capacity provider',
  'asg-scaling-policy': 'instance scaling policy',
  'task-definition': 'task definition',
  service: 'ECS service',
  'service-scaling': 'service auto scaling',
  'private-subnets': 'private subnets',
  'elastic-ips': 'Elastic IPs',
  'nat-gateways': 'NAT gateways',
  'private-route-tables': 'private route tables',
  certificate: 'certificate',
  'certificate-validation': 'certificate validation records',
  'hosted-zone': 'hosted zone',
  'https-listener': 'HTTPS listener',
  'redirect-listener': 'HTTP → HTTPS redirect',
  'alias-record': 'DNS alias record',
  'service-connect-namespace': 'Service Connect namespace',
};

/** A resource's title: a service's own carries its name (`ECS service (api)` for `service:api`). */
export const titleOf = (stepId: string): string => {
  const own = serviceOfId(stepId);
  if (own?.service !== undefined) return `${TITLES[own.kind] ?? own.kind} (${own.service})`;
  return TITLES[stepId] ?? stepId;
};

/** Where a resource sorts: by its kind, a service's after the stack's own of that kind. */
const orderOf = (stepId: string): number => {
  const i = Object.keys(TITLES).indexOf(serviceOfId(stepId)?.kind ?? stepId);
  return i < 0 ? 99 : i + 1;
};

/** What is wrong with a service's targets: none healthy, or some unhealthy (nothing to say while it is meant to run 0 tasks). */
function targetProblems(targets: LiveFacts['targets'], desired: number | undefined): string[] {
  if (!targets || (desired ?? 1) <= 0) return [];
  const healthy = targets.filter((t) => t.state === 'healthy').length;
  const unhealthy = targets.filter((t) => t.state === 'unhealthy').length;
  if (healthy === 0) return [`no healthy targets (${targets.length} registered)`];
  return unhealthy > 0 ? [`${unhealthy} of ${plural(targets.length, 'target')} unhealthy`] : [];
}

/** What is wrong with one service (facts of its own): its tasks, its targets, its image. */
export function serviceProblems(name: string, f: ServiceFacts): string[] {
  const out: string[] = [];
  const svc = f.service;
  out.push(...targetProblems(f.targets, svc?.desired));
  if (svc && (svc.running ?? 0) < (svc.desired ?? 0)) out.push(`service ${svc.name}: ${svc.running ?? 0} of ${plural(svc.desired ?? 0, 'task')} running`);
  if (svc && (svc.pending ?? 0) > 0) out.push(`service ${svc.name}: ${plural(svc.pending ?? 0, 'task')} pending`);
  if (f.image && !f.image.present) out.push(`no image ${f.image.uri} pushed yet: ${name} runs 0 tasks`);
  return out;
}

/** Each service's line: route, counts, and a verdict from its own resources and facts. */
export function servicesStatus(answers: Answers, facts: LiveFacts): ServiceStatus[] {
  return servicesOf(answers).map((spec) => {
    const key = spec.primary ? '' : spec.name;
    const f = facts.byService?.[key] ?? {};
    const mine = facts.resources.filter((r) => {
      const own = serviceOfId(r.stepId);
      return own !== undefined && (own.service ?? '') === key;
    });
    const missing = mine.filter((r) => r.live === 'missing' && r.recorded === 'created').map((r) => `${titleOf(r.stepId)} ${r.id}`);
    const problems = serviceProblems(spec.name, f);
    const health: Health = missing.length ? 'missing' : mine.some((r) => r.recorded !== 'created') || !mine.length ? 'incomplete' : problems.length ? 'degraded' : 'healthy';
    const verdict = missing.length ? `missing: ${missing.join(', ')}` : health === 'incomplete' ? 'incomplete: run create again to finish' : problems.length ? `degraded: ${problems.join('; ')}` : 'healthy';
    return {
      name: spec.name,
      route: routeText(spec),
      ...(discoveryUrl(spec) ? { discovery: discoveryUrl(spec) } : {}),
      ...(f.service ? { desired: f.service.desired, running: f.service.running, pending: f.service.pending } : {}),
      health,
      verdict,
      ...(spec.image ? { image: spec.image } : {}),
      ...(f.taskDefinition ? { taskDefinition: f.taskDefinition } : {}),
      ...(f.targets ? { targets: f.targets } : {}),
    };
  });
}

/** The answers a state recorded, when they still validate (for the URL: https://<domain> with HTTPS). */
function recordedAnswers(recorded: unknown): Answers | undefined {
  const parsed = answersSchema.safeParse(recorded);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The verdict, from facts alone (no AWS here, so it is unit-testable). What "healthy" needs:
 * every recorded resource present and fully created, the ALB active, no unhealthy target and at
 * least one healthy one, the ASG's desired instances in service, at least one ACTIVE container
 * instance per instance in service, and the service running its desired count with none pending.
 */
export function judge(facts: LiveFacts): { health: Health; verdict: string } {
  const missing = facts.resources.filter((r) => r.live === 'missing' && r.recorded === 'created').map((r) => `${titleOf(r.stepId)} ${r.id}`);
  const incomplete = facts.resources.filter((r) => r.recorded !== 'created').map((r) => `${titleOf(r.stepId)} (${r.recorded})`);
  const degraded: string[] = [];
  for (const r of facts.resources) if (r.live === 'unknown' && r.detail?.startsWith('check failed')) degraded.push(`${titleOf(r.stepId)}: ${r.detail}`);
  const lb = facts.loadBalancer;
  if (lb && lb.state !== 'active') degraded.push(`load balancer is ${lb.state ?? 'in an unknown state'}`);
  const svc = facts.service;
  degraded.push(...targetProblems(facts.targets, svc?.desired));
  const g = facts.autoScalingGroup;
  if (g && g.inService < (g.desired ?? 0)) degraded.push(`${g.inService} of ${plural(g.desired ?? 0, 'instance')} in service`);
  const ci = facts.containerInstances;
  // Tasks only run on registered container instances: a service running its desired count proves
  // the agents joined, and a host that has not joined yet (scaling out) is not a fault of the service.
  const serving = svc !== undefined && (svc.desired ?? 0) > 0 && (svc.running ?? 0) >= (svc.desired ?? 0);
  if (ci && g && g.inService > 0 && ci.active < g.inService && !serving) {
    degraded.push(ci.active === 0 ? `no container instances registered in cluster ${ci.cluster}` : `${ci.active} of ${plural(g.inService, 'instance')} registered in cluster ${ci.cluster}`);
  }
  if (svc && (svc.running ?? 0) < (svc.desired ?? 0)) degraded.push(`service ${svc.name}: ${svc.running ?? 0} of ${plural(svc.desired ?? 0, 'task')} running`);
  if (svc && (svc.pending ?? 0) > 0) degraded.push(`service ${svc.name}: ${plural(svc.pending ?? 0, 'task')} pending`);
  if (facts.capacityProvider && facts.capacityProvider.status !== 'ACTIVE') degraded.push(`capacity provider is ${facts.capacityProvider.status}`);
  if (facts.image && !facts.image.present) degraded.push(`no image ${facts.image.uri} pushed yet: the service runs 0 tasks`);
  // The other services of a stack of several, each by its own facts.
  for (const [name, f] of Object.entries(facts.byService ?? {})) if (name !== '') degraded.push(...serviceProblems(name, f));

  const parts: string[] = [];
  if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
  if (incomplete.length) parts.push(`incomplete: ${incomplete.join(', ')} — run create again to finish`);
  if (degraded.length) parts.push(`degraded: ${degraded.join('; ')}`);
  const health: Health = missing.length ? 'missing' : incomplete.length ? 'incomplete' : degraded.length ? 'degraded' : 'healthy';
  return { health, verdict: parts.length ? parts.join('; ') : 'healthy' };
}

export async function status(stackArg: string | undefined, flags: CommonFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  // Read-only: no lock, so status works while a create runs. A corrupt state is refused (STATE_INVALID).
  const { stack, state, where: file } = await readExistingStack(opts, stackArg, ctx, 'status');
  const reporter = makeReporter(opts, ctx);
  const calls = callLog(opts, (l) => reporter.log(l));
  const aws = ctx.makeClients(awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall));
  try {
    const region = await preflight(aws);
    const records = Object.values(state.resources).filter((r) => r.status !== 'destroyed');
    // Loaded here: the SDK clients it needs are the slow part of starting up.
    const { inspectLive } = await import('../../live/inspect.js');
    const answers = recordedAnswers(state.answers);
    const serviceImages = answers ? Object.fromEntries(servicesOf(answers).map((x) => [x.primary ? '' : x.name, x.image])) : undefined;
    const facts = await inspectLive(aws, records, { serviceImage: (state.answers as { service?: { image?: string } } | undefined)?.service?.image, ...(serviceImages ? { serviceImages } : {}) });
    facts.resources.sort((a, b) => orderOf(a.stepId) - orderOf(b.stepId));
    const { health, verdict } = judge(facts);
    const looked = records.some((r) => r.stepId === 'auto-scaling-group') ? await hostsOnLatestAmi(aws, state, region) : undefined;
    const hostsLine = looked?.line;
    const { statusCost } = await import('./status-cost.js');
    const cost = await statusCost(opts, ctx, aws, awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall), region, facts, looked?.facts);
    const dns = facts.loadBalancer?.dnsName;
    const port = facts.listenerPort ?? 80;
    const { byService: _perService, ...shown } = facts;
    const report: StatusReport = {
      stack,
      region,
      stateFile: file,
      updatedAt: state.updatedAt,
      health,
      ok: health === 'healthy',
      verdict,
      url: dns ? (answers ? stackUrl(answers, dns) : `http://${dns}${port === 80 ? '' : `:${port}`}`) : undefined,
      ...shown,
      ...(answers ? { services: servicesStatus(answers, facts) } : {}),
      ...(hostsLine ? { hosts: hostsLine } : {}),
      ...(state.releases?.some((r) => r.service === undefined) ? { release: state.releases.findLast((r) => r.service === undefined) } : {}),
      ...(facts.image && !facts.image.present ? { waitingForImage: waitingForImage({ imageMissing: facts.image.uri }, region, undefined) } : {}),
      cost,
      calls: calls.counts,
    };
    if (opts.output === 'json') ctx.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else ctx.stdout.write(formatStatus(report, colourEnabled(ctx.env, ctx.isTTY)));
    return report.ok ? 0 : 1;
  } finally {
    reporter.close();
    aws.destroy();
  }
}

/** The text view: resources with their live state, then the details that make the verdict. */
export function formatStatus(r: StatusReport, colour = false): string {
  const s = style(colour);
  const lines: string[] = [];
  const mark = { present: s.green('✔'), missing: s.red('✖'), unknown: s.yellow('?') } as const;
  lines.push(`Stack ${s.bold(r.stack)} (${r.region}) — state updated ${r.updatedAt.replace('T', ' ').slice(0, 19)}`);
  lines.push('');
  const w = Math.max(...r.resources.map((x) => titleOf(x.stepId).length), 8);
  for (const x of r.resources) {
    const rec = x.recorded === 'created' ? '' : s.yellow(` [recorded: ${x.recorded}]`);
    lines.push(`  ${mark[x.live]} ${titleOf(x.stepId).padEnd(w)}  ${x.id}${x.detail ? s.dim(` — ${x.detail}`) : ''}${rec}`);
  }
  if (r.loadBalancer) lines.push('', `Load balancer: ${r.loadBalancer.state ?? '?'}${r.url ? `  ${r.url}` : ''}`);
  if (r.targets) {
    lines.push(`Targets: ${r.targets.length ? '' : 'none registered'}`);
    for (const t of r.targets) lines.push(`  ${t.id}${t.port ? `:${t.port}` : ''}  ${t.state ?? '?'}${t.reason ? ` (${t.reason})` : ''}`);
  }
  const g = r.autoScalingGroup;
  if (g) lines.push(`Instances: ${g.inService} in service, desired ${g.desired} (min ${g.min}, max ${g.max})`);
  if (r.containerInstances) lines.push(`Container instances: ${r.containerInstances.active} active of ${r.containerInstances.registered} registered in ${r.containerInstances.cluster}`);
  // A stack of several: one line per service (verdict, running/desired, route).
  if ((r.services?.length ?? 0) > 1) {
    const w = Math.max(...r.services!.map((x) => x.name.length));
    lines.push('Services:');
    for (const x of r.services!) {
      const counts = x.desired !== undefined ? `${x.running ?? 0}/${x.desired} running` : 'not running';
      lines.push(`  ${x.health === 'healthy' ? s.green('✔') : s.red('✖')} ${x.name.padEnd(w)}  ${counts.padEnd(14)} ${x.route}${x.health === 'healthy' ? '' : s.dim(` — ${x.verdict}`)}`);
    }
  }
  const svc = r.service;
  if (svc) {
    lines.push(`Service ${svc.name}: ${svc.running ?? 0} running, ${svc.pending ?? 0} pending, desired ${svc.desired}`);
    for (const e of svc.events) lines.push(s.dim(`  ${e.at ? e.at.replace('T', ' ').slice(0, 19) : ''} ${e.message ?? ''}`));
  }
  const rel = r.release;
  if (rel) {
    const when = rel.startedAt.replace('T', ' ').slice(0, 19);
    lines.push(`Release: revision ${rel.revision} (${rel.image}) ${rel.result}${rel.result === 'in-progress' ? ' when last seen (`ecs-wizard releases` checks)' : ''} — ${rel.kind} by ${rel.by} at ${when}`);
  }
  const cp = r.capacityProvider;
  if (cp) lines.push(`Capacity provider ${cp.name}: ${cp.status}, managed scaling ${cp.managedScaling ?? 'off'}${cp.targetCapacity ? ` (target ${cp.targetCapacity}%)` : ''}`);
  const sc = r.serviceScaling;
  if (sc) {
    const pol = sc.policies.map((p) => `${p.type ?? 'policy'}${p.targetValue !== undefined ? ` at ${p.targetValue}%` : ''}`).join(', ');
    lines.push(`Service scaling: ${sc.minCapacity}–${sc.maxCapacity} tasks${pol ? `, ${pol}` : ''}`);
  }
  const h = r.hosts;
  if (h) {
    lines.push(`Hosts: ${h.onLatestAmi} of ${h.total} on the latest ECS AMI${h.latestAmi ? ` (${h.latestAmi.amiId}, released ${h.latestAmi.released?.slice(0, 10) ?? '?'})` : ''}${h.onLatestAmi < h.total ? ` — \`ecs-wizard hosts refresh ${r.stack}\` patches the others` : ''}`);
    if (h.rollPending) lines.push(s.yellow(`  a host roll (${h.rollPending}) was interrupted: \`ecs-wizard hosts refresh ${r.stack}\` finishes it`));
  }
  if (r.cost) lines.push('', ...costLines(r.cost, { title: 'What it costs now', what: 'now' }));
  lines.push('', r.ok ? s.green(`✔ ${r.verdict}`) : s.red(`✖ ${r.verdict}`));
  return lines.join('\n') + '\n' + (r.waitingForImage ? waitingForImageText(r.waitingForImage) : '');
}

/** "N of M hosts on the latest ECS AMI (released DATE)", and the hosts as read (for the cost): informative, never part of the verdict; a failed look is left out. */
async function hostsOnLatestAmi(aws: AwsClients, state: StackState, region: string): Promise<{ line: StatusReport['hosts']; facts: HostFacts } | undefined> {
  const { hostTargets, hostsVerdict, inspectHosts } = await import('../../hosts/inspect.js');
  try {
    const facts = await inspectHosts(aws, hostTargets(state), region);
    const v = hostsVerdict(facts);
    const arch = facts.launch?.architecture as 'arm64' | 'x86_64' | undefined;
    const latest = (arch && facts.latestAmi[arch]) || Object.values(facts.latestAmi)[0];
    const roll = state.roll?.spec as { reason?: string } | undefined;
    const line = {
      onLatestAmi: v.onLatestAmi,
      total: v.total,
      ...(latest ? { latestAmi: { amiId: latest.amiId, ...(latest.created ? { released: latest.created } : {}) } } : {}),
      ...(roll?.reason ? { rollPending: roll.reason } : {}),
    };
    return { line, facts };
  } catch {
    return undefined;
  }
}
