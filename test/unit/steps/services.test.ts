import { describe, expect, it } from 'vitest';
import { WizardError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/cli/exit.js';
import { isWaitStep } from '../../../src/engine/types.js';
import { buildPlan, buildDestroyPlan, serviceRemoval } from '../../../src/steps/index.js';
import { defaultService, idFor, selectService, serviceNames, serviceOfId, servicesOf } from '../../../src/steps/services.js';
import { answersSchema } from '../../../src/wizard/schema.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { buildReviewPlan } from '../../../src/wizard/plan.js';
import { renderPlan } from '../../../src/wizard/review.js';

/**
 * Several services on one stack (issue 23): the API every part of the tool asks (servicesOf,
 * idFor, serviceNames, selectService), the answers' rules, and the plan each answers make.
 */

const THREE = {
  stack: 'shop',
  services: {
    web: { image: 'nginx:1.27', containerPort: 80 },
    api: { image: 'ghcr.io/acme/api:4.2', containerPort: 8080, path: '/api/*' },
    worker: { image: 'ghcr.io/acme/worker:4.2', command: ['node', 'worker.js'], loadBalanced: false },
  },
};

type Problem = { path: string; message: string };
const problems = (input: unknown): Problem[] => {
  const r = answersSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('servicesOf, idFor and serviceNames', () => {
  it('service: is one service named after the stack: the primary, with exactly the ids and names a one-service stack always had', () => {
    const [svc, ...rest] = servicesOf(validateAnswers({ stack: 'shop-web' }));
    expect(rest).toEqual([]);
    expect(svc).toMatchObject({ name: 'shop-web', primary: true, at: 'service', loadBalanced: true, defaultRoute: true, containerPort: 80, healthCheckPath: '/', exec: false, discovery: false });
    expect(idFor(svc!, 'service')).toBe('service');
    expect(idFor(svc!, 'target-group')).toBe('target-group');
    const n = serviceNames('shop-web', svc!);
    expect([n.service, n.taskFamily, n.container, n.targetGroup, n.logStreamPrefix, n.scalingPolicy('cpu'), n.secretsPolicy, n.taskRole]).toEqual([
      'shop-web', 'shop-web', 'app', 'shop-web-tg', 'ecs', 'shop-web-cpu', 'shop-web-secrets', 'shop-web-ecs-task',
    ]);
  });

  it('services: in file order, each with its defaults and route; derived priorities 100, 110 … skip a given one', () => {
    const services = servicesOf(validateAnswers({ ...THREE, services: { ...THREE.services, admin: { host: 'admin.example.com', priority: 110 }, docs: { path: '/docs/*' } } }));
    expect(services.map((s) => [s.name, s.primary, s.at, s.loadBalanced, s.defaultRoute, s.priority, s.containerPort])).toEqual([
      ['web', false, 'services.web', true, true, undefined, 80],
      ['api', false, 'services.api', true, false, 100, 8080],
      ['worker', false, 'services.worker', false, false, undefined, undefined],
      ['admin', false, 'services.admin', true, false, 110, 80],
      ['docs', false, 'services.docs', true, false, 120, 80],
    ]);
    expect(idFor(services[1]!, 'listener-rule')).toBe('listener-rule:api');
    expect(serviceOfId('listener-rule:api')).toEqual({ kind: 'listener-rule', service: 'api' });
    expect(serviceOfId('service')).toEqual({ kind: 'service' });
    expect(serviceOfId('load-balancer')).toBeUndefined();
  });

  it('a service named like the stack under services: is the primary: a stack made with service: moves to services: renaming nothing', () => {
    const [primary, api] = servicesOf(validateAnswers({ stack: 'shop-web', services: { 'shop-web': {}, api: { path: '/api/*' } } }));
    expect(primary).toMatchObject({ name: 'shop-web', primary: true, defaultRoute: true });
    expect(idFor(primary!, 'task-definition')).toBe('task-definition');
    expect(serviceNames('shop-web', primary!).targetGroup).toBe('shop-web-tg');
    expect(idFor(api!, 'task-definition')).toBe('task-definition:api');
  });

  it("another service's names carry <stack>--<name>; its target group <stack>-<name>-<hash> within 32 characters, never '--'", () => {
    const n = serviceNames('shop', { name: 'api', primary: false });
    expect([n.service, n.taskFamily, n.logStreamPrefix, n.scalingPolicy('memory'), n.secretsPolicy, n.taskRole]).toEqual(['shop--api', 'shop--api', 'api', 'shop--api-memory', 'shop--api-secrets', 'shop--api-ecs-task']);
    expect(n.targetGroup).toMatch(/^shop-api-[0-9a-f]{4}$/);
    // The stack `shop`'s service `x-y` and stack `shop-x`'s service `y` read alike but differ by the hash.
    expect(serviceNames('shop', { name: 'x-y', primary: false }).targetGroup).not.toBe(serviceNames('shop-x', { name: 'y', primary: false }).targetGroup);
    // The longest stack (28) and service (16) names: cut to 32, no trailing or double hyphen, deterministic.
    const long = serviceNames('a-very-long-stack-name-for-it', { name: 'abcdefghijklmnop', primary: false }).targetGroup;
    expect(long.length).toBeLessThanOrEqual(32);
    expect(long).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(long).toBe(serviceNames('a-very-long-stack-name-for-it', { name: 'abcdefghijklmnop', primary: false }).targetGroup);
    const cut = serviceNames('abcdefghij-lmnopqrstu', { name: 'abcdefghijklmnop', primary: false }).targetGroup;
    expect(cut).not.toContain('--');
    expect(cut.length).toBeLessThanOrEqual(32);
  });
});

describe('selectService: the --service rule of the day-2 commands', () => {
  const three = validateAnswers(THREE);
  const usage = (f: () => unknown): WizardError => {
    try {
      f();
    } catch (err) {
      return err as WizardError;
    }
    throw new Error('no error');
  };

  it('is optional on a one-service stack: the only service', () => {
    expect(selectService(validateAnswers({ stack: 'shop' }), undefined, 'deploy').name).toBe('shop');
    expect(selectService(validateAnswers({ stack: 'shop', services: { web: {} } }), undefined, 'deploy').name).toBe('web');
  });

  it('picks the named service of several', () => {
    expect(selectService(three, 'api', 'deploy')).toMatchObject({ name: 'api', path: '/api/*', containerPort: 8080 });
  });

  it('on several, a missing --service is a usage error (exit 2) listing the names and the command to run', () => {
    const err = usage(() => selectService(three, undefined, 'deploy'));
    expect(err).toBeInstanceOf(WizardError);
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toBe('Stack "shop" has 3 services (web, api, worker): say which one with --service.');
    expect(err.problems).toEqual([{ path: '--service', message: 'is required on a stack of several services: one of web, api, worker' }]);
    expect(err.hint).toBe('Run `ecs-wizard deploy shop --service web` (or api or worker).');
  });

  it('an unknown name is a usage error with "did you mean"', () => {
    const err = usage(() => selectService(three, 'apl', 'logs'));
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toBe('Stack "shop" has no service "apl"; did you mean api?');
    expect(err.problems).toEqual([{ path: '--service', message: 'names no service of shop: its services are web, api, worker' }]);
    expect(usage(() => selectService(three, 'zzzzzz', 'logs')).message).toBe('Stack "shop" has no service "zzzzzz"');
  });
});

describe('the rules of services', () => {
  it('service and services exclude each other', () => {
    expect(problems({ stack: 'shop', service: {}, services: { web: {} } })).toContainEqual({ path: 'services', message: expect.stringMatching(/^and service exclude each other/) });
  });

  it('exactly one load-balanced service takes the default route: none or two are named', () => {
    expect(problems({ stack: 'shop', services: { a: { path: '/a/*' }, b: { host: 'b.example.com' } } })).toEqual([
      { path: 'services', message: "has no load-balanced service without path and host: exactly one takes the listener's default route (every request no rule matches); leave path and host out on one of a, b" },
    ]);
    expect(problems({ stack: 'shop', services: { a: {}, b: {} } })).toEqual([
      { path: 'services.b', message: "has neither path nor host, like a: only one service takes the listener's default route; give the others a path or a host" },
    ]);
    expect(problems({ stack: 'shop', services: { w: { loadBalanced: false } } })).toEqual([
      { path: 'services', message: "has no load-balanced service: the stack's load balancer needs one (without path and host) for its default route" },
    ]);
  });

  it('a worker takes no route, priority or request-count scaling', () => {
    expect(problems({ stack: 'shop', services: { web: {}, w: { loadBalanced: false, path: '/w/*', priority: 5, scaling: { requestsPerTarget: 100 } } } }).map((p) => p.path)).toEqual([
      'services.w.path',
      'services.w.priority',
      'services.w.scaling.requestsPerTarget',
    ]);
  });

  it('names, priorities and repositories: each problem at its path', () => {
    expect(problems({ stack: 'shop', services: { web: {}, 'Bad--': { path: '/b/*' }, 'ab-': { path: '/c/*' }, ecs: { path: '/e/*' } } }).map((p) => p.path)).toEqual(['services.Bad--', 'services.ab-', 'services.ecs']);
    expect(problems({ stack: 'shop', services: { web: {}, a: { path: '/a/*', priority: 7 }, b: { path: '/b/*', priority: 7 } } })).toEqual([
      { path: 'services.b.priority', message: 'is 7, like services.a.priority: each listener rule needs its own priority' },
    ]);
    expect(problems({ stack: 'shop', services: { web: { ecrRepository: 'app' }, a: { path: '/a/*', ecrRepository: 'app' } } }).map((p) => p.path)).toEqual(['services.a.ecrRepository']);
    expect(problems({ stack: 'shop', services: { web: {}, a: { path: 'api' } } }).map((p) => p.path)).toEqual(['services.a.path']);
  });

  it("a service's counts within its own scaling, or the stack's", () => {
    expect(problems({ stack: 'shop', services: { web: { desiredCount: 9 }, a: { path: '/a/*', desiredCount: 1, scaling: { minCount: 2, maxCount: 4 } } } })).toEqual([
      { path: 'scaling.service.maxCount', message: "must be ≥ services.web.desiredCount (9) (the stack's scaling, which web uses)" },
      { path: 'services.a.scaling.minCount', message: 'must be ≤ services.a.desiredCount (1)' },
    ]);
  });

  it('a service: stack re-reads and rewrites its answers in exactly the shape it had (no services key, the port in place)', () => {
    const once = validateAnswers(validateAnswers({ stack: 'shop' }));
    expect(once.services).toBeUndefined();
    expect(JSON.stringify(validateAnswers(JSON.parse(JSON.stringify(once))))).toBe(JSON.stringify(once));
    expect(Object.keys(once.service!).slice(0, 3)).toEqual(['image', 'containerPort', 'cpu']);
  });
});

describe('the plan of several services', () => {
  const answers = validateAnswers(THREE);

  it("each service's own steps (ids kind:<name>), web's target group behind the listener's default action, api's rule, no worker's target group", () => {
    const plan = buildPlan(answers);
    const ids = plan.map((s) => s.id);
    expect(ids.filter((id) => serviceOfId(id))).toEqual([
      'secrets-policy:web', 'secrets-policy:api', 'secrets-policy:worker',
      'target-group:web', 'target-group:api',
      'listener-rule:api',
      'task-definition:web', 'task-definition:api', 'task-definition:worker',
      'service:web', 'service:api', 'service:worker',
      'service-stable:web', 'service-stable:api', 'service-stable:worker',
      'service-scaling:web', 'service-scaling:api', 'service-scaling:worker',
    ]);
    const byId = new Map(plan.map((s) => [s.id, s]));
    expect(byId.get('listener')!.dependsOn).toEqual(['load-balancer', 'target-group:web']);
    expect(byId.get('listener-rule:api')!.dependsOn).toEqual(['listener', 'target-group:api']);
    // A service waits for what puts its target group behind the ALB (the listener, its rule); a worker for neither.
    expect(byId.get('service:api')!.dependsOn).toEqual(expect.arrayContaining(['target-group:api', 'listener', 'listener-rule:api', 'task-definition:api']));
    expect(byId.get('service:worker')!.dependsOn).not.toContain('listener');
    // Services never wait for each other: each depends on the stack's steps and its own only.
    for (const s of plan.filter((x) => serviceOfId(x.id)?.service)) {
      const own = serviceOfId(s.id)!.service;
      expect(s.dependsOn.filter((d) => serviceOfId(d)?.service !== undefined && serviceOfId(d)!.service !== own), s.id).toEqual([]);
    }
    // HTTPS: the rule is on the HTTPS listener; the :80 redirect keeps redirecting every path.
    const https = buildPlan(validateAnswers({ ...THREE, loadBalancer: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012' } }));
    expect(https.find((s) => s.id === 'listener-rule:api')!.dependsOn).toEqual(['https-listener', 'target-group:api']);
  });

  it('a one-service stack plans exactly the ids it always had', () => {
    expect(buildPlan(validateAnswers({ stack: 'shop' })).filter((s) => serviceOfId(s.id)).map((s) => s.id)).toEqual([
      'secrets-policy', 'target-group', 'task-definition', 'service', 'service-stable', 'service-scaling',
    ]);
  });

  it('the review lists each service with its route', () => {
    const plan = buildReviewPlan(answers, { region: 'us-east-1' });
    expect(plan.services.map((s) => s.route)).toEqual(['default → web:80', '/api/* → api:8080', 'worker: no load balancer']);
    expect(defaultService(answers).name).toBe('web');
    const text = renderPlan(plan);
    expect(text).toContain('Services\n  default → web:80  nginx:1.27');
    expect(text).toContain('  /api/* → api:8080  ghcr.io/acme/api:4.2');
    expect(text).toContain('  worker: no load balancer  ghcr.io/acme/worker:4.2  256 CPU units  512 MiB  × 2 tasks  command node worker.js');
    expect(renderPlan(buildReviewPlan(validateAnswers({ ...THREE, services: { web: {}, api: { host: 'api.example.com', containerPort: 8080 } } }), { region: 'us-east-1' }))).toContain('  api.example.com → api:8080');
  });

  it('a service the answers drop is deleted from its recorded answers: just its steps, nothing shared', () => {
    const { worker: _w, ...kept } = THREE.services;
    const now = validateAnswers({ ...THREE, services: kept });
    const removal = serviceRemoval(now, answers, {});
    expect(removal.services.map((s) => s.name)).toEqual(['worker']);
    expect(removal.steps.map((s) => s.id)).toEqual(['secrets-policy:worker', 'task-definition:worker', 'service:worker', 'service-stable:worker', 'service-scaling:worker']);
    // Its dependencies on the stack's steps are gone (treated as present), so the destroy touches nothing else.
    expect(removal.steps.flatMap((s) => s.dependsOn).every((d) => d.endsWith(':worker'))).toBe(true);
    const review = renderPlan(buildReviewPlan(now, { region: 'us-east-1', removed: [{ name: 'worker', resources: ['ECS service shop--worker'] }] }));
    expect(review).toContain('  delete service worker: ECS service shop--worker');
  });

  it('records of a service no answers name (a removal cut short) are deleted too, and destroy plans them', () => {
    const now = validateAnswers(THREE);
    const records = { 'service:old': { stepId: 'service:old', status: 'created' as const, outputs: { serviceName: 'shop--old', clusterName: 'shop' }, updatedAt: '' } };
    expect(serviceRemoval(now, now, records).services.map((s) => s.name)).toEqual(['old']);
    const destroy = buildDestroyPlan(now, records);
    expect(destroy.some((s) => s.id === 'service:old' && !isWaitStep(s))).toBe(true);
    // … and it waits for nothing of the other services, but the cluster waits for it.
    expect(destroy.find((s) => s.id === 'service:old')!.dependsOn).toContain('cluster');
  });
});
