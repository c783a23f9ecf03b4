import { WizardError } from '../../errors.js';
import type { RunResult } from '../../engine/types.js';
import { hostTargets, hostsVerdict, inspectHosts, type HostFacts } from '../../hosts/inspect.js';
import { expectedRollSeconds, pendingRoll, planRoll, runRoll, type RollSpec } from '../../hosts/roll.js';
import { askWhilePaused } from '../../ui/reporter.js';
import { colourEnabled, formatDuration, style } from '../../ui/style.js';
import { inquirerPrompter } from '../../wizard/prompter.js';
import type { CliContext } from '../context.js';
import { failureLine } from '../errors-format.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { awsTarget, callLog, openStack, preflight, readStack, type CallCounts } from '../stack.js';

export interface HostsFlags extends CommonFlags {
  yes?: boolean;
  dryRun?: boolean;
}

/** `hosts --output json`: one document, each instance with at least instanceId, instanceType, amiId, current. */
export interface HostsReport extends HostFacts {
  stack: string;
  region: string;
  current: number;
  total: number;
  verdict: string;
  /** A roll that was started and not finished: `hosts refresh` (or `create`) continues it. */
  rollPending?: { reason: string; hosts: string[] };
  calls?: CallCounts;
}

/** `ecs-wizard hosts [STACK]`: one row per instance and a one-line verdict. Read-only (no lock). */
export async function hosts(stackArg: string | undefined, flags: CommonFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const { stack, state } = await readStack(opts, stackArg, ctx, 'hosts');
  if (!state) throw missing(stack, opts.stateDir);
  const reporter = makeReporter(opts, ctx);
  const calls = callLog(opts, (l) => reporter.log(l));
  const aws = ctx.makeClients(awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall));
  try {
    const region = await preflight(aws);
    const facts = await inspectHosts(aws, hostTargets(state), region);
    const v = hostsVerdict(facts);
    const roll = state.roll?.spec as RollSpec | undefined;
    const report: HostsReport = {
      stack,
      region,
      ...facts,
      current: v.current,
      total: v.total,
      verdict: v.text,
      ...(roll ? { rollPending: { reason: roll.reason, hosts: roll.hosts.map((h) => h.instanceId) } } : {}),
      calls: calls.counts,
    };
    reporter.close();
    if (opts.output === 'json') printResult(ctx, opts, report);
    else ctx.stdout.write(formatHosts(report, colourEnabled(ctx.env, ctx.isTTY)));
    return 0;
  } finally {
    reporter.close();
    aws.destroy();
  }
}

const day = (iso: string | undefined): string => (iso ? iso.slice(0, 10) : '?');

