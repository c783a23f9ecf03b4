import { WizardError } from '../errors.js';
import { VERSION } from '../version.js';

/** Where and as whom to call AWS. Region and profile fall back to the SDK's usual chain. */
export interface AwsTarget {
  region?: string;
  profile?: string;
  /** One endpoint for every client (a local emulator). AWS_ENDPOINT_URL also works, through the SDK. */
  endpointUrl?: string;
  /** Attempts per call, including the first (the SDK's adaptive retry mode backs off between them). */
  maxAttempts?: number;
  /** Called after every AWS call, for --verbose logging and for counting calls in tests and the bench. */
  onCall?: (call: AwsCall) => void;
  /** Adds middleware to every client as it is built (tests inject faults here, e.g. test/support/faults.ts). */
  middleware?: (client: { middlewareStack: SdkClient['middlewareStack'] }, service: string) => void;
  /**
   * Refuse every mutating call (dry-run): enforced here, at the mutation boundary, so that no code
   * path — not even a step's repair of a found resource — can change anything.
   */
  readOnly?: boolean;
  /** Settings for the client constructor beyond the common ones (S3: forcePathStyle, followRegionRedirects). */
  clientConfig?: Record<string, unknown>;
}

export interface AwsCall {
  service: string;
  operation: string;
  durationMs: number;
  requestId?: string;
  error?: string;
}

/** Any SDK v3 client class: the factory needs nothing else from it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ClientClass<C> = new (config: any) => C;

/** The part of an SDK client the factory touches. */
interface SdkClient {
  config: { region: () => Promise<string>; credentials: () => Promise<unknown>; serviceId?: string };
  middlewareStack: { add: (mw: unknown, opts: unknown) => void; addRelativeTo: (mw: unknown, opts: unknown) => void };
  destroy(): void;
}

/**
 * Builds SDK clients on first use, one per class, all with the same region, profile, endpoint,
 * adaptive retries and user agent. The factory imports no SDK package itself: each step imports
 * the client it uses, so a command loads only the clients its steps need.
 */
export class AwsClients {
  private readonly cache = new Map<unknown, unknown>();
  private readonly regions = new Map<string, AwsClients>();

  constructor(readonly target: AwsTarget = {}) {}

  /**
   * The same settings (profile, endpoint, call log, read-only, …) in another region, made once:
   * for what an account keeps in a region of its own (ACM certificates in us-east-1).
   */
  inRegion(region: string): AwsClients {
    if (region === this.target.region) return this;
    let clients = this.regions.get(region);
    if (!clients) this.regions.set(region, (clients = new AwsClients({ ...this.target, region })));
    return clients;
  }

  get<C>(Client: ClientClass<C>): C {
    let client = this.cache.get(Client) as C | undefined;
    if (!client) {
      const t = this.target;
      client = new Client({
        ...(t.region ? { region: t.region } : {}),
        ...(t.profile ? { profile: t.profile } : {}),
        ...(t.endpointUrl ? { endpoint: t.endpointUrl } : {}),
        retryMode: 'adaptive',
        maxAttempts: t.maxAttempts ?? 8,
        customUserAgent: [['ecs-wizard', VERSION]],
        ...t.clientConfig,
      });
      if (t.onCall) instrument(client as unknown as SdkClient, Client.name.replace(/Client$/, ''), t.onCall);
      guardAmbiguousCreates(client as unknown as SdkClient);
      t.middleware?.(client as unknown as SdkClient, Client.name.replace(/Client$/, ''));
      if (t.readOnly) guardReadOnly(client as unknown as SdkClient);
      this.cache.set(Client, client);
    }
    return client;
  }

