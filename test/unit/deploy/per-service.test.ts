import { describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../../src/engine/state.js';
import { releaseJson, releasesOf, reconcileServiceReleases, withCreateRelease } from '../../../src/deploy/releases.js';
import { lineText, toLine } from '../../../src/deploy/logs.js';
import { judge, servicesStatus } from '../../../src/cli/commands/status.js';
import type { LiveFacts } from '../../../src/live/inspect.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';

/** Day 2 on a stack of several services (issue 23): releases, log lines and status per service. */
const arn = (family: string, n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${n}`;
const rel = (family: string, revision: number, extra: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  revision, taskDefinitionArn: arn(family, revision), image: `img:${revision}`, changed: [], kind: 'deploy', startedAt: `2024-05-01T10:0${revision}:00.000Z`, result: 'succeeded', by: 'ana@laptop', ...extra,
});
const plain = { dim: (x: string) => x, cyan: (x: string) => x };

describe('releases per service', () => {
  // GIVEN the stack's own releases (no `service`, as a state written before several services) and api's
  const list = [rel('trio', 1, { kind: 'create' }), rel('trio--api', 1, { service: 'api' }), rel('trio', 2), rel('trio--api', 2, { service: 'api', result: 'in-progress' })];

  it('a record without `service` is the primary\'s; another service\'s carry its name', () => {
    expect(releasesOf(list, { name: 'trio', primary: true }).map((r) => r.taskDefinitionArn)).toEqual([arn('trio', 1), arn('trio', 2)]);
    expect(releasesOf(list, { name: 'api', primary: false }).map((r) => r.revision)).toEqual([1, 2]);
    expect(releaseJson(list[0]!, 'trio').service).toBe('trio');
    expect(releaseJson(list[1]!, 'trio').service).toBe('api');
  });

  it('reconciling api\'s in-progress release leaves the primary\'s records alone', () => {
    const r = reconcileServiceReleases(list, { name: 'api', primary: false }, undefined, new Date('2024-05-01T11:00:00Z'));
    expect(r.changed).toBe(true);
    expect(r.releases[3]).toMatchObject({ service: 'api', result: 'interrupted', note: 'the service is gone' });
    expect(r.releases.slice(0, 3)).toEqual(list.slice(0, 3));
  });

  it('a create that reran the primary\'s revision adds no release though api deployed since', () => {
    const made = { taskDefinitionArn: arn('trio', 2), revision: 2, image: 'img:2', changed: [], result: 'succeeded' as const, startedAt: '2024-05-01T12:00:00.000Z', by: 'ana@laptop' };
    expect(withCreateRelease(list, { name: 'trio', primary: true }, made, new Date())).toBeUndefined();
  });

  it("a create records each service's own release: api's first one is api's, after api's newest and apart from the primary's", () => {
    // GIVEN a stack whose primary has releases and api none (a service added to the answers)
    const before = [rel('trio', 1, { kind: 'create' }), rel('trio', 2)];
    const made = { taskDefinitionArn: arn('trio--api', 1), revision: 1, image: 'api:1', changed: [], result: 'succeeded' as const, startedAt: '2024-05-01T12:00:00.000Z', by: 'ana@laptop' };
    // WHEN create records api's revision
    const after = withCreateRelease(before, { name: 'api', primary: false }, made, new Date('2024-05-01T12:01:00Z'))!;
    // THEN it is api's, with no previous revision (the primary's revision 2 is not api's), and the primary's are kept
    expect(after.slice(0, 2)).toEqual(before);
    expect(after[2]).toMatchObject({ service: 'api', revision: 1, kind: 'create', result: 'succeeded' });
    expect(after[2]!.previousRevision).toBeUndefined();
    // AND rerunning the same revision for api records nothing more, while the primary's record still would be its own
    expect(withCreateRelease(after, { name: 'api', primary: false }, { ...made }, new Date())).toBeUndefined();
    expect(releasesOf(after, { name: 'trio', primary: true }).map((r) => r.revision)).toEqual([1, 2]);
  });
});

describe('log lines of several services', () => {
  const byPrefix = new Map([['ecs', 'trio'], ['api', 'api']]);
  it('interleaved: each line names its service, by its stream\'s prefix, in text and JSON', () => {
    const web = toLine({ logStreamName: 'ecs/app/0a1b2c3d4e5f', timestamp: Date.parse('2024-05-01T10:00:00Z'), message: 'GET /\n' }, byPrefix);
    const api = toLine({ logStreamName: 'api/app/9f8e7d6c5b4a', timestamp: Date.parse('2024-05-01T10:00:01Z'), message: 'GET /api/x' }, byPrefix);
    expect(lineText(web, plain)).toBe('[trio] 2024-05-01T10:00:00.000Z 0a1b2c3d4e5f GET /');
    expect(lineText(api, plain)).toBe('[api] 2024-05-01T10:00:01.000Z 9f8e7d6c5b4a GET /api/x');
    expect(JSON.parse(JSON.stringify(api))).toEqual({ timestamp: '2024-05-01T10:00:01.000Z', task: '9f8e7d6c5b4a', stream: 'api/app/9f8e7d6c5b4a', message: 'GET /api/x', service: 'api' });
  });

  it('a stack of one: the line as before, no service', () => {
    const line = toLine({ logStreamName: 'ecs/app/0a1b2c3d4e5f', timestamp: 0, message: 'hi' });
    expect(line).not.toHaveProperty('service');
    expect(lineText(line, plain)).toBe('1970-01-01T00:00:00.000Z 0a1b2c3d4e5f hi');
  });
});

describe('status of several services', () => {
  const answers = validateAnswers({
    stack: 'trio',
    region: 'us-east-1',
    services: { web: { image: 'nginx:1.27' }, api: { image: 'acme/api:4', path: '/api/*', containerPort: 8080 }, worker: { image: 'acme/worker:4', loadBalanced: false, command: ['work'] } },
  });
  const present = (stepId: string, id: string) => ({ stepId, id, recorded: 'created' as const, live: 'present' as const });
  const svc = (name: string, desired: number, running: number) => ({ name, desired, running, pending: 0, events: [] });
  const facts: LiveFacts = {
    resources: ['web', 'api', 'worker'].flatMap((n) => [present(`service:${n}`, `trio--${n}`), present(`task-definition:${n}`, `trio--${n}:1`)]),
    byService: {
      web: { service: svc('trio--web', 2, 2), targets: [{ id: 'i-1', state: 'healthy' }], taskDefinition: arn('trio--web', 1) },
      api: { service: svc('trio--api', 2, 1), targets: [{ id: 'i-1', state: 'healthy' }] },
      worker: { service: svc('trio--worker', 1, 1) },
    },
  };

  it('one entry per service with its route, counts and own verdict', () => {
    const list = servicesStatus(answers, facts);
    expect(list.map((x) => [x.name, x.route, x.running, x.desired, x.health])).toEqual([
      ['web', 'default → web:80', 2, 2, 'healthy'],
      ['api', '/api/* → api:8080', 1, 2, 'degraded'],
      ['worker', 'worker: no load balancer', 1, 1, 'healthy'],
    ]);
    expect(list[1]!.verdict).toBe('degraded: service trio--api: 1 of 2 tasks running');
    expect(list[0]).toMatchObject({ image: 'nginx:1.27', taskDefinition: arn('trio--web', 1) });
  });

  it('the stack\'s verdict counts every service, not only the stack\'s own', () => {
    expect(judge(facts)).toEqual({ health: 'degraded', verdict: 'degraded: service trio--api: 1 of 2 tasks running' });
  });
});