/** The text view: a row per instance, what new instances launch from, the latest ECS AMI, the verdict. */
export function formatHosts(r: HostsReport, colour = false): string {
  const s = style(colour);
  const lines: string[] = [];
  lines.push(`Hosts of stack ${s.bold(r.stack)} (${r.region})`);
  if (r.launch) {
    const what = r.launch.kind === 'template' ? `launch template ${r.launch.name} version ${r.launch.version ?? '?'}` : `launch configuration ${r.launch.name}`;
    lines.push(`New instances: ${(r.launch.instanceTypes ?? [r.launch.instanceType]).join(' or ')}, ${r.launch.amiId}${r.launch.architecture ? ` (${r.launch.architecture})` : ''} — ${what}`);
  }
  for (const [arch, a] of Object.entries(r.latestAmi)) lines.push(`Latest ECS AMI (${arch}): ${a!.amiId}${a!.name ? ` ${a!.name}` : ''}, released ${day(a!.created)}${r.pinnedAmi ? s.dim(' — not used: instances.amiId is pinned') : ''}`);
  lines.push('');
  const header = ['INSTANCE', 'ZONE', 'TYPE', 'AMI', 'AMI NAME', 'AGE', 'ECS', 'TASKS', 'AGENT'];
  const rows = r.hosts.map((h) => [
    h.instanceId,
    h.zone ?? '?',
    h.instanceType ?? '?',
    h.amiId ?? '?',
    h.ami?.name ?? '?',
    h.amiAgeDays !== undefined ? `${h.amiAgeDays} d` : '?',
    h.containerInstance?.status ?? (h.launching ? 'launching' : h.lifecycleState === 'InService' ? 'not joined' : (h.lifecycleState ?? '?')),
    String(h.containerInstance?.runningTasks ?? '-'),
    h.containerInstance?.agentVersion ?? '-',
  ]);
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((row) => row[c]!.length)));
  const fmt = (row: string[]) => row.map((x, c) => x.padEnd(widths[c]!)).join('  ').trimEnd();
  lines.push(`  ${fmt(header)}`);
  r.hosts.forEach((h, k) => lines.push(`${h.current ? s.green('✔') : s.yellow('✖')} ${fmt(rows[k]!)}`));
  for (const h of r.hosts) for (const why of h.reasons) lines.push(s.dim(`  ${h.instanceId}: ${why}`));
  if (r.hosts.length === 0) lines.push('  (no instances in the group)');
  lines.push('');
  if (r.rollPending) lines.push(s.yellow(`A roll (${r.rollPending.reason}) was interrupted: run \`ecs-wizard hosts refresh ${r.stack}\` to finish it.`));
  const ok = r.current === r.total;
  lines.push(ok ? s.green(`✔ ${r.verdict}`) : s.yellow(`✖ ${r.verdict}${r.rollPending ? '' : ` — \`ecs-wizard hosts refresh ${r.stack}\` replaces the others`}`));
  return lines.join('\n') + '\n';
}

export interface RefreshResult {
  stack: string;
  ok: boolean;
  dryRun: boolean;
  /** Nothing was out of date. */
  nothing?: boolean;
  reason?: string;
  hosts?: string[];
  newVersion?: RollSpec['newVersion'];
  expectedSeconds?: number;
  steps?: { id: string; title: string; outcome: string; durationMs: number; error?: string }[];
  verdict?: string;
  calls: CallCounts;
}

/**
 * `ecs-wizard hosts refresh [STACK] [--yes]`: onto the latest recommended ECS AMI (a new launch
 * template version, unless the user pinned instances.amiId) and onto what the group launches now,
 * replacing the hosts one at a time without dropping a task (see hosts/roll.ts). An interrupted roll
 * is continued. Asks first in a terminal; without one, --yes is required.
 */
export async function hostsRefresh(stackArg: string | undefined, flags: HostsFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  if (!flags.yes && !flags.dryRun && !ctx.isTTY) {
    throw new WizardError('USAGE', `Refusing to replace the hosts of ${stackArg ? `stack "${stackArg}"` : 'the stack'} without confirmation.`, {
      problems: [{ path: '--yes', message: 'is required when there is no terminal to confirm in' }],
      hint: `Run \`ecs-wizard hosts refresh ${stackArg ?? 'STACK'} --yes\` (or --dry-run to see what it would do).`,
    });
  }
  const stackName = stackArg ?? (await readStack(opts, undefined, ctx, 'hosts refresh')).stack;
  const stack = await openStack(opts, stackName, flags.dryRun ? 'hosts refresh --dry-run' : 'hosts refresh', ctx);
  const reporter = makeReporter(opts, ctx);
  try {
    if (!stack.existing) throw missing(stackName, opts.stateDir);
    const calls = callLog(opts, (l) => reporter.log(l));
    const aws = ctx.makeClients({ ...awsTarget(opts, ctx, { region: stack.existing.region, endpointUrl: stack.existing.endpointUrl }, calls.onCall), readOnly: flags.dryRun ?? false });
    try {
      const region = await preflight(aws);
      const targets = hostTargets(stack.existing);
      const pending = pendingRoll(stack.state);
      const facts = await inspectHosts(aws, targets, region);
      const spec = pending ?? planRoll(facts, targets, { latestAmi: true });
      if (!spec) {
        const v = hostsVerdict(facts);
        reporter.close();
        const result: RefreshResult = { stack: stackName, ok: true, dryRun: flags.dryRun ?? false, nothing: true, verdict: v.text, calls: calls.counts };
        if (opts.output === 'json') printResult(ctx, opts, result);
        else ctx.stdout.write(`Nothing to do: ${v.text}, on the latest ECS AMI${facts.pinnedAmi ? ' (pinned by instances.amiId)' : ''}.\n`);
        return 0;
      }
      const expected = expectedRollSeconds(spec.hosts.length);
      const what = `${pending ? 'Continue replacing' : 'Replace'} ${spec.hosts.length} instance${spec.hosts.length === 1 ? '' : 's'} of stack "${stackName}" one at a time (${spec.reason}${spec.newVersion ? ', a new launch template version first' : ''}); expected about ${formatDuration(expected * 1000)}.`;
      if (!flags.yes && !flags.dryRun) {
        const screen = opts.output === 'json' ? ctx.stderr : ctx.stdout;
        const prompter = await (ctx.prompter ?? inquirerPrompter)({ input: ctx.stdin, output: screen, signal: ctx.signal });
        // Paused, not closed: the roll's progress shows once the question is answered.
        const yes = await askWhilePaused(reporter, async () => {
          screen.write(`${what}\nEach host is drained first; its tasks start elsewhere before it is terminated.\n`);
          // Default no: replacing hosts takes a while and costs a spare instance meanwhile.
          return prompter.confirm({ message: 'Replace these hosts?', default: false });
        });
        if (!yes) {
          screen.write('Nothing was changed.\n');
          return 0;
        }
      } else {
        reporter.info(what);
      }
      const run = await runRoll({ state: stack.state, spec, aws, timing: { ...ctx.timing, timeoutMs: opts.waitTimeoutMs }, signal: ctx.signal, onEvent: (e) => reporter.event(e), dryRun: flags.dryRun });
      const after = run.ok && !flags.dryRun ? hostsVerdict(await inspectHosts(aws, hostTargets(stack.state.state), region)).text : undefined;
      reporter.close();
      const result: RefreshResult = {
        stack: stackName,
        ok: run.ok,
        dryRun: flags.dryRun ?? false,
        reason: spec.reason,
        hosts: spec.hosts.map((h) => h.instanceId),
        ...(spec.newVersion ? { newVersion: spec.newVersion } : {}),
        expectedSeconds: expected,
        steps: stepLines(run),
        ...(after ? { verdict: after } : {}),
        calls: calls.counts,
      };
      printResult(ctx, opts, result);
      if (after && opts.output === 'text') ctx.stdout.write(`${after}.\n`);
      finish(run, stackName, stack.state.conflict);
      return 0;
    } finally {
      aws.destroy();
    }
  } finally {
    reporter.close();
    await stack.close();
  }
}

