import * as os from 'node:os';
import type { Service } from '@aws-sdk/client-ecs';
import type { ReleaseRecord, ReleaseResult } from '../engine/state.js';
import { formatDuration } from '../ui/style.js';
import { judgeRollout, revisionOf } from './rollout.js';

/** Who runs this command, as releases record it: user@host. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  let user = env.USER ?? env.USERNAME ?? '';
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${os.hostname()}`;
}

/** Which service a release is of: a record without `service` is the primary's (the one named after the stack). */
export interface ReleaseService {
  name: string;
  primary: boolean;
}

/** Whether a release record is of this service. */
export const isReleaseOf = (r: ReleaseRecord, svc: ReleaseService): boolean => (r.service === undefined ? svc.primary : r.service === svc.name);

/** The releases of one service, in the state's order (oldest first). */
export function releasesOf(releases: readonly ReleaseRecord[] | undefined, svc: ReleaseService): ReleaseRecord[] {
  return (releases ?? []).filter((r) => isReleaseOf(r, svc));
}

/** What a new release record says of its service: nothing for the primary (as before issue 23), the name for another. */
export const releaseServiceField = (svc: ReleaseService): Pick<ReleaseRecord, 'service'> => (svc.primary ? {} : { service: svc.name });

/** Newest first, as `releases` lists them (the state keeps them oldest first). */
export function newestFirst(releases: readonly ReleaseRecord[] | undefined): ReleaseRecord[] {
  return [...(releases ?? [])].reverse();
}

/**
 * The release to roll back to: the newest successful one before the release the service runs now
 * (the newest successful release of `running`), with another revision. Rolling back twice
 * therefore goes back and forth between the last two good revisions, like an undo.
 */
export function previousSuccessful(releases: readonly ReleaseRecord[] | undefined, running: number | undefined): ReleaseRecord | undefined {
  const list = newestFirst(releases);
  // The release that put the running revision there, whatever became of it: after `deploy
  // --no-wait` it is still in progress, and an older success of the same revision is not "now".
  const current = list.findIndex((r) => r.revision === running);
  return list.slice(current + 1).find((r) => r.result === 'succeeded' && r.revision !== running);
}

/**
 * The release showing that ECS failed a deployment of `taskDefinitionArn`: the newest release of
 * it, when that was rolled back, or failed after ECS had named its deployment (a release that
 * failed before the service was updated says nothing about the revision). `deploy` never sends
 * such a revision again unless forced.
 */
export function failedRelease(releases: readonly ReleaseRecord[] | undefined, taskDefinitionArn: string): ReleaseRecord | undefined {
  const newest = newestFirst(releases).find((r) => r.taskDefinitionArn === taskDefinitionArn);
  return newest && (newest.result === 'rolled-back' || (newest.result === 'failed' && newest.deploymentId !== undefined)) ? newest : undefined;
}

/**
 * What AWS now says about a release that was still in progress when its command stopped watching
 * (Ctrl-C, --no-wait, a wait timeout, a crash): undefined when it still runs. Judged from the
 * service alone, by the same rules as the rollout wait (see deploy/rollout.ts).
 */
export function reconcileRelease(release: ReleaseRecord, service: Service | undefined, now: Date): Pick<ReleaseRecord, 'result' | 'endedAt' | 'note'> | undefined {
  if (!service || service.status !== 'ACTIVE') return { result: 'interrupted', endedAt: now.toISOString(), note: 'the service is gone' };
  // By its deployment when ECS named it: once the circuit breaker's rollback is done, the failed
  // deployment leaves the service's list, and only its id tells that the update did happen.
  const view = judgeRollout({ service }, { taskDefinitionArn: release.taskDefinitionArn, ...(release.deploymentId ? { deploymentId: release.deploymentId } : {}) });
  if (view.failed) {
    const back = revisionOf(view.failed.rolledBackTo);
    // No deployment was ever named and the service never left the revision it had: the update itself never happened.
    if (!release.deploymentId && back !== undefined && back === release.previousRevision && !(service.deployments ?? []).some((d) => d.taskDefinition === release.taskDefinitionArn)) {
      return { result: 'interrupted', endedAt: now.toISOString(), note: `the service stayed on revision ${back}` };
    }
    return { result: back !== undefined ? 'rolled-back' : 'failed', endedAt: now.toISOString(), note: back !== undefined ? `ECS rolled back to revision ${back}` : view.failed.reason };
  }
  return view.done ? { result: 'succeeded', endedAt: now.toISOString() } : undefined;
}

/**
 * Brings the releases still marked in progress up to date: the newest from the service's
 * deployments, older ones (a later release replaced them before anyone saw them end) as
 * interrupted. Returns the updated list and whether anything changed; writes nothing.
 */
