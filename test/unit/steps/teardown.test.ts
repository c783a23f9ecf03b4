import { describe, expect, it } from 'vitest';
import { destroyGraph, goneNode } from '../../../src/engine/graph.js';
import { isWaitStep, type Step } from '../../../src/engine/types.js';
import { discoverPlan } from '../../../src/destroy/discover.js';
import type { StackEnv } from '../../../src/steps/env.js';
import { buildPlan } from '../../../src/steps/index.js';
import { serviceOfId } from '../../../src/steps/services.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';

/**
 * What AWS itself needs at delete time, written down independently of the plan: `del` cannot be
 * deleted (or should not be, where noted) until `after` is gone — or, with `begun`, until the
 * delete of `after` has begun. Checked against the destroy graph the engine actually runs, for
 * every variant of the plan, so that no teardown exception ever deletes a thing before something
 * that still needs it on AWS.
 */
interface DeleteDependency {
  del: string;
  after: string;
  begun?: true;
  why: string;
}

const AWS_DELETE_DEPENDENCIES: DeleteDependency[] = [
  // ECS
  { del: 'capacity-provider', after: 'service', why: 'DeleteCapacityProvider / PutClusterCapacityProviders: ResourceInUse while a service\'s strategy names it; a DRAINING service still does (ECS API reference, DeleteCapacityProvider)' },
  { del: 'cluster', after: 'service', why: 'DeleteCluster: ClusterContainsServicesException while a service, ACTIVE or DRAINING, remains' },
  { del: 'cluster', after: 'auto-scaling-group', why: 'DeleteCluster: ClusterContainsContainerInstancesException while the group\'s instances are registered (they deregister as they terminate — but for those whose agent lost its route first, which the cluster step deregisters with force)' },
  { del: 'auto-scaling-group', after: 'service', begun: true, why: 'while the service wants tasks, ECS re-places them as hosts die (and managed scaling asks for hosts): set it to 0 and delete it first' },
  { del: 'auto-scaling-group', after: 'service-scaling', why: 'Application Auto Scaling would raise the service\'s count again while its hosts go' },
  { del: 'task-definition', after: 'service', why: 'the service runs tasks of the definition until it is gone (deregistered revisions keep running, but cannot be placed again)' },
  // Elastic Load Balancing
  { del: 'target-group', after: 'listener', why: 'DeleteTargetGroup: ResourceInUse while a listener\'s action forwards to it' },
  { del: 'target-group', after: 'service', why: 'the service\'s loadBalancers entry names it: ECS deregisters the draining tasks from it' },
  { del: 'target-group', after: 'auto-scaling-group', why: 'the group\'s TargetGroupARNs names it and registers its instances in it until the group is gone' },
  { del: 'target-group', after: 'service-scaling', why: 'an ALBRequestCountPerTarget policy names the target group in its resource label' },
  { del: 'load-balancer', after: 'service-scaling', why: 'an ALBRequestCountPerTarget policy names the load balancer in its resource label' },
  // EC2 networking
  { del: 'alb-security-group', after: 'load-balancer', why: 'DeleteSecurityGroup: DependencyViolation while the ALB\'s network interfaces use it (they go with the ALB, a minute later)' },
  { del: 'instance-security-group', after: 'auto-scaling-group', why: 'DeleteSecurityGroup: DependencyViolation while the instances\' network interfaces use it' },
  { del: 'subnets', after: 'auto-scaling-group', why: 'DeleteSubnet: DependencyViolation while instances (their ENIs) are in it' },
  { del: 'subnets', after: 'load-balancer', why: 'DeleteSubnet: DependencyViolation while the ALB\'s ENIs are in it' },
  { del: 'subnets', after: 'route-table', why: 'the route table\'s explicit associations name the subnets (the table\'s delete disassociates them)' },
  { del: 'internet-gateway', after: 'auto-scaling-group', why: 'DetachInternetGateway: DependencyViolation while the instances\' public addresses are mapped in the VPC' },
  { del: 'internet-gateway', after: 'load-balancer', why: 'DetachInternetGateway: DependencyViolation while the internet-facing ALB\'s public addresses are mapped' },
  { del: 'internet-gateway', after: 'route-table', why: 'the route table\'s default route points at the gateway' },
  { del: 'vpc', after: 'subnets', why: 'DeleteVpc: DependencyViolation while subnets remain' },
  { del: 'vpc', after: 'alb-security-group', why: 'DeleteVpc: DependencyViolation while non-default security groups remain' },
  { del: 'vpc', after: 'instance-security-group', why: 'DeleteVpc: DependencyViolation while non-default security groups remain' },
  { del: 'vpc', after: 'internet-gateway', why: 'DeleteVpc: DependencyViolation while an internet gateway is attached' },
  { del: 'vpc', after: 'route-table', why: 'DeleteVpc: DependencyViolation while non-main route tables remain' },
  { del: 'vpc', after: 'target-group', why: 'a target group belongs to the VPC' },
  // Launch and IAM
  { del: 'launch-template', after: 'auto-scaling-group', why: 'DeleteLaunchConfiguration: ResourceInUse while a group uses it; a deleted template would leave the group unable to launch while it terminates' },
  { del: 'instance-profile', after: 'auto-scaling-group', why: 'instances run with the profile until they terminate (IAM: deleting a profile in use breaks them)' },
  { del: 'instance-role', after: 'instance-profile', why: 'DeleteRole: DeleteConflict while the role is in an instance profile' },
  { del: 'execution-role', after: 'secrets-policy', why: 'DeleteRole: DeleteConflict while the role has inline policies (the secrets grant)' },
  { del: 'execution-role', after: 'task-definition', why: 'ECS assumes the role to start the definition\'s tasks and pull their images' },
  { del: 'task-role', after: 'task-definition', why: 'the containers of the definition\'s tasks run as the role until they stop' },
  // Private instances behind NAT (issue 16)
  { del: 'elastic-ips', after: 'nat-gateways', why: 'ReleaseAddress: AuthFailure while the NAT gateway holding the address is not deleted (and for a while after: retried by the step)' },
  { del: 'subnets', after: 'nat-gateways', why: 'DeleteSubnet: DependencyViolation while the NAT gateway\'s network interface is in the public subnet' },
  { del: 'internet-gateway', after: 'nat-gateways', why: 'DetachInternetGateway: DependencyViolation while the NAT gateway\'s Elastic IP is mapped in the VPC' },
  { del: 'private-subnets', after: 'auto-scaling-group', why: 'DeleteSubnet: DependencyViolation while instances (their ENIs) are in it' },
  { del: 'private-subnets', after: 'private-route-tables', why: 'the private route tables\' explicit associations name the subnets (the tables\' delete disassociates them)' },
  { del: 'instance-security-group', after: 'auto-scaling-group', why: 'DeleteSecurityGroup: DependencyViolation while the private instances\' network interfaces use it' },
  { del: 'vpc', after: 'private-subnets', why: 'DeleteVpc: DependencyViolation while subnets remain' },
  { del: 'vpc', after: 'private-route-tables', why: 'DeleteVpc: DependencyViolation while non-main route tables remain' },
  { del: 'vpc', after: 'nat-gateways', why: 'DeleteVpc: DependencyViolation while a NAT gateway remains' },
  // HTTPS (issue 16)
  { del: 'certificate', after: 'https-listener', why: 'DeleteCertificate: ResourceInUseException while a listener uses the certificate' },
  { del: 'target-group', after: 'https-listener', why: 'DeleteTargetGroup: ResourceInUse while a listener\'s action forwards to it' },
  // Several services (issue 23): each service's own steps (ids kind:<name>) as the one-service ones above, and its rule
  { del: 'target-group', after: 'listener-rule', why: 'DeleteTargetGroup: ResourceInUse while a rule forwards to it' },
  { del: 'listener', after: 'listener-rule', begun: true, why: 'a rule belongs to its listener: DeleteListener deletes its rules (the rule step treats its rule gone as done)' },
  // Service Connect (discovery: true)
  { del: 'service-connect-namespace', after: 'service', why: 'DeleteNamespace: ResourceInUse while it holds services — ECS keeps its Cloud Map service (and its tasks\' instances) until the ECS service is gone' },
];

