import { costLines } from '../cost/format.js';
import type { Plan } from './plan.js';
import { plural } from '../words.js';

/** The review screen as plain text (no colour: it may be piped or logged). */
export function renderPlan(p: Plan): string {
  const lines: string[] = [];
  const add = (s = ''): void => void lines.push(s);
  add(`Plan for stack "${p.stack}" in ${p.region}`);
  add();
  add('Network');
  add(`  VPC       ${p.network.vpc}`);
  for (const s of p.network.subnets) add(`  subnet    ${s}`);
  if (p.privateNetwork) {
    for (const s of p.privateNetwork.subnets) add(`  private   ${s}`);
    add(`  NAT       ${p.privateNetwork.natGateways === 'existing' ? 'the existing subnets\' own NAT gateways' : `${plural(p.privateNetwork.natGateways, 'NAT gateway')} with Elastic IPs, in the public subnets`}`);
  }
  add('Load balancer');
  add(`  ${p.loadBalancer.name}  ${p.https ? 'HTTPS' : 'HTTP'} :${p.loadBalancer.listenerPort}  health check ${p.loadBalancer.healthCheckPath}`);
  if (p.https) {
    add(`  certificate ${p.https.certificate}, ${p.https.tlsPolicy}`);
    if (p.https.redirectHttp) add('  HTTP :80 answers 301 to HTTPS');
  }
  add(`  URL ${p.url}`);
  add('Instances');
  add(`  ${p.instances.instanceType} × ${p.instances.desiredCapacity} (min ${p.instances.minSize}, max ${p.instances.maxSize}), launch ${p.instances.launch}`);
  add(`  AMI ${p.instances.ami}${p.instances.architecture ? ` (${p.instances.architecture})` : ''}`);
  if (p.roll) add(`  roll ${plural(p.roll.instances, 'instance')}: ${p.roll.reason}`);
  if (p.spot) {
    add(`  Spot: ${p.spot.instanceTypes.join(', ')} (${p.spot.allocationStrategy}), On-Demand base ${p.spot.onDemandBaseCapacity}, ${p.spot.onDemandPercentageAboveBase} % On-Demand above it`);
  }
  if (p.services.length > 1) {
    // Several: each with its route (`/api/* → api:8080`, `default → web:80`, `worker: no load balancer`).
    add('Services');
    for (const s of p.services) add(`  ${s.route}  ${s.image}  ${s.cpu} CPU units  ${s.memory} MiB  × ${plural(s.desiredCount, 'task')}${s.command ? `  command ${s.command.join(' ')}` : ''}`);
    add(`  logs ${p.service.logs}`);
  } else {
    add('Service');
    add(`  ${p.service.image}  port ${p.service.containerPort}  ${p.service.cpu} CPU units  ${p.service.memory} MiB  × ${plural(p.service.desiredCount, 'task')}`);
  }
  if (p.services.length <= 1) add(`  logs ${p.service.logs}`);
  if (p.service.taskRole) add(`  task role ${p.service.taskRole}`);
  if (p.service.secrets.length) add(`  secrets ${p.service.secrets.join(', ')} (read by ECS from SSM / Secrets Manager at task start)`);
  add(`  Container Insights ${p.service.containerInsights ? 'on' : 'off'}`);
  // Services the answers no longer have: deleted alone by this create (nothing shared is touched).
  for (const r of p.removed ?? []) add(`  delete service ${r.name}: ${r.resources.join(', ')}`);
  if (p.changes?.length) {
    add('Changes to what runs');
    for (const c of p.changes) add(`  ${c}`);
  }
  add('Who can reach what');
  for (const a of p.access) add(`  ${a}`);
  add('Scaling');
  for (const s of p.scaling) add(`  ${s}`);
  add('Resources');
  const width = Math.max(...p.resources.map((r) => r.title.length));
  for (const r of p.resources) {
    const what = r.status ?? (r.action === 'reuse' ? 'reuse' : 'create');
    add(`  ${what.padEnd(13)} ${r.title.padEnd(width)}  ${r.name ?? ''}`.trimEnd());
  }
  for (const w of p.warnings) add(`warning: ${w}`);
  // Last, so the figure is what the question right after it is about.
  for (const l of costLines(p.cost)) add(l);
  return lines.join('\n') + '\n';
}
