import * as path from 'node:path';
import type { AwsCall, AwsClients } from '../aws/clients.js';
import { WizardError } from '../errors.js';
import { FileStore } from '../engine/file-store.js';
import { StateFile, emptyState, type StackState } from '../engine/state.js';
import { describeHolder, type StackLock, type StateStore } from '../engine/store.js';
import type { CliContext } from './context.js';
import type { CommonOptions, StateLocation } from './options.js';
import { closeNames, oneOf } from '../words.js';

/**
 * The state store of `--state-dir` / ECS_WIZARD_STATE_DIR: a directory, or an S3 bucket and prefix
 * (its client, loaded only then, uses the same profile and endpoint, in the bucket's own region).
 */
export async function openStore(opts: CommonOptions, ctx: CliContext, location: StateLocation = opts.state): Promise<StateStore> {
  if (location.kind === 'file') return new FileStore(location.dir);
  const { connectS3Store } = await import('../aws/s3-state.js');
  return connectS3Store(location, s3ClientsFor(opts, ctx), opts.region);
}

/** Clients for a state bucket: the command's profile and endpoint, path-style addressing on a custom endpoint. */
export function s3ClientsFor(opts: CommonOptions, ctx: CliContext, onCall?: (c: AwsCall) => void): (region: string | undefined) => AwsClients {
  // An emulator or a private endpoint has no bucket subdomains.
  const custom = Boolean(opts.endpointUrl ?? ctx.env.AWS_ENDPOINT_URL_S3 ?? ctx.env.AWS_ENDPOINT_URL);
  return (region) => ctx.makeClients({ region, profile: opts.profile, endpointUrl: opts.endpointUrl, clientConfig: { forcePathStyle: custom, followRegionRedirects: true }, ...(onCall ? { onCall } : {}) });
}

/**
 * A stack's state read without its lock (status and other read-only commands): undefined when
 * there is none; a corrupt or newer one is refused (STATE_INVALID) and left as it is. STACK may be
 * left out when the store holds exactly one stack.
 */
export async function readStack(opts: CommonOptions, stackArg: string | undefined, ctx: CliContext, command: string): Promise<{ stack: string; state: StackState | undefined; where: string }> {
  const store = await openStore(opts, ctx);
  try {
    const stack = stackArg ?? (await onlyStack(store, command));
    return { stack, state: (await store.read(stack))?.state, where: store.where(stack) };
  } finally {
    store.close();
  }
}

/**
 * A stack's state read without its lock, for a command that needs one (status, logs, releases,
 * hosts): no state is the "no stack" error, with the names close to the one given.
 */
export async function readExistingStack(opts: CommonOptions, stackArg: string | undefined, ctx: CliContext, command: string): Promise<{ stack: string; state: StackState; where: string }> {
  const store = await openStore(opts, ctx);
  try {
    const stack = stackArg ?? (await onlyStack(store, command));
    const state = (await store.read(stack))?.state;
    if (!state) throw await noStackError(store, stack, ctx.cwd);
    return { stack, state, where: store.where(stack) };
  } finally {
    store.close();
  }
}

/** A store's location as the user would type it: a directory under the current one as ./…, else as it is. */
export function shownLocation(store: Pick<StateStore, 'location'>, cwd: string): string {
  if (/^s3:/i.test(store.location)) return store.location;
  const rel = path.relative(cwd, store.location);
  if (rel === '') return '.';
  return rel.startsWith('..') || path.isAbsolute(rel) ? store.location : `./${rel}`;
}

/**
 * What to say when a store holds no state for `stack`: where it looked, and the stacks there whose
 * names are close to it ("no stack shop-wbe in ./.ecs-wizard; did you mean shop-web?").
 */
export async function noStack(store: StateStore, stack: string, cwd: string): Promise<{ message: string; hint: string; suggestions: string[]; where: string }> {
  const names = await store.list().catch(() => [] as string[]);
  const suggestions = closeNames(stack, names);
  const where = shownLocation(store, cwd);
  const message = `no stack ${stack} in ${where}${suggestions.length ? `; did you mean ${oneOf(suggestions)}?` : ''}`;
  const hint = names.length
    ? `${where} holds ${names.join(', ')}. Check the name, or pass --state-dir where the stack's state is.`
    : `${where} holds no stacks: pass --state-dir where the stack's state is (or set ECS_WIZARD_STATE_DIR), or create the stack with \`ecs-wizard create\`.`;
  return { message, hint, suggestions, where };
}

/** The error of every command that needs a stack's state and finds none (exit 1). */
export async function noStackError(store: StateStore, stack: string, cwd: string): Promise<WizardError> {
  const { message, hint, suggestions } = await noStack(store, stack, cwd);
  return new WizardError('STATE_MISSING', message, { hint, problems: [{ path: 'STACK', message: suggestions.length ? `did you mean ${oneOf(suggestions)}?` : `has no state in ${shownLocation(store, cwd)}` }] });
}

async function onlyStack(store: StateStore, command: string): Promise<string> {
  const names = await store.list();
  if (names.length === 1) return names[0]!;
  throw new WizardError(names.length ? 'USAGE' : 'STATE_MISSING', names.length ? `Which stack? ${store.location} holds ${names.join(', ')}.` : `No stacks in ${store.location}.`, {
    problems: names.length ? [{ path: 'STACK', message: `is required: one of ${names.join(', ')}` }] : [],
    hint: names.length ? `Run \`ecs-wizard ${command} ${names[0]}\`.` : 'Pass --state-dir, or create a stack with `ecs-wizard create`.',
  });
}

export interface OpenStack {
  store: StateStore;
  state: StateFile;
  lock: StackLock;
  /** The state as stored (undefined for a new stack). */
  existing: StackState | undefined;
  /** Releases the lock and the store; never throws (a lock it cannot release is reported on stderr). */
  close(): Promise<void>;
}

/**
 * The one way a command that changes a stack starts: takes the stack's lock (waiting up to
 * --lock-timeout for another run's), then reads its state (none: a new stack). Every write of
 * `state` is conditional on what was read. `close()` in a finally releases the lock.
 */
export async function openStack(opts: CommonOptions, stack: string, command: string, ctx: CliContext): Promise<OpenStack> {
  const store = await openStore(opts, ctx);
  let lock: StackLock | undefined;
  try {
    lock = await store.lock(stack, command, {
      timeoutMs: opts.lockTimeoutMs,
      signal: ctx.signal,
      onWait: (h) => ctx.stderr.write(`Stack "${stack}" is locked by ${describeHolder(h)}: waiting up to ${Math.round(opts.lockTimeoutMs / 1000)} s for it…\n`),
    });
    const stored = await store.read(stack);
    const state = new StateFile({ store, stack, revision: stored?.revision }, stored?.state ?? emptyState(stack));
    const held = lock;
    return {
      store,
      state,
      lock,
      existing: stored?.state,
      async close() {
        try {
          await held.release();
        } catch (err) {
          ctx.stderr.write(`warning: ${(err as Error).message}\nThe lock is left behind: clear it with \`ecs-wizard unlock ${stack} --state-dir ${store.location}\`.\n`);
        } finally {
          store.close();
        }
      },
    };
  } catch (err) {
    await lock?.release().catch(() => undefined);
    store.close();
    throw err;
  }
}
