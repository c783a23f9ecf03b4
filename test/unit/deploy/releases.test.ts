import { describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ReleaseRecord } from '../../../src/engine/state.js';
import { readState } from '../../../src/engine/state.js';
import { isWizardError } from '../../../src/errors.js';
import { failedRelease, previousSuccessful, reconcileReleases, releasesTable, withCreateRelease } from '../../../src/deploy/releases.js';
import { tempDir } from '../../support/stack.js';

const arn = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/shop:${n}`;
const rel = (revision: number, result: ReleaseRecord['result'], kind: ReleaseRecord['kind'] = 'deploy', startedAt = `2024-05-01T10:0${revision}:00.000Z`): ReleaseRecord => ({
  revision,
  taskDefinitionArn: arn(revision),
  image: `httpd:2.4.${revision}`,
  changed: [],
  kind,
  startedAt,
  ...(result === 'in-progress' ? {} : { endedAt: startedAt.replace(':00.000Z', ':40.000Z') }),
  result,
  by: 'ana@laptop',
});

describe('release history', () => {
  it('rollback goes to the newest successful release before the one running, and back again (an undo)', () => {
    // GIVEN 1 create, 2 deploy, 3 failed (ECS rolled back to 2)
    const history = [rel(1, 'succeeded', 'create'), rel(2, 'succeeded'), rel(3, 'rolled-back')];
    // THEN running 2, the previous good one is 1
    expect(previousSuccessful(history, 2)?.revision).toBe(1);
    // AND after rolling back to 1, rolling back again goes to 2
    expect(previousSuccessful([...history, rel(1, 'succeeded', 'rollback', '2024-05-01T10:09:00.000Z')], 1)?.revision).toBe(2);
    // AND with a single release there is nothing to go back to
    expect(previousSuccessful([rel(1, 'succeeded', 'create')], 1)).toBeUndefined();
  });

  it('the rollback target when the running revision has no succeeded release (after deploy --no-wait): the one before that release, not before an older success of the same revision', () => {
    // GIVEN 1, 2, 3 succeeded, then 2 again with --no-wait (a deploy back to its image finds revision 2): still in progress
    const history = [rel(1, 'succeeded', 'create'), rel(2, 'succeeded'), rel(3, 'succeeded'), { ...rel(2, 'in-progress', 'deploy', '2024-05-01T10:09:00.000Z'), previousRevision: 3 }];
    // THEN rolling back from 2 goes to 3, which ran just before (not to 1, before the older success of 2)
    expect(previousSuccessful(history, 2)?.revision).toBe(3);
    // AND a first --no-wait deploy of a new revision rolls back to the one before it
    expect(previousSuccessful([rel(1, 'succeeded', 'create'), rel(2, 'succeeded'), rel(3, 'in-progress')], 3)?.revision).toBe(2);
  });

  it('a revision whose deployment ECS failed is known by its newest release: rolled back, or failed once ECS had named the deployment', () => {
    const started = { deploymentId: 'ecs-svc/1234567890' };
    expect(failedRelease([rel(2, 'succeeded'), rel(3, 'rolled-back')], arn(3))?.revision).toBe(3);
    expect(failedRelease([rel(2, 'succeeded'), { ...rel(3, 'failed'), ...started }], arn(3))?.revision).toBe(3);
    // (failed before the service was updated: nothing is known about the revision)
    expect(failedRelease([rel(2, 'succeeded'), rel(3, 'failed')], arn(3))).toBeUndefined();
    // (sent again with --force, and it worked)
    expect(failedRelease([rel(3, 'rolled-back'), { ...rel(3, 'succeeded', 'deploy', '2024-05-01T10:09:00.000Z'), ...started }], arn(3))).toBeUndefined();
    expect(failedRelease([rel(3, 'rolled-back')], arn(2))).toBeUndefined();
  });

  it('follows the recorded deployment: gone from the service\'s list (the rollback is done) with the service back on the previous revision, it was rolled back — not "never updated"', () => {
    const back = { status: 'ACTIVE', taskDefinition: arn(2), deployments: [{ id: 'ecs-svc/2-rollback', status: 'PRIMARY', taskDefinition: arn(2), rolloutState: 'COMPLETED' as const }] };
    const recorded = { ...rel(3, 'in-progress'), previousRevision: 2, deploymentId: 'ecs-svc/3' };
    expect(reconcileReleases([recorded], back, new Date('2024-05-01T11:00:00Z')).releases[0]).toMatchObject({ result: 'rolled-back', note: 'ECS rolled back to revision 2', endedAt: '2024-05-01T11:00:00.000Z' });
    // (while it is listed, it is judged by its own state, even beside another deployment of the same revision)
    const forcedAgain = { status: 'ACTIVE', taskDefinition: arn(3), deployments: [{ id: 'ecs-svc/3-forced', status: 'PRIMARY', taskDefinition: arn(3), rolloutState: 'IN_PROGRESS' as const }, { id: 'ecs-svc/3', status: 'ACTIVE', taskDefinition: arn(3), rolloutState: 'FAILED' as const, rolloutStateReason: 'tasks failed to start' }] };
    expect(reconcileReleases([recorded], forcedAgain).releases[0]).toMatchObject({ result: 'failed', note: 'tasks failed to start' });
  });

  it('a release left in progress is settled from the service: moto-style stable → succeeded; a replaced older one → interrupted', () => {
    const history = [rel(1, 'succeeded', 'create'), rel(2, 'in-progress'), rel(3, 'in-progress')];
    const service = { status: 'ACTIVE', taskDefinition: arn(3), runningCount: 2, desiredCount: 2, deployments: [{ status: 'PRIMARY', taskDefinition: arn(1) }] };
    const r = reconcileReleases(history, service, new Date('2024-05-01T11:00:00Z'));
    expect(r.changed).toBe(true);
    expect(r.releases.map((x) => x.result)).toEqual(['succeeded', 'interrupted', 'succeeded']);
    expect(r.releases[2]!.endedAt).toBe('2024-05-01T11:00:00.000Z');
    expect(r.releases[1]!.note).toBe('replaced by revision 3 before it finished');
  });

  it('settles a failed one as rolled back when ECS put the previous revision back, and leaves a running one alone', () => {
    const failed = { status: 'ACTIVE', taskDefinition: arn(2), deployments: [{ status: 'PRIMARY', taskDefinition: arn(2), rolloutState: 'IN_PROGRESS' as const }, { status: 'ACTIVE', taskDefinition: arn(3), rolloutState: 'FAILED' as const }] };
    const one = { ...rel(3, 'in-progress'), previousRevision: 2 };
    expect(reconcileReleases([one], failed).releases[0]).toMatchObject({ result: 'rolled-back', note: 'ECS rolled back to revision 2' });
    const running = { status: 'ACTIVE', taskDefinition: arn(3), deployments: [{ status: 'PRIMARY', taskDefinition: arn(3), rolloutState: 'IN_PROGRESS' as const, runningCount: 1, desiredCount: 2 }] };
    expect(reconcileReleases([one], running)).toEqual({ releases: [one], changed: false });
    // The service never left revision 2 and no deployment of 3 exists: the update never happened.
    const never = { status: 'ACTIVE', taskDefinition: arn(2), deployments: [{ status: 'PRIMARY', taskDefinition: arn(2), rolloutState: 'COMPLETED' as const }] };
    expect(reconcileReleases([one], never).releases[0]!.result).toBe('interrupted');
  });

  it('a create records a release only when it moved the service to another revision, and settles its own later', () => {
    const PRIMARY = { name: 'shop', primary: true };
    const made = { taskDefinitionArn: arn(4), revision: 4, image: 'httpd:2.4', changed: [], startedAt: '2024-05-01T12:00:00.000Z', by: 'ci@runner' };
    const now = new Date('2024-05-01T12:01:00Z');
    const first = withCreateRelease([rel(3, 'succeeded')], PRIMARY, { ...made, result: 'in-progress' }, now)!;
    expect(first.at(-1)).toMatchObject({ revision: 4, kind: 'create', result: 'in-progress', previousRevision: 3 });
    expect(first.at(-1)!.endedAt).toBeUndefined();
    const settled = withCreateRelease(first, PRIMARY, { ...made, result: 'succeeded' }, now)!;
    expect(settled).toHaveLength(2);
    expect(settled.at(-1)).toMatchObject({ result: 'succeeded', endedAt: now.toISOString() });
    expect(withCreateRelease(settled, PRIMARY, { ...made, result: 'succeeded' }, now)).toBeUndefined();
  });

  it('the table lists newest first with revision, image, result, started, duration and who', () => {
    const text = releasesTable([rel(1, 'succeeded', 'create'), { ...rel(2, 'rolled-back'), changed: ['LOG_LEVEL'], note: 'ECS rolled back to revision 1' }]);
    const [head, first, second] = text.trim().split('\n');
    expect(head).toMatch(/^REVISION\s+IMAGE\s+RESULT\s+STARTED \(UTC\)\s+DURATION\s+BY\s+NOTE$/);
    expect(first).toMatch(/^2\s+httpd:2\.4\.2\s+rolled-back\s+2024-05-01 10:02:00\s+40 s\s+ana@laptop\s+env LOG_LEVEL; ECS rolled back to revision 1$/);
    expect(second).toMatch(/^1\s+httpd:2\.4\.1\s+succeeded \(create\)/);
  });
});

describe('the state document with releases', () => {
  it('a state written before releases existed reads fine (no key), and a malformed list is refused', async () => {
    const dir = tempDir();
    const old = path.join(dir, 'old.json');
    await fs.writeFile(old, JSON.stringify({ version: 1, stack: 'old', createdAt: 'x', updatedAt: 'x', resources: {} }));
    const s = await readState(old);
    expect(s?.version).toBe(1);
    expect(s?.releases).toBeUndefined();
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ version: 1, stack: 'bad', createdAt: 'x', updatedAt: 'x', resources: {}, releases: 'oops' }));
    const err = await readState(bad).catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_INVALID')).toBe(true);
  });
});
