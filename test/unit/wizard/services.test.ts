import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWizard, type GatherOptions } from '../../../src/wizard/ask.js';
import type { Account } from '../../../src/wizard/account.js';
import { DraftFile } from '../../../src/wizard/draft.js';
import { isWizardError } from '../../../src/errors.js';
import { routeText, servicesOf } from '../../../src/steps/services.js';
import type { Answers } from '../../../src/wizard/schema.js';
import { CTRL_C, scriptedPrompter, type Script } from './scripted-prompter.js';

/**
 * "Add another service?" (issue 23): after the first service's questions, on the quick path and
 * with --advanced; each added service's name, image, load balancer or not, port and route or
 * command; the answers it builds (`services:`, the first named after the stack); the rules between
 * services checked at the question that breaks them; the review's "service: <name>" sections; the draft.
 */
const account: Account = {
  region: 'eu-west-1',
  listVpcs: async () => [],
  listSubnets: async () => [],
  zonesOffering: async () => ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
};

async function run(script: Script, opts: Partial<GatherOptions> = {}) {
  const prompter = scriptedPrompter(script);
  const wizard = await startWizard({ file: {}, prompter, yes: false, account: async () => account, ...opts });
  return { prompter, wizard };
}

const QUICK: Script = [['Stack name', 'shop-web'], ['AWS region', undefined], ['Container image', undefined], ['Container port', undefined]];
const API: Script = [
  ['Add another service?', true], ['Service name', 'api'], ['Container image for api', 'ghcr.io/acme/api:1'], ['Does api take traffic', undefined],
  ['Container port for api', 8080], ['Route api by', undefined], ['Path pattern for api', '/api/*'],
];
const WORKER: Script = [
  ['Add another service?', true], ['Service name', 'worker'], ['Container image for worker', 'ghcr.io/acme/worker:1'], ['Does worker take traffic', false],
  ['Command for worker', 'node worker.js'],
];