export function stepLines(run: RunResult): NonNullable<RefreshResult['steps']> {
  return run.results.map((r) => ({ id: r.stepId, title: r.title, outcome: r.outcome, durationMs: Math.round(r.durationMs), ...(r.error ? { error: (r.error as Error).message } : {}) }));
}

/** Maps a roll's end to the exit: interrupted 130 and failures 1, each saying how to continue. */
export function finish(run: RunResult, stack: string, conflict?: Error): void {
  if (conflict) throw conflict;
  const again = `run \`ecs-wizard hosts refresh ${stack}\` (or \`create\`) again to continue the roll`;
  if (run.interrupted) throw new WizardError('INTERRUPTED', `Interrupted. The roll is recorded in the state: ${again}.`);
  if (!run.ok) {
    const failed = run.results.filter((r) => r.outcome === 'failed');
    const first = failed[0]?.error;
    throw new WizardError('STEP_FAILED', failed.map((f) => failureLine(f.title, f.error)).join('\n'), {
      cause: first,
      hint: (first instanceof WizardError && first.hint) || `No host was terminated before its tasks had moved. Fix the cause and ${again}.`,
    });
  }
}

function missing(stack: string, stateDir: string): WizardError {
  return new WizardError('STATE_MISSING', `No state for stack "${stack}" in ${stateDir}.`, {
    hint: 'Run `ecs-wizard list` to see the stacks there.',
  });
}
