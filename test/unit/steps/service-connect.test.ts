import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand, type Service, type ServiceConnectConfiguration } from '@aws-sdk/client-ecs';
import {
  CreateHttpNamespaceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  GetNamespaceCommand,
  GetOperationCommand,
  GetServiceCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { isWizardError } from '../../../src/errors.js';
import { buildDestroyPlan, buildPlan, stackRemoval } from '../../../src/steps/index.js';
import { discoveryUrl, serviceConnectChange, wantedServiceConnect } from '../../../src/steps/service/service-connect.js';
import { serviceStep as serviceStepFor } from '../../../src/steps/service/service.js';
import { taskDefinitionStep as taskDefinitionStepFor } from '../../../src/steps/service/task-definition.js';
import { routeText, servicesOf } from '../../../src/steps/services.js';
import { HTTP_NAMESPACE_NAME, creatorRequestId, serviceConnectNamespaceStep as namespaceStep } from '../../../src/steps/stack/service-connect-namespace.js';
import { instanceIngressRules } from '../../../src/steps/stack/security-groups.js';
import { stackNames } from '../../../src/steps/names.js';
import { stackChanges } from '../../../src/wizard/changes.js';
import { buildReviewPlan } from '../../../src/wizard/plan.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { emptyState } from '../../../src/engine/state.js';
import type { ResourceRecord } from '../../../src/engine/types.js';
import { sdkError } from '../../support/aws-wire.js';
import { mutationsOf } from '../../support/mocked-calls.js';
import { stepContext } from '../../support/step-context.js';
import { testStack } from '../../support/stack.js';

/**
 * ECS Service Connect for `discovery: true` (issue 23): the stack's Cloud Map namespace as a step,
 * every ECS service a client of it, a discovery service served by name on a named port mapping,
 * drift converged in place, turned off as a removed optional resource. AWS is scripted answer by
 * answer, its errors made by the SDK's own deserializer from the wire (aws-wire).
 */
const sd = mockClient(ServiceDiscoveryClient);
const ecs = mockClient(ECSClient);
afterEach(() => {
  sd.reset();
  ecs.reset();
});
const mutations = mutationsOf;

const STACK = 'shop';
const NS_ARN = 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-shop';
const OURS = [{ Key: 'ecs-wizard:stack', Value: STACK }];
const SERVICES = {
  web: { image: 'nginx:1.27', containerPort: 80 },
  worker: { image: 'busybox:1.36', loadBalanced: false, containerPort: 8080, command: ['sleep', '3600'], discovery: true },
};
const discoveryStack = () => testStack({ stack: STACK, services: SERVICES });
const worker = () => servicesOf(validateAnswers({ stack: STACK, services: SERVICES })).find((s) => s.name === 'worker')!;
const web = () => servicesOf(validateAnswers({ stack: STACK, services: SERVICES })).find((s) => s.name === 'web')!;
const NS = { namespaceId: 'ns-shop', namespaceArn: NS_ARN, namespaceName: 'shop.internal' };

describe('Service Connect: what the services are given', () => {
  it('a discovery service serves http://<name>:<port> and is a client; another service is a client only; no namespace, nothing', () => {
    expect(wantedServiceConnect(worker(), NS_ARN)).toEqual({
      enabled: true,
      namespace: NS_ARN,
      services: [{ portName: 'worker', discoveryName: 'worker', clientAliases: [{ port: 8080, dnsName: 'worker' }] }],
    });
    expect(wantedServiceConnect(web(), NS_ARN)).toEqual({ enabled: true, namespace: NS_ARN });
    expect(wantedServiceConnect(worker(), undefined)).toBeUndefined();
    expect(discoveryUrl(worker())).toBe('http://worker:8080');
    expect(discoveryUrl(web())).toBeUndefined();
  });

  it('drift: the running configuration is compared by what ecs-wizard sets; off when the namespace goes; nothing for a service that never ran it', () => {
    const wanted = wantedServiceConnect(worker(), NS_ARN)!;
    // ECS's own defaults (a timeout, the ingress port it picked) and the namespace by name are the same configuration
    const running = { ...wanted, namespace: 'shop.internal', services: [{ ...wanted.services![0]!, ingressPortOverride: 33000, timeout: { perRequestTimeoutSeconds: 15 } }] };
    expect(serviceConnectChange(running, wanted, ['shop.internal', 'ns-shop'])).toBeUndefined();
    // a client that should now serve, another namespace, Service Connect off: the wanted one is sent
    expect(serviceConnectChange({ enabled: true, namespace: NS_ARN }, wanted)).toEqual(wanted);
    expect(serviceConnectChange({ ...wanted, namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-other' }, wanted)).toEqual(wanted);
    expect(serviceConnectChange({ enabled: false }, wanted)).toEqual(wanted);
    expect(serviceConnectChange(undefined, wanted)).toEqual(wanted);
    // no namespace any more: a service running it is turned off; one that never ran it (or runs it off) is left alone
    expect(serviceConnectChange(wanted, undefined)).toEqual({ enabled: false });
    expect(serviceConnectChange(undefined, undefined)).toBeUndefined();
    expect(serviceConnectChange({ enabled: false }, undefined)).toBeUndefined();
  });

  it('the review: how others reach a discovery service; the namespace in the plan; the hosts reach each other', () => {
    expect(routeText(worker())).toBe('worker: no load balancer; http://worker:8080 inside the stack');
    expect(routeText(web())).toBe('default → web:80');
    const plan = buildReviewPlan(validateAnswers({ stack: STACK, services: SERVICES }), { region: 'us-east-1' });
    expect(plan.services.map((s) => s.route)).toEqual(['default → web:80', 'worker: no load balancer; http://worker:8080 inside the stack']);
    expect(plan.resources.find((r) => r.stepId === 'service-connect-namespace')).toMatchObject({ name: 'shop.internal (AWS Cloud Map, Service Connect)', action: 'create' });
    expect(plan.access).toContain('instances: each other on the container host ports (Service Connect proxies, namespace shop.internal)');
    const without = buildReviewPlan(validateAnswers({ stack: STACK }), { region: 'us-east-1' });
    expect(without.resources.map((r) => r.stepId)).not.toContain('service-connect-namespace');
    expect(without.access.join('\n')).not.toContain('Service Connect');
  });

  it('a rerun that turns discovery on or off says every service gets a new deployment; a service switched alone, that one', () => {
    const state = (services: object) => ({ ...emptyState(STACK), answers: validateAnswers({ stack: STACK, services }) });
    const { worker: w, ...rest } = SERVICES;
    const off = { ...rest, worker: { ...w, discovery: false } };
    expect(stackChanges(state(off), validateAnswers({ stack: STACK, services: SERVICES })).map((c) => c.text)).toEqual(['Service Connect on (namespace shop.internal): every service gets a new deployment']);
    expect(stackChanges(state(SERVICES), validateAnswers({ stack: STACK, services: off })).map((c) => c.text)).toEqual([
      'Service Connect off: every service gets a new deployment, then the namespace shop.internal is deleted',
    ]);
    const both = { ...SERVICES, web: { ...SERVICES.web, discovery: true } };
    expect(stackChanges(state(SERVICES), validateAnswers({ stack: STACK, services: both })).map((c) => c.text)).toEqual(['web found by Service Connect off → on: its tasks are replaced (a new deployment)']);
    expect(stackChanges(state(SERVICES), validateAnswers({ stack: STACK, services: SERVICES }))).toEqual([]);
  });
});

describe('Service Connect: the plan', () => {
  it('a stack without discovery plans exactly what it planned before; with it, the namespace, which every ECS service waits for', () => {
    const plain = buildPlan(validateAnswers({ stack: STACK, services: { web: SERVICES.web, worker: { ...SERVICES.worker, discovery: false } } }));
    expect(plain.map((s) => s.id)).not.toContain('service-connect-namespace');
    expect(plain.flatMap((s) => s.dependsOn)).not.toContain('service-connect-namespace');
    const plan = buildPlan(validateAnswers({ stack: STACK, services: SERVICES }));
    expect(plan.filter((s) => s.id === 'service-connect-namespace')).toHaveLength(1);
    expect(plan.filter((s) => s.dependsOn.includes('service-connect-namespace')).map((s) => s.id)).toEqual(['service:web', 'service:worker']);
  });

  it('discovery turned off: the namespace a state still records is removed after the plan, and destroy plans it after the services', () => {
    const off = validateAnswers({ stack: STACK, services: { web: SERVICES.web, worker: { ...SERVICES.worker, discovery: false } } });
    const rec = (status: ResourceRecord['status']): Record<string, ResourceRecord> => ({ 'service-connect-namespace': { stepId: 'service-connect-namespace', status, outputs: NS, updatedAt: '' } });
    expect(stackRemoval(off, rec('created')).map((s) => s.id)).toEqual(['service-connect-namespace']);
    expect(stackRemoval(off, rec('destroyed'))).toEqual([]);
    expect(stackRemoval(off, {})).toEqual([]);
    // (still on: nothing to remove)
    expect(stackRemoval(validateAnswers({ stack: STACK, services: SERVICES }), rec('created'))).toEqual([]);
    const destroy = buildDestroyPlan(off, rec('created'));
    expect(destroy.filter((s) => s.dependsOn.includes('service-connect-namespace')).map((s) => s.id)).toEqual(['service:web', 'service:worker']);
  });

  it('the name: <stack>.internal, within CreateHttpNamespace\'s rule for the longest stack name; a CreatorRequestId of the stack, new each time', () => {
    const longest = 'a'.repeat(28);
    expect(stackNames(longest).namespace).toBe(`${longest}.internal`);
    expect(HTTP_NAMESPACE_NAME.test(stackNames(longest).namespace)).toBe(true);
    const id = creatorRequestId(longest);
    expect(id.startsWith(`${longest}-`) && id.length <= 64).toBe(true);
    expect(creatorRequestId(longest)).not.toBe(id);
  });

  it('the hosts allow each other the dynamic ports only when some service asks to be found', () => {
    const on = instanceIngressRules(validateAnswers({ stack: STACK, services: SERVICES }), 'sg-alb', 'sg-hosts');
    expect(on).toContainEqual(expect.objectContaining({ protocol: 'tcp', fromPort: 32768, toPort: 65535, groupId: 'sg-hosts' }));
    const off = instanceIngressRules(validateAnswers({ stack: STACK }), 'sg-alb', 'sg-hosts');
    expect(off.filter((r) => r.groupId === 'sg-hosts')).toEqual([]);
  });
});

describe('Service Connect: the namespace step', () => {
  const ns = (id: string, name = 'shop.internal') => ({ Id: id, Name: name, Arn: `arn:aws:servicediscovery:us-east-1:123456789012:namespace/${id}`, Type: 'HTTP' as const });

  it('finds its namespace by recorded id, else by name (paged, names checked again) and the stack tag', async () => {
    sd.on(GetNamespaceCommand, { Id: 'ns-shop' }).resolves({ Namespace: ns('ns-shop') });
    const byId = await namespaceStep.find(stepContext(discoveryStack().env, { recorded: { namespaceId: 'ns-shop' } }).ctx);
    expect(byId).toEqual(NS);
    expect(sd.commandCalls(ListNamespacesCommand)).toHaveLength(0);
    // (no record: the listing, whose filters an emulator ignores)
    sd.on(ListNamespacesCommand, { NextToken: undefined }).resolves({ Namespaces: [ns('ns-x', 'shop-two.internal')], NextToken: 'p2' });
    sd.on(ListNamespacesCommand, { NextToken: 'p2' }).resolves({ Namespaces: [ns('ns-shop')] });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: OURS });
    expect(await namespaceStep.find(stepContext(discoveryStack().env).ctx)).toEqual(NS);
    expect(sd.commandCalls(ListNamespacesCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'NAME', Values: ['shop.internal'], Condition: 'EQ' },
      { Name: 'TYPE', Values: ['HTTP'], Condition: 'EQ' },
    ]);
    expect(sd.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.ResourceARN)).toEqual([NS_ARN]);
  });

  it('a namespace of that name that is not the stack\'s is an input error naming it and the discovery answer (exit 2), never used', async () => {
    sd.on(ListNamespacesCommand).resolves({ Namespaces: [ns('ns-theirs')] });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'team', Value: 'payments' }] });
    const err = await namespaceStep.find(stepContext(discoveryStack().env).ctx).catch((e: unknown) => e);
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain('arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-theirs');
    expect((err as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual(['services.worker.discovery']);
    expect(mutations(sd)).toEqual([]);
  });

  it('create: the CreatorRequestId is recorded before the call, tags as every resource, then the operation is waited for until SUCCESS', async () => {
    sd.on(CreateHttpNamespaceCommand).resolves({ OperationId: 'op-1' });
    sd.on(GetOperationCommand).resolvesOnce({ Operation: { Id: 'op-1', Status: 'PENDING' } }).resolves({ Operation: { Id: 'op-1', Status: 'SUCCESS', Targets: { NAMESPACE: 'ns-shop' } } });
    sd.on(GetNamespaceCommand).resolves({ Namespace: ns('ns-shop') });
    const { ctx, notes, progress } = stepContext(testStack({ stack: STACK, services: SERVICES, tags: { team: 'web' } }).env);
    const out = await namespaceStep.create(ctx);
    const input = sd.commandCalls(CreateHttpNamespaceCommand)[0]!.args[0].input;
    expect(notes[0]).toEqual({ creatorRequestId: input.CreatorRequestId });
    expect(notes[1]).toEqual({ operationId: 'op-1' });
    expect(input).toMatchObject({ Name: 'shop.internal', Tags: [{ Key: 'ecs-wizard:stack', Value: 'shop' }, { Key: 'Name', Value: 'shop.internal' }, { Key: 'team', Value: 'web' }] });
    expect(out).toEqual({ ...NS, creatorRequestId: input.CreatorRequestId });
    expect(sd.commandCalls(GetOperationCommand)).toHaveLength(2);
    expect(progress.some((p) => p.includes('(PENDING)'))).toBe(true);
  });

  it('create after a lost answer sends the recorded CreatorRequestId again (no second namespace); an operation that FAILs says why', async () => {
    sd.on(CreateHttpNamespaceCommand).resolves({ OperationId: 'op-2' });
    sd.on(GetOperationCommand).resolves({ Operation: { Id: 'op-2', Type: 'CREATE_NAMESPACE', Status: 'FAIL', ErrorCode: 'CANNOT_CREATE_HOSTED_ZONE', ErrorMessage: 'The namespace limit was reached' } });
    const err = await namespaceStep.create(stepContext(discoveryStack().env, { recorded: { creatorRequestId: 'shop-0011223344556677' } }).ctx).catch((e: unknown) => e);
    expect(sd.commandCalls(CreateHttpNamespaceCommand)[0]!.args[0].input.CreatorRequestId).toBe('shop-0011223344556677');
    expect(isWizardError(err, 'AWS')).toBe(true);
    expect((err as Error).message).toBe('AWS Cloud Map could not create namespace shop.internal: CANNOT_CREATE_HOSTED_ZONE: The namespace limit was reached (operation op-2).');
  });

  it('a new CreatorRequestId where the recorded one would bring back an old operation: its namespace made and gone since, or its operation FAILed', async () => {
    sd.on(CreateHttpNamespaceCommand).resolves({ OperationId: 'op-new' });
    sd.on(GetOperationCommand, { OperationId: 'op-failed' }).resolves({ Operation: { Id: 'op-failed', Status: 'FAIL' } });
    sd.on(GetOperationCommand, { OperationId: 'op-new' }).resolves({ Operation: { Id: 'op-new', Status: 'SUCCESS', Targets: { NAMESPACE: 'ns-shop' } } });
    sd.on(GetNamespaceCommand).resolves({ Namespace: ns('ns-shop') });
    await namespaceStep.create(stepContext(discoveryStack().env, { recorded: { creatorRequestId: 'shop-old', namespaceId: 'ns-gone', namespaceArn: 'arn:x', namespaceName: 'shop.internal' } }).ctx);
    await namespaceStep.create(stepContext(discoveryStack().env, { recorded: { creatorRequestId: 'shop-old', operationId: 'op-failed' } }).ctx);
    const sent = sd.commandCalls(CreateHttpNamespaceCommand).map((c) => c.args[0].input.CreatorRequestId);
    expect(sent).toHaveLength(2);
    expect(sent.every((id) => id !== 'shop-old' && id!.startsWith('shop-'))).toBe(true);
  });

  it('CreateHttpNamespace answering NamespaceAlreadyExists: ours (seen late) is taken; someone else\'s is the input error', async () => {
    sd.on(CreateHttpNamespaceCommand).rejects(await sdkError(ServiceDiscoveryClient, CreateHttpNamespaceCommand, 'NamespaceAlreadyExists', 'Namespace already exists.'));
    sd.on(ListNamespacesCommand).resolves({ Namespaces: [ns('ns-shop')] });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: OURS });
    expect(await namespaceStep.create(stepContext(discoveryStack().env, { recorded: { creatorRequestId: 'shop-1' } }).ctx)).toEqual({ ...NS, creatorRequestId: 'shop-1' });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: [] });
    const err = await namespaceStep.create(stepContext(discoveryStack().env).ctx).catch((e: unknown) => e);
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
  });

  const svcOf = (id: string, namespaceId = 'ns-shop') => ({ Id: id, Name: id, Arn: `arn:aws:servicediscovery:us-east-1:123456789012:service/${id}`, NamespaceId: namespaceId });
  const ecsMade = [{ Key: 'AmazonECSManaged', Value: 'true' }];

  it('destroy: deletes the Cloud Map services ECS left in it (only those, and only in it), then the namespace, through ResourceInUse while ECS lets go', async () => {
    // GIVEN ECS's service for worker in the namespace, another namespace's ECS service (an emulator lists every one)
    sd.on(ListServicesCommand).resolves({ Services: [svcOf('srv-worker'), svcOf('srv-elsewhere', 'ns-other')] });
    sd.on(GetServiceCommand).callsFake(async ({ Id }) => ({ Service: Id === 'srv-worker' ? svcOf('srv-worker') : svcOf('srv-elsewhere', 'ns-other') }));
    sd.on(ListTagsForResourceCommand).resolves({ Tags: ecsMade });
    // AND Cloud Map refusing: the service still has an instance, then the namespace still has the service
    const instances = await sdkError(ServiceDiscoveryClient, DeleteServiceCommand, 'ResourceInUse', 'Service contains registered instances; delete the instances before deleting the service');
    const inUse = await sdkError(ServiceDiscoveryClient, DeleteNamespaceCommand, 'ResourceInUse', 'Namespace has associated services');
    sd.on(DeleteServiceCommand).rejectsOnce(instances).resolves({});
    sd.on(DeleteNamespaceCommand).rejectsOnce(inUse).resolves({ OperationId: 'op-del' });
    sd.on(GetOperationCommand).resolves({ Operation: { Id: 'op-del', Type: 'DELETE_NAMESPACE', Status: 'SUCCESS' } });
    // WHEN it is destroyed
    await namespaceStep.destroy!(stepContext(discoveryStack().env).ctx, NS);
    // THEN only the namespace's own ECS service was deleted (twice asked: in use, then gone), and the namespace
    expect(sd.commandCalls(DeleteServiceCommand).map((c) => c.args[0].input.Id)).toEqual(['srv-worker', 'srv-worker']);
    expect(sd.commandCalls(DeleteNamespaceCommand).map((c) => c.args[0].input.Id)).toEqual(['ns-shop', 'ns-shop']);
    expect(sd.commandCalls(GetOperationCommand).map((c) => c.args[0].input.OperationId)).toEqual(['op-del']);
  });

  it('destroy: a service ECS did not make stops it with an error naming that service, before any DeleteNamespace; a namespace already gone is done', async () => {
    sd.on(ListServicesCommand).resolves({ Services: [svcOf('srv-theirs')] });
    sd.on(GetServiceCommand).resolves({ Service: svcOf('srv-theirs') });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'team', Value: 'payments' }] });
    const err = await namespaceStep.destroy!(stepContext(discoveryStack().env).ctx, NS).catch((e: unknown) => e);
    expect((err as Error).message).toContain('srv-theirs');
    expect(mutations(sd)).toEqual([]);
    sd.reset();
    sd.on(ListServicesCommand).resolves({ Services: [] });
    sd.on(DeleteNamespaceCommand).rejects(await sdkError(ServiceDiscoveryClient, DeleteNamespaceCommand, 'NamespaceNotFound', 'ns-shop'));
    await namespaceStep.destroy!(stepContext(discoveryStack().env).ctx, NS);
    expect(sd.commandCalls(GetOperationCommand)).toHaveLength(0);
  });

  it('destroy: still in use at the end of the wait is a timeout that says so, not a hang', async () => {
    sd.on(ListServicesCommand).resolves({ Services: [svcOf('srv-worker')] });
    sd.on(GetServiceCommand).resolves({ Service: svcOf('srv-worker') });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: ecsMade });
    sd.on(DeleteServiceCommand).rejects(await sdkError(ServiceDiscoveryClient, DeleteServiceCommand, 'ResourceInUse', 'Service contains registered instances'));
    sd.on(DeleteNamespaceCommand).rejects(await sdkError(ServiceDiscoveryClient, DeleteNamespaceCommand, 'ResourceInUse', 'Namespace has associated services'));
    const t = discoveryStack();
    const env = { ...t.env, timing: { ...t.env.timing, timeoutMs: 200 } };
    const err = await namespaceStep.destroy!(stepContext(env).ctx, NS).catch((e: unknown) => e);
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toBe('The namespace shop.internal (ns-shop) was still in use at the end of the wait: ECS had not deregistered the tasks of srv-worker (srv-worker).');
  });
});