  /**
   * Resolves region and credentials before anything else runs, so that a missing one is a clear
   * input error (exit 2) rather than a failure half-way through.
   */
  async preflight<C>(Client: ClientClass<C>): Promise<{ region: string }> {
    const client = this.get(Client) as unknown as SdkClient;
    let region: string;
    try {
      region = await client.config.region();
    } catch {
      region = '';
    }
    if (!region) {
      throw new WizardError('CREDENTIALS', 'No AWS region is set.', {
        hint: 'Pass --region, set AWS_REGION, set `region:` in the answers file, or set a region in your AWS profile.',
      });
    }
    try {
      await client.config.credentials();
    } catch (err) {
      throw new WizardError('CREDENTIALS', `No AWS credentials could be found (${(err as Error).message}).`, {
        hint: 'Run `aws configure` or `aws sso login`, pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
        cause: err,
      });
    }
    return { region };
  }

  destroy(): void {
    for (const c of this.cache.values()) (c as SdkClient).destroy();
    this.cache.clear();
    for (const r of this.regions.values()) r.destroy();
    this.regions.clear();
  }
}

function instrument(client: SdkClient, service: string, onCall: (call: AwsCall) => void): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<{ output?: { $metadata?: { requestId?: string } } }>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const started = performance.now();
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        try {
          const result = await next(args);
          onCall({ service, operation, durationMs: performance.now() - started, requestId: result.output?.$metadata?.requestId });
          return result;
        } catch (err) {
          const e = err as { name?: string; $metadata?: { requestId?: string } };
          onCall({ service, operation, durationMs: performance.now() - started, requestId: e.$metadata?.requestId, error: e.name });
          throw err;
        }
      },
    { step: 'initialize', name: 'ecsWizardCallLog', override: true },
  );
}

/**
 * Calls that are not safe to send twice: a second CreateX can make a second X (AllocateAddress a
 * second Elastic IP), a second AuthorizeSecurityGroupIngress or AssociateRouteTable fails as a
 * duplicate. (RequestCertificate carries an idempotency token; an UPSERT is idempotent.)
 */
function isNonIdempotent(operation: string): boolean {
  return /^(Create|Register|RunInstances$|Authorize|Associate|Attach(InternetGateway|LoadBalancer)|AddRole|AllocateAddress$)/.test(operation);
}

/** Failures after which nobody knows whether the request took effect. */
function isAmbiguousFailure(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name === 'AbortError') return false;
  const status = e?.$metadata?.httpStatusCode;
  return (
    ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e?.code ?? '') ||
    ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'].includes(e?.name ?? '') ||
    (status !== undefined && status >= 500 && status <= 599)
  );
}

/**
 * The SDK retries a call whose connection broke or whose answer was a 5xx — even a create, whose
 * first attempt may already have taken effect: a second attempt then makes a second gateway or
 * task-definition revision. Inside the retry loop, such failures of non-idempotent calls become
 * an `AmbiguousResponse` the SDK does not retry; the step then looks for what the first attempt
 * made before trying again (see retryAfterAmbiguousResponse in steps/common.ts).
 */
function guardAmbiguousCreates(client: SdkClient): void {
  client.middlewareStack.addRelativeTo(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        return await next(args);
      } catch (err) {
        if (isNonIdempotent(operation) && isAmbiguousFailure(err)) throw new AmbiguousResponse(operation, err);
        throw err;
      }
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'ecsWizardAmbiguousCreates', override: true },
  );
}

/** A non-idempotent call failed in a way that leaves unknown whether it took effect. */
export class AmbiguousResponse extends Error {
  constructor(
    readonly operation: string,
    /** The original failure. Not `cause`: the SDK would find it there and retry after all. */
    readonly original: unknown,
  ) {
    super(`${operation}: the call failed after it may have reached AWS (${(original as Error)?.name ?? 'error'}: ${(original as Error)?.message ?? ''})`);
    this.name = 'AmbiguousResponse';
  }
}

function guardReadOnly(client: SdkClient): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      if (!isReadOperation(operation)) {
        throw new WizardError('DRY_RUN', `Dry run: ${operation} was not called (it would change AWS).`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'ecsWizardReadOnly', override: true },
  );
}

/** Operations that change nothing in AWS: everything else counts as mutating. */
export function isReadOperation(operation: string): boolean {
  return /^(Describe|List|Get|BatchGet|Search|Lookup|Head)/.test(operation);
}