/**
 * AWS refuses these too, but the deleted step clears them itself (tested with the step), so the
 * plan may order them either way: a teardown exception may name them.
 */
const CLEARED_BY_THE_STEP: DeleteDependency[] = [
  { del: 'alb-security-group', after: 'instance-security-group', why: 'DeleteSecurityGroup: DependencyViolation while another group\'s rule names it; its delete revokes the stack\'s rules naming it first (network.test.ts)' },
];

const variants: Record<string, Step<StackEnv>[]> = {
  default: buildPlan(validateAnswers({ stack: 'td' })),
  'legacy (launch configuration, ASG CPU policy, ECR, no logs, no service scaling)': buildPlan(
    validateAnswers({
      stack: 'td',
      instances: { launch: 'configuration' },
      scaling: { instances: { managed: false }, service: { enabled: false } },
      service: { ecrRepository: 'td-app', logs: false },
    }),
  ),
  'a task role the stack makes (service.taskRolePolicies)': buildPlan(validateAnswers({ stack: 'td', service: { taskRolePolicies: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'] } })),
  'destroy --discover (every variant at once)': discoverPlan(validateAnswers({ stack: 'td', service: { ecrRepository: 'td-app' } })),
  'production shape (HTTPS on a domain, private instances, a NAT gateway per zone, Spot)': buildPlan(
    validateAnswers({ stack: 'td', loadBalancer: { domain: 'app.example.com' }, network: { instanceSubnets: 'private', natGateways: 2 }, instances: { spot: { instanceTypes: ['t3.small', 't3a.small'] } } }),
  ),
  'production shape with a given certificate and no redirect, in an existing VPC': buildPlan(
    validateAnswers({
      stack: 'td',
      network: { vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0def5678'], instanceSubnets: 'private', privateSubnetIds: ['subnet-0aaa1234', 'subnet-0bbb5678'] },
      loadBalancer: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab', redirectHttp: false },
    }),
  ),
  'three services (web by default, api on /api/*, a worker) with HTTPS': buildPlan(
    validateAnswers({
      stack: 'td',
      loadBalancer: { domain: 'app.example.com' },
      services: { web: { ecrRepository: 'td-web' }, api: { path: '/api/*', taskRolePolicies: [] }, worker: { loadBalanced: false } },
    }),
  ),
  'Service Connect: a worker found by name, every service a client': buildPlan(
    validateAnswers({ stack: 'td', services: { web: {}, api: { path: '/api/*', discovery: true }, worker: { loadBalanced: false, containerPort: 8080, discovery: true } } }),
  ),
  'three services over plain HTTP, the one named after the stack among them': buildPlan(
    validateAnswers({ stack: 'td', services: { td: {}, api: { path: '/api/*' }, worker: { loadBalanced: false } } }),
  ),
  'destroy --discover of a production stack': discoverPlan(validateAnswers({ stack: 'td', loadBalancer: { domain: 'app.example.com' }, network: { instanceSubnets: 'private' } })),
};

/** Every node the given node waits for, directly or not. */
function waitsFor(pre: Map<string, string[]>, node: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string): void => {
    for (const p of pre.get(n) ?? []) {
      if (!seen.has(p)) {
        seen.add(p);
        visit(p);
      }
    }
  };
  visit(node);
  return seen;
}

/** The dependencies the destroy graph of `plan` would break: `del` starting before `after` is gone (or begun). */
function violations(plan: Step<StackEnv>[], deps: DeleteDependency[] = AWS_DELETE_DEPENDENCIES): string[] {
  const { prerequisites } = destroyGraph(plan);
  const byId = new Map(plan.map((s) => [s.id, s]));
  const out: string[] = [];
  // A dependency between two of a service's steps holds for each service's own (kind:<name>); a stack
  // step's on a service's, for every service's. A target group is held by the listener or the group
  // (legacy attachment) only when they name it: the listener forwards to the default service's alone.
  const own = (id: string) => serviceOfId(id);
  const instances = (kind: string): string[] => plan.map((x) => x.id).filter((id) => id === kind || own(id)?.kind === kind);
  const expanded = deps.flatMap((d) =>
    instances(d.del).flatMap((del) =>
      instances(d.after)
        .filter((after) => {
          if (own(del) && own(after)) return own(del)!.service === own(after)!.service;
          if (own(del)?.kind === 'target-group' && !own(after)) return byId.get(after)!.dependsOn.includes(del);
          return true;
        })
        .map((after) => ({ ...d, del, after })),
    ),
  );
  for (const d of expanded) {
    const after = byId.get(d.after);
    if (!byId.has(d.del) || !after) continue;
    const done = !d.begun && !isWaitStep(after) && after.waitUntilGone ? goneNode(d.after) : d.after;
    if (!waitsFor(prerequisites, d.del).has(done)) out.push(`${d.del} before ${d.after} is ${d.begun ? 'being deleted' : 'gone'}`);
  }
  return out;
}

describe('teardown respects what AWS needs at delete time', () => {
  it.each(Object.entries(variants))('%s: no delete starts before what still needs it is gone', (_name, plan) => {
    // GIVEN the plan the engine would run  WHEN its destroy graph is checked against AWS's dependencies
    // THEN none is broken (and every dependency named a step of the plans, so none is a typo)
    expect(violations(plan)).toEqual([]);
    const ids = new Set(Object.values(variants).flatMap((p) => p.flatMap((s) => [s.id, serviceOfId(s.id)?.kind ?? s.id])));
    for (const d of [...AWS_DELETE_DEPENDENCIES, ...CLEARED_BY_THE_STEP]) expect([ids.has(d.del), ids.has(d.after)], `${d.del} / ${d.after}`).toEqual([true, true]);
  });

  it('the check catches a teardown exception that would delete too early', () => {
    // GIVEN the service wrongly letting the capacity provider and target group go once its delete has begun
    const plan = buildPlan(validateAnswers({ stack: 'td' })).map((s) =>
      s.id === 'service' ? { ...s, teardown: { mayGoOnceDeleting: ['auto-scaling-group', 'listener', 'capacity-provider', 'target-group'] } } : s,
    );
    // WHEN checked  THEN both early deletes are reported
    expect(violations(plan)).toEqual(['capacity-provider before service is gone', 'target-group before service is gone']);
  });

  it('only dependencies the step clears itself are left to its own delete', () => {
    // GIVEN the plain reversed graph honours even those  WHEN the plan's exceptions are applied
    // THEN exactly those (and no AWS dependency) are left unordered
    const plan = variants.default!;
    const reversedOnly = plan.map((s) => ({ ...s, teardown: undefined }));
    expect(violations(reversedOnly, CLEARED_BY_THE_STEP)).toEqual([]);
    expect(violations(plan, CLEARED_BY_THE_STEP)).toEqual(['alb-security-group before instance-security-group is gone']);
  });
});

describe('the NAT gateways\' slow deletion starts at once', () => {
  const plan = variants['production shape (HTTPS on a domain, private instances, a NAT gateway per zone, Spot)']!;
  const { prerequisites } = destroyGraph(plan);

  // So private hosts lose their way to ECS before they terminate, and ECS keeps their container instances
  // registered: the cluster step deregisters those of terminated hosts (test/unit/destroy/retries.test.ts)
  // rather than hold the NAT gateways back until the hosts are gone (~60 s more on the critical path).
  it('waits for nothing but its own wait step (nothing to do in a destroy): the private route tables, which point at them, let them go first (a blackhole route is fine while the stack goes)', () => {
    expect([...waitsFor(prerequisites, 'nat-gateways')]).toEqual(['nat-gateways-available']);
  });

  it('without that exception the NAT gateways would wait for the hosts\' ForceDelete', () => {
    const strict = plan.map((s) => (s.id === 'private-route-tables' ? { ...s, teardown: undefined } : s));
    expect(waitsFor(destroyGraph(strict).prerequisites, 'nat-gateways').has('auto-scaling-group')).toBe(true);
  });

  it('the DNS alias does not hold back the load balancer, whose network interfaces linger', () => {
    expect(waitsFor(prerequisites, 'load-balancer').has('alias-record')).toBe(false);
  });
});

describe('the long waits of a teardown start as early as AWS allows', () => {
  const plan = variants.default!;
  const { prerequisites } = destroyGraph(plan);

  it('the hosts\' ForceDelete waits only for the service to be set to 0 and deleted, not for its drain or the capacity provider', () => {
    expect([...waitsFor(prerequisites, 'auto-scaling-group')].sort()).toEqual(['instances-in-service', 'service', 'service-scaling', 'service-stable']);
  });

  it('the load balancer (whose ENIs linger a minute after it) goes while the service drains', () => {
    expect([...waitsFor(prerequisites, 'load-balancer')].sort()).toEqual(['listener', 'load-balancer-active', 'service', 'service-scaling', 'service-stable']);
  });

  it('the ALB\'s security group waits for the ALB, not for the instances to terminate', () => {
    const waits = waitsFor(prerequisites, 'alb-security-group');
    expect(waits.has('load-balancer')).toBe(true);
    expect(waits.has('auto-scaling-group')).toBe(false);
    expect(waits.has('instance-security-group')).toBe(false);
  });
});