export function reconcileReleases(releases: readonly ReleaseRecord[] | undefined, service: Service | undefined, now = new Date()): { releases: ReleaseRecord[]; changed: boolean } {
  const list = (releases ?? []).map((r) => ({ ...r }));
  let changed = false;
  list.forEach((r, i) => {
    if (r.result !== 'in-progress') return;
    const newest = i === list.length - 1;
    const update = newest ? reconcileRelease(r, service, now) : { result: 'interrupted' as ReleaseResult, note: `replaced by revision ${list[i + 1]!.revision} before it finished` };
    if (update) {
      Object.assign(r, update);
      changed = true;
    }
  });
  return { releases: list, changed };
}

/**
 * `reconcileReleases` for one service's releases on a stack of several: the others' records are
 * left as they are (each is judged from its own service's deployments).
 */
export function reconcileServiceReleases(releases: readonly ReleaseRecord[] | undefined, svc: ReleaseService, service: Service | undefined, now = new Date()): { releases: ReleaseRecord[]; changed: boolean } {
  const all = [...(releases ?? [])];
  const at = all.flatMap((r, i) => (isReleaseOf(r, svc) ? [i] : []));
  const own = reconcileReleases(at.map((i) => all[i]!), service, now);
  at.forEach((i, k) => (all[i] = own.releases[k]!));
  return { releases: all, changed: own.changed };
}

/** The JSON shape of one release, for `releases --output json`: `service` always named (`primary`: the name of the stack's own). */
export function releaseJson(r: ReleaseRecord, primary?: string) {
  const durationMs = r.endedAt ? Date.parse(r.endedAt) - Date.parse(r.startedAt) : undefined;
  return { ...r, ...(r.service === undefined && primary !== undefined ? { service: primary } : {}), ...(durationMs !== undefined && durationMs >= 0 ? { durationMs } : {}) };
}

/** The `releases` table: revision, image, result, started, duration, by — newest first. */
export function releasesTable(releases: readonly ReleaseRecord[], now = new Date()): string {
  const rows = newestFirst(releases).map((r) => {
    const end = r.endedAt ? Date.parse(r.endedAt) : r.result === 'in-progress' ? now.getTime() : undefined;
    const duration = end !== undefined ? `${formatDuration(Math.max(0, end - Date.parse(r.startedAt)))}${r.endedAt ? '' : ' so far'}` : '–';
    return [
      String(r.revision),
      r.image,
      `${r.result}${r.kind === 'create' ? ' (create)' : r.kind === 'rollback' ? ' (rollback)' : r.kind === 'force' ? ' (force)' : ''}`,
      r.startedAt.replace('T', ' ').slice(0, 19),
      duration,
      r.by,
      [r.changed.length ? `env ${r.changed.join(', ')}` : '', r.note ?? ''].filter(Boolean).join('; '),
    ];
  });
  const head = ['REVISION', 'IMAGE', 'RESULT', 'STARTED (UTC)', 'DURATION', 'BY', 'NOTE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/**
 * The release a create made of one service, if it moved the service to a revision other than its newest
 * release's (the first create, a create that reverts a deploy, the first create of a stack made
 * before releases were recorded). A create that only finished watching the newest release's
 * rollout settles it instead. Returns the new list, or undefined when nothing changes.
 */
export function withCreateRelease(
  releases: readonly ReleaseRecord[] | undefined,
  svc: ReleaseService,
  made: { taskDefinitionArn: string; revision: number; image: string; changed: string[]; result: ReleaseResult; note?: string; startedAt: string; by: string },
  now: Date,
): ReleaseRecord[] | undefined {
  const list = [...(releases ?? [])];
  // This service's newest: the stack's other services record their own releases beside it.
  const at = list.findLastIndex((r) => isReleaseOf(r, svc));
  const newest = at >= 0 ? list[at] : undefined;
  const ended = made.result === 'in-progress' ? {} : { endedAt: now.toISOString() };
  if (newest?.taskDefinitionArn === made.taskDefinitionArn) {
    if (newest.result !== 'in-progress' || made.result === 'in-progress') return undefined;
    list[at] = { ...newest, result: made.result, ...ended, ...(made.note ? { note: made.note } : {}) };
    return list;
  }
  list.push({
    revision: made.revision,
    taskDefinitionArn: made.taskDefinitionArn,
    image: made.image,
    changed: made.changed,
    kind: 'create',
    ...releaseServiceField(svc),
    startedAt: made.startedAt,
    ...ended,
    result: made.result,
    by: made.by,
    ...(newest ? { previousRevision: newest.revision } : {}),
    ...(made.note ? { note: made.note } : {}),
  });
  return list;
}