describe('Add another service? (the wizard)', () => {
  it('on the quick path adds an api by path and a worker: services: with the first named after the stack, each with its route', async () => {
    const { prompter, wizard } = await run([...QUICK, ...API, ...WORKER, ['Add another service?', undefined], ['Customize a section?', 'none']]);
    const shown: Answers[] = [];
    await wizard.review(async (a) => void shown.push(a));
    expect(prompter.remaining()).toBe(0);
    // THEN 4 + 7 + 5 + 1 questions before the review (the route's default is /api/*-like), one after it
    expect(prompter.asked).toHaveLength(18);
    expect(shown).toHaveLength(1);
    const a = shown[0]!;
    expect(a.service).toBeUndefined();
    expect(a.services).toEqual({
      'shop-web': { image: 'nginx:latest', containerPort: 80, cpu: 256, memory: 512, desiredCount: 2, environment: {}, logs: true, logRetentionDays: 14, secrets: {} },
      api: expect.objectContaining({ image: 'ghcr.io/acme/api:1', containerPort: 8080, path: '/api/*' }),
      worker: expect.objectContaining({ image: 'ghcr.io/acme/worker:1', loadBalanced: false, command: ['node', 'worker.js'] }),
    });
    expect(a.services!.worker!.containerPort).toBeUndefined();
    // AND the review's routes: the first keeps the default route and its one-service names
    expect(servicesOf(a).map(routeText)).toEqual(['default → shop-web:80', '/api/* → api:8080', 'worker: no load balancer']);
    expect(servicesOf(a).map((s) => s.primary)).toEqual([true, false, false]);
    // AND the file the wizard would save holds the same
    expect(wizard.draft).toMatchObject({ services: { 'shop-web': { image: 'nginx:latest' }, api: { path: '/api/*' } } });
  });

  it('offers /<name>/* as the path, and a name must be a service name, not the stack\'s nor one taken', async () => {
    const { prompter, wizard } = await run([
      ...QUICK,
      ...API,
      ['Add another service?', true], ['Service name', 'Admin'], ['Service name', 'shop-web'], ['Service name', 'api'], ['Service name', 'ecs'], ['Service name', 'admin'],
      ['Container image for admin', undefined], ['Does admin take traffic', undefined], ['Container port for admin', undefined], ['Route admin by', undefined], ['Path pattern for admin', undefined],
      ['Add another service?', false],
    ]);
    expect(prompter.refusals.map((r) => [r.answer, r.error])).toEqual([
      ['Admin', expect.stringContaining('lowercase letters')],
      ['shop-web', expect.stringContaining("is the stack's name")],
      ['api', expect.stringContaining('is taken')],
      ['ecs', expect.stringContaining('is reserved')],
    ]);
    expect(wizard.answers().services!.admin).toMatchObject({ image: 'nginx:latest', containerPort: 80, path: '/admin/*' });
  });

  it('refuses a route another service has at the pattern question, naming it; a host name is a route too', async () => {
    const { prompter, wizard } = await run([
      ...QUICK,
      ...API,
      ['Add another service?', true], ['Service name', 'v2'], ['Container image for v2', undefined], ['Does v2 take traffic', undefined], ['Container port for v2', undefined],
      ['Route v2 by', undefined], ['Path pattern for v2', '/api/*'], ['Path pattern for v2', '/v2/*'],
      ['Add another service?', true], ['Service name', 'admin'], ['Container image for admin', undefined], ['Does admin take traffic', undefined], ['Container port for admin', undefined],
      ['Route admin by', 'host'], ['Host name for admin', 'admin.example.com'],
      ['Add another service?', false],
    ]);
    expect(prompter.refusals.map((r) => [r.message, r.answer, r.error])).toEqual([['Path pattern for v2 (* and ? are wildcards)', '/api/*', expect.stringMatching(/routes \/api\/\* like services\.api/)]]);
    const services = servicesOf(wizard.answers());
    expect(services.map(routeText)).toEqual(['default → shop-web:80', '/api/* → api:8080', '/v2/* → v2:80', 'admin.example.com → admin:80']);
    // AND priorities follow the order the services were added in
    expect(services.map((s) => s.priority)).toEqual([undefined, 100, 110, 120]);
  });

  it('the review offers "service: api", asked again with its answers as defaults; a load-balanced one made a worker loses its route', async () => {
    const { prompter, wizard } = await run([
      ...QUICK, ...API, ['Add another service?', false],
      ['Customize a section?', 'service: api'],
      ['Container image for api', undefined], ['Does api take traffic', undefined], ['Container port for api', undefined], ['Route api by', undefined], ['Path pattern for api', '/v1/*'],
      ['Customize a section?', 'service: api'],
      ['Container image for api', undefined], ['Does api take traffic', false], ['Command for api', ''],
      ['Customize a section?', 'none'],
    ]);
    const shown: Answers[] = [];
    await wizard.review(async (a) => void shown.push(a));
    expect(prompter.remaining()).toBe(0);
    expect(prompter.offered['Customize a section?']).toContain('service: api');
    expect(shown.map((a) => servicesOf(a).map(routeText)[1])).toEqual(['/api/* → api:8080', '/v1/* → api:8080', 'api: no load balancer']);
    expect(shown[2]!.services!.api).toMatchObject({ image: 'ghcr.io/acme/api:1', loadBalanced: false });
    expect(shown[2]!.services!.api!.path).toBeUndefined();
  });

  it('--advanced asks the added service\'s size, count and scaling too, and checks them as they are typed', async () => {
    const ADVANCED_START: Script = [
      ['Stack name', 'shop-web'], ['region', undefined], ['Network', undefined], ['VPC CIDR', undefined], ['subnet CIDRs', undefined],
      ['HTTPS?', undefined], ['listener port', undefined], ['reach the load balancer', undefined], ['Health check', undefined], ['instance type', undefined],
      ['Availability zones', undefined], ['Where do the instances run', undefined], ['launched', undefined], ['Spot capacity', undefined],
      ['desired capacity', undefined], ['Minimum instances', undefined], ['Maximum instances', undefined], ['key pair', ''],
      ['Container image', undefined], ['Container port', undefined], ['CPU units', undefined], ['memory (MiB)', undefined], ['desired count', undefined],
      ['CloudWatch Logs', undefined], ['how many days', undefined], ['Container Insights', undefined],
    ];
    const REST: Script = [
      ['automatically', undefined], ['Minimum tasks', undefined], ['Maximum tasks', undefined], ['which metrics', undefined], ['Target average CPU', undefined],
      ['How instances scale', undefined], ['Target capacity', undefined],
    ];
    const { prompter, wizard } = await run([
      ...ADVANCED_START, ...WORKER,
      ['Task CPU units (1024 = one vCPU) for worker', 512], ['Task memory (MiB) for worker', 4096], ['Task memory (MiB) for worker', 1024], ['Tasks to run (desired count) for worker', 1],
      ['Scale worker automatically', undefined], ['Minimum tasks for worker', 1], ['Maximum tasks for worker', 0], ['Maximum tasks for worker', 3],
      ['Add another service?', false],
      ...REST,
    ], { advanced: true });
    expect(prompter.remaining()).toBe(0);
    expect(prompter.refusals.map((r) => [r.message, r.answer])).toEqual([['Task memory (MiB) for worker', 4096], ['Maximum tasks for worker', 0]]);
    expect(prompter.refusals[0]!.error).toContain('t3.small offers about 1884 MiB');
    expect(wizard.answers().services!.worker).toMatchObject({ cpu: 512, memory: 1024, desiredCount: 1, scaling: { minCount: 1, maxCount: 3 }, loadBalanced: false });
  });

  it('keeps the added services in the draft: after Ctrl-C the next run offers them back', async () => {
    const draft = new DraftFile(join(mkdtempSync(join(tmpdir(), 'draft-')), 'state', '.draft.json'));
    const first = await run([...QUICK, ...API, ['Add another service?', true], ['Service name', CTRL_C]], { draft }).catch((e) => e);
    expect(isWizardError(first, 'INTERRUPTED')).toBe(true);
    expect((await draft.read())?.answers).toMatchObject({ services: { api: { image: 'ghcr.io/acme/api:1', containerPort: 8080, path: '/api/*' } } });
    const { prompter, wizard } = await run([['Resume the answers', undefined], ['Add another service?', false]], { draft });
    expect(prompter.remaining()).toBe(0);
    expect(servicesOf(wizard.answers()).map(routeText)).toEqual(['default → shop-web:80', '/api/* → api:8080']);
  });

  it('is not asked when the answers file names the services (service: or services:)', async () => {
    const { prompter } = await run([['AWS region', undefined], ['Container port', undefined]], { file: { stack: 'shop-web', service: { image: 'httpd:2.4' } } });
    expect(prompter.asked.some((m) => m.startsWith('Add another service'))).toBe(false);
  });
});
