import { isWaitStep, type Step } from '../../src/engine/types.js';
import type { Answers } from '../../src/wizard/schema.js';
import { servicesOf } from '../../src/steps/services.js';

/**
 * The mutating calls each step makes in a clean create and a clean destroy, written out by hand
 * per step id. The crash matrix has one case per mutating call: comparing its clean run with this
 * list makes the case count exact, so a step that stops making a call — or a run that stops early
 * — fails here instead of quietly shrinking the matrix. A step missing from the list fails too.
 */
type Calls = (a: Answers) => string[];
const times = (n: number, op: string): string[] => Array.from({ length: n }, () => op);
const zones = (a: Answers): number => a.network.subnetCidrs?.length ?? 0;
const hasSecrets = (a: Answers): boolean => servicesOf(a).some((s) => Object.keys(s.secrets).length > 0);

export const CREATE_CALLS: Record<string, Calls> = {
  vpc: () => ['CreateVpc', 'ModifyVpcAttribute'],
  subnets: (a) => [...times(zones(a), 'CreateSubnet'), ...times(zones(a), 'ModifySubnetAttribute')],
  'internet-gateway': () => ['CreateInternetGateway', 'AttachInternetGateway'],
  'route-table': (a) => ['CreateRouteTable', 'CreateRoute', ...times(zones(a), 'AssociateRouteTable')],
  'alb-security-group': () => ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress'],
  'instance-security-group': () => ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress'],
  'instance-role': () => ['CreateRole', 'AttachRolePolicy'],
  'instance-profile': () => ['CreateInstanceProfile', 'AddRoleToInstanceProfile'],
  'execution-role': () => ['CreateRole', 'AttachRolePolicy'],
  // Without secrets the policy's absence is found, and nothing is called.
  'secrets-policy': (a) => (hasSecrets(a) ? ['PutRolePolicy'] : []),
  'log-group': () => ['CreateLogGroup', 'PutRetentionPolicy'],
  'ecr-repository': () => ['CreateRepository'],
  'target-group': () => ['CreateTargetGroup', 'ModifyTargetGroupAttributes'],
  'load-balancer': () => ['CreateLoadBalancer'],
  listener: () => ['CreateListener'],
  'launch-template': (a) => [a.instances.launch === 'configuration' ? 'CreateLaunchConfiguration' : 'CreateLaunchTemplate'],
  'auto-scaling-group': () => ['CreateAutoScalingGroup'],
  cluster: () => ['CreateCluster'],
  'capacity-provider': () => ['CreateCapacityProvider', 'PutClusterCapacityProviders'],
  'asg-scaling-policy': () => ['PutScalingPolicy'],
  'task-definition': () => ['RegisterTaskDefinition'],
  service: () => ['CreateService'],
  'service-scaling': () => ['RegisterScalableTarget', 'PutScalingPolicy'],
};

export const DESTROY_CALLS: Record<string, Calls> = {
  vpc: () => ['DeleteVpc'],
  subnets: (a) => times(zones(a), 'DeleteSubnet'),
  'internet-gateway': () => ['DetachInternetGateway', 'DeleteInternetGateway'],
  'route-table': (a) => [...times(zones(a), 'DisassociateRouteTable'), 'DeleteRouteTable'],
  'alb-security-group': () => ['DeleteSecurityGroup'],
  'instance-security-group': () => ['DeleteSecurityGroup'],
  'instance-role': () => ['DetachRolePolicy', 'DeleteRole'],
  'instance-profile': () => ['RemoveRoleFromInstanceProfile', 'DeleteInstanceProfile'],
  'execution-role': () => ['DetachRolePolicy', 'DeleteRole'],
  'secrets-policy': (a) => (hasSecrets(a) ? ['DeleteRolePolicy'] : []),
  'log-group': () => ['DeleteLogGroup'],
  'ecr-repository': () => ['DeleteRepository'],
  'target-group': () => ['DeleteTargetGroup'],
  'load-balancer': () => ['DeleteLoadBalancer'],
  listener: () => ['DeleteListener'],
  'launch-template': (a) => [a.instances.launch === 'configuration' ? 'DeleteLaunchConfiguration' : 'DeleteLaunchTemplate'],
  'auto-scaling-group': () => ['DeleteAutoScalingGroup'],
  cluster: () => ['DeleteCluster'],
  'capacity-provider': () => ['PutClusterCapacityProviders', 'DeleteCapacityProvider'],
  'asg-scaling-policy': () => ['DeletePolicy'],
  'task-definition': () => ['DeregisterTaskDefinition', 'DeleteTaskDefinitions'],
  // Scaled to zero first, so that the delete does not wait for running tasks.
  service: () => ['UpdateService', 'DeleteService'],
  'service-scaling': () => ['DeleteScalingPolicy', 'DeregisterScalableTarget'],
};

/** The calls `table` says each resource step of `plan` makes, by step id. */
export function expectedCalls<E>(plan: Step<E>[], answers: Answers, table: Record<string, Calls>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of plan) {
    if (isWaitStep(step) || step.external) continue;
    const calls = table[step.id];
    if (!calls) throw new Error(`test/reliability/plan-calls.ts lists no mutating calls for step "${step.id}": add them, so the crash matrix crashes in each`);
    const list = calls(answers);
    if (list.length) out[step.id] = list;
  }
  return out;
}

/**
 * Splits the operation names of a strictly sequential run (concurrency 1) by the step that was
 * running: `marks` holds, for each step start, how many calls had been made before it.
 */
export function callsByStep(sent: readonly string[], marks: readonly { stepId: string; at: number }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  marks.forEach((m, i) => {
    const end = marks[i + 1]?.at ?? sent.length;
    const calls = sent.slice(m.at, end).map((label) => label.slice(label.indexOf('.') + 1));
    if (calls.length) out[m.stepId] = [...(out[m.stepId] ?? []), ...calls];
  });
  return out;
}