describe('Service Connect: the ECS services and their task definitions', () => {
  const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop--worker:2';
  const DEPS = {
    cluster: { clusterName: 'shop', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop' },
    'task-definition:worker': { taskDefinitionArn: TD, family: 'shop--worker', revision: 2 },
    'service-connect-namespace': NS,
  };
  const active = (sc?: ServiceConnectConfiguration): Service => ({
    serviceName: 'shop--worker',
    serviceArn: 'arn:s',
    status: 'ACTIVE',
    taskDefinition: TD,
    desiredCount: 1,
    deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', ...(sc ? { serviceConnectConfiguration: sc } : {}) }],
  });
  const step = () => serviceStepFor(worker());

  it('a new service of a discovery stack is created serving by name; on a stack without a namespace the request does not name it', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(CreateServiceCommand).resolves({ service: active() });
    await step().create(stepContext(discoveryStack().env, { outputs: DEPS }).ctx);
    expect(ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input.serviceConnectConfiguration).toEqual(wantedServiceConnect(worker(), NS_ARN));
    const off = testStack({ stack: STACK, services: { web: SERVICES.web, worker: { ...SERVICES.worker, discovery: false } } });
    const { 'service-connect-namespace': _ns, ...noNamespace } = DEPS;
    await serviceStepFor(servicesOf(off.answers).find((s) => s.name === 'worker')!).create(stepContext(off.env, { outputs: noNamespace }).ctx);
    expect(ecs.commandCalls(CreateServiceCommand)[1]!.args[0].input.serviceConnectConfiguration).toBeUndefined();
  });

  it('drift is converged in place with one UpdateService (a new deployment); the same configuration, no call; turned off, enabled: false', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: active() });
    // running as a client only: it should serve too
    ecs.on(DescribeServicesCommand).resolves({ services: [active({ enabled: true, namespace: NS_ARN })] });
    const { ctx, progress } = stepContext(discoveryStack().env, { outputs: DEPS });
    await step().find(ctx);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'shop', service: 'shop--worker', serviceConnectConfiguration: wantedServiceConnect(worker(), NS_ARN) }]);
    expect(progress).toContain('turning Service Connect on: new tasks start');
    // the same (as ECS reports it) → nothing
    ecs.resetHistory();
    ecs.on(DescribeServicesCommand).resolves({ services: [active(wantedServiceConnect(worker(), NS_ARN))] });
    await step().find(stepContext(discoveryStack().env, { outputs: DEPS }).ctx);
    expect(mutations(ecs)).toEqual([]);
    // discovery off everywhere: no namespace in the plan → off (though the state still records the namespace, which goes after the plan)
    const off = testStack({ stack: STACK, services: { web: SERVICES.web, worker: { ...SERVICES.worker, discovery: false } } });
    await serviceStepFor(servicesOf(off.answers).find((s) => s.name === 'worker')!).find(stepContext(off.env, { outputs: DEPS }).ctx);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.serviceConnectConfiguration)).toEqual([{ enabled: false }]);
    // (a dry run only looks)
    ecs.resetHistory();
    ecs.on(DescribeServicesCommand).resolves({ services: [active()] });
    await step().find(stepContext(discoveryStack().env, { outputs: DEPS, repair: false }).ctx);
    expect(mutations(ecs)).toEqual([]);
  });

  it('a discovery service\'s port mapping is named after it (HTTP); another service\'s stays exactly as before', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD, family: 'shop--worker', revision: 2 } });
    const deps = { 'execution-role': { roleName: 'shop-ecs-task-execution', roleArn: 'arn:aws:iam::123456789012:role/shop-ecs-task-execution' } };
    await taskDefinitionStepFor(worker()).create(stepContext(discoveryStack().env, { outputs: deps }).ctx);
    await taskDefinitionStepFor(web()).create(stepContext(discoveryStack().env, { outputs: deps }).ctx);
    const [w, plain] = ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input.containerDefinitions![0]!.portMappings);
    expect(w).toEqual([{ containerPort: 8080, hostPort: 0, protocol: 'tcp', name: 'worker', appProtocol: 'http' }]);
    expect(plain).toEqual([{ containerPort: 80, hostPort: 0, protocol: 'tcp' }]);
  });
});
