import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isReadOperation } from '../../src/aws/clients.js';
import { PROTOCOL_BY_SIGNING_NAME, wireError, type WireResponse } from './aws-wire.js';
import { seededRandom } from './faults.js';

/**
 * The strict-AWS harness: an HTTP proxy on loopback between the real AWS SDK and moto server.
 * Every request goes through; rules answer some of them the way real AWS does where moto is
 * lenient (eventual consistency, service-linked roles, ALBs still provisioning, dependency
 * errors, throttling), in each protocol's own wire format, so the SDK's own deserializers parse
 * them exactly as they parse AWS. Each rule counts how often it fired: a test asserts that its
 * rule fired, so no test passes by never reaching the path it claims to cover.
 *
 *   const aws = await startStrictAws(moto.endpoint, { seed: 7, throttleReads: 0.05 });
 *   aws.rule({ name: 'sg-not-yet', service: 'ec2', operation: 'AuthorizeSecurityGroupIngress', times: 2,
 *              error: { code: 'InvalidGroup.NotFound', message: "The security group 'sg-…' does not exist" } });
 *   … point the SDK (or the built CLI's --endpoint-url) at aws.endpoint …
 *   expect(aws.fired('sg-not-yet')).toBe(2);
 */

export interface AwsRequest {
  /** SigV4 signing name from the Authorization header (ec2, ecs, elasticloadbalancing, iam, …). */
  service: string;
  /** The API operation (CreateService, DescribeLoadBalancers, …). */
  operation: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Query-protocol parameters (EC2, ELBv2, Auto Scaling, IAM, STS), flattened as sent: `SecurityGroupId.1`. */
  params: URLSearchParams;
  /** JSON-protocol input (ECS, ECR, Logs, SSM, Application Auto Scaling, ACM), parsed. */
  json: Record<string, unknown> | undefined;
  /** True for operations that change nothing (Describe/List/Get…), as the tool itself classifies them. */
  read: boolean;
}

export interface RuleError {
  code: string;
  message: string;
  status?: number;
}

export interface RuleContext {
  /** Send the request on to moto and return its answer (to pass it through, or to rewrite it). */
  forward(): Promise<WireResponse>;
  /** moto's own endpoint, for a rule that must look at the world before it answers. */
  upstream: string;
}

export interface Rule {
  /** Unique; `fired(name)` counts its answers. */
  name: string;
  service: string;
  operation: string | RegExp;
  /** Only requests for which this holds (it may look at moto through ctx.upstream). */
  when?: (req: AwsRequest, ctx: RuleContext) => boolean | Promise<boolean>;
  /** Let the first `skip` matching requests through untouched. */
  skip?: number;
  /** Fire at most this many times (default: every matching request). */
  times?: number;
  /** Fire on this share of matching requests (seeded: reproducible for a given seed and call order). */
  probability?: number;
  /** Answer with this AWS error instead of forwarding. */
  error?: RuleError | ((req: AwsRequest) => RuleError);
  /**
   * Answer however AWS would: return a response to send (counts as fired), or undefined to let the
   * request through to moto unchanged (does not count). May call ctx.forward() to rewrite moto's answer.
   */
  respond?: (req: AwsRequest, ctx: RuleContext) => Promise<WireResponse | undefined>;
}

export interface LoggedRequest {
  service: string;
  operation: string;
  read: boolean;
  status: number;
  /** The rule that answered, if any. */
  rule?: string;
}

export interface StrictAws {
  endpoint: string;
  upstream: string;
  rule(rule: Rule): void;
  rules(rules: Rule[]): void;
  /** How many times a rule answered. */
  fired(name: string): number;
  /** Every rule by name with its count (rules that never fired show 0). */
  firedAll(): Record<string, number>;
  /** Every request that reached the proxy, in order. */
  readonly requests: LoggedRequest[];
  /** Requests that would change AWS (by the tool's own read/mutating split), for "0 mutating calls" checks. */
  mutating(): LoggedRequest[];
  /**
   * Hears every request with the answer the caller got (moto's or a rule's), so rules can know
   * what happened just before — the ids a create returned, a delete that went through.
   */
  observe(listener: (req: AwsRequest, answer: WireResponse) => void): void;
  /** Drop all rules, counts and the request log. */
  clear(): void;
  stop(): Promise<void>;
}

/** Throttling as each protocol reports it to a busy caller. */
const THROTTLE: Record<string, RuleError> = {
  ec2: { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
  query: { code: 'Throttling', message: 'Rate exceeded', status: 400 },
  'json1.0': { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 },
  'json1.1': { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 },
  'rest-xml': { code: 'Throttling', message: 'Rate exceeded', status: 400 },
  s3: { code: 'SlowDown', message: 'Please reduce your request rate.', status: 503 },
};

export function throttleErrorFor(service: string): RuleError {
  return THROTTLE[PROTOCOL_BY_SIGNING_NAME[service] ?? 'query']!;
}

function signingName(headers: Record<string, string>): string {
  const m = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '');
  return m?.[1] ?? 'unknown';
}

/** Route 53 and S3 name their operation by method and path, not in the body. */
function restOperation(service: string, method: string, path: string): string {
  const p = path.split('?')[0]!;
  const query = path.includes('?') ? new URLSearchParams(path.slice(path.indexOf('?') + 1)) : new URLSearchParams();
  if (service === 'route53') {
    if (/\/hostedzonesbyname$/.test(p)) return 'ListHostedZonesByName';
    if (/\/hostedzone\/[^/]+\/rrset\/?$/.test(p)) return method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets';
    if (/\/change\/[^/]+$/.test(p)) return 'GetChange';
    if (/\/hostedzone\/[^/]+$/.test(p)) return method === 'DELETE' ? 'DeleteHostedZone' : 'GetHostedZone';
    if (/\/hostedzone\/?$/.test(p)) return method === 'POST' ? 'CreateHostedZone' : 'ListHostedZones';
    return `${method} ${p}`;
  }
  if (service === 's3') {
    const parts = p.split('/').filter(Boolean);
    const onObject = parts.length >= 2;
    // A bucket's sub-resources first: a GET of /BUCKET?encryption is no listing.
    if (query.has('location')) return 'GetBucketLocation';
    if (query.has('versioning')) return method === 'PUT' ? 'PutBucketVersioning' : 'GetBucketVersioning';
    if (query.has('encryption')) return method === 'PUT' ? 'PutBucketEncryption' : 'GetBucketEncryption';
    if (query.has('publicAccessBlock')) return method === 'PUT' ? 'PutPublicAccessBlock' : 'GetPublicAccessBlock';
    if (query.has('lifecycle')) return method === 'PUT' ? 'PutBucketLifecycleConfiguration' : 'GetBucketLifecycleConfiguration';
    if (query.has('list-type') || (method === 'GET' && !onObject)) return 'ListObjectsV2';
    if (!onObject) return { PUT: 'CreateBucket', HEAD: 'HeadBucket', DELETE: 'DeleteBucket' }[method] ?? `${method} bucket`;
    return { GET: 'GetObject', PUT: 'PutObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] ?? `${method} object`;
  }
  return `${method} ${p}`;
}

function parseRequest(req: IncomingMessage, body: string): AwsRequest {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
  const service = signingName(headers);
  const protocol = PROTOCOL_BY_SIGNING_NAME[service];
  const path = req.url ?? '/';
  let operation = 'Unknown';
  let params = new URLSearchParams();
  let json: Record<string, unknown> | undefined;
  if (protocol === 'json1.0' || protocol === 'json1.1') {
    operation = (headers['x-amz-target'] ?? '').split('.').pop() || 'Unknown';
    try {
      json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      json = undefined;
    }
  } else if (protocol === 'ec2' || protocol === 'query') {
    params = new URLSearchParams(body || (path.includes('?') ? path.slice(path.indexOf('?') + 1) : ''));
    operation = params.get('Action') ?? 'Unknown';
  } else if (protocol === 'rest-xml' || protocol === 's3') {
    operation = restOperation(service, req.method ?? 'GET', path);
  }
  const read = protocol === 's3' || protocol === 'rest-xml' ? /^(Get|List|Head)/.test(operation) : isReadOperation(operation);
  return { service, operation, method: req.method ?? 'GET', path, headers, body, params, json, read };
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function forwardTo(upstream: URL, req: IncomingMessage, body: Buffer): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: upstream.host };
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (res) => {
      readBody(res).then((b) => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(',') : v;
        resolve({ status: res.statusCode ?? 500, headers: h, body: b.toString('utf8') });
      }, reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

function send(res: ServerResponse, r: WireResponse): void {
  const headers = { ...r.headers };
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  res.writeHead(r.status, { ...headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}

function matches(rule: Rule, req: AwsRequest): boolean {
  if (rule.service !== req.service) return false;
  return typeof rule.operation === 'string' ? rule.operation === req.operation : rule.operation.test(req.operation);
}

/**
 * Starts the proxy on a free loopback port in front of `upstream` (moto). `throttleReads` answers
 * that share of read calls with the protocol's throttling error (seeded), as a busy account would.
 */
export async function startStrictAws(upstream: string, opts: { seed?: number; throttleReads?: number } = {}): Promise<StrictAws> {
  const target = new URL(upstream);
  const random = seededRandom(opts.seed ?? 1);
  let rules: Rule[] = [];
  const seen = new Map<string, number>();
  const fired = new Map<string, number>();
  const requests: LoggedRequest[] = [];
  let observers: ((req: AwsRequest, answer: WireResponse) => void)[] = [];
  const THROTTLE_RULE = 'throttle-reads';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const r = parseRequest(req, raw.toString('utf8'));
    const ctx: RuleContext = { forward: () => forwardTo(target, req, raw), upstream };
    const log = (status: number, rule?: string): void => void requests.push({ service: r.service, operation: r.operation, read: r.read, status, ...(rule ? { rule } : {}) });
    const reply = (answer: WireResponse): void => {
      for (const o of observers) o(r, answer);
      send(res, answer);
    };
    const fire = (name: string): void => void fired.set(name, (fired.get(name) ?? 0) + 1);

    for (const rule of rules) {
      if (!matches(rule, r)) continue;
      if (rule.times !== undefined && (fired.get(rule.name) ?? 0) >= rule.times) continue;
      if (rule.when && !(await rule.when(r, ctx))) continue;
      const n = (seen.get(rule.name) ?? 0) + 1;
      seen.set(rule.name, n);
      if (rule.skip !== undefined && n <= rule.skip) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      if (rule.error) {
        const e = typeof rule.error === 'function' ? rule.error(r) : rule.error;
        fire(rule.name);
        const answer = wireError(r.service, e.code, e.message, e.status);
        log(answer.status, rule.name);
        return reply(answer);
      }
      if (rule.respond) {
        const answer = await rule.respond(r, ctx);
        if (answer === undefined) continue;
        fire(rule.name);
        log(answer.status, rule.name);
        return reply(answer);
      }
    }
    if (opts.throttleReads && r.read && r.service !== 'unknown' && random() < opts.throttleReads) {
      const e = throttleErrorFor(r.service);
      fire(THROTTLE_RULE);
      const answer = wireError(r.service, e.code, e.message, e.status);
      log(answer.status, THROTTLE_RULE);
      return reply(answer);
    }
    const answer = await ctx.forward();
    log(answer.status);
    reply(answer);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A broken rule must fail the test loudly, not look like AWS.
      res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`strict-aws proxy error: ${(err as Error)?.stack ?? String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  const addRule = (rule: Rule): void => {
    if (rules.some((x) => x.name === rule.name)) throw new Error(`strict-aws: duplicate rule name "${rule.name}"`);
    rules.push(rule);
    fired.set(rule.name, fired.get(rule.name) ?? 0);
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    upstream,
    rule: addRule,
    rules: (list) => list.forEach(addRule),
    fired: (name) => fired.get(name) ?? 0,
    firedAll: () => Object.fromEntries(fired),
    requests,
    mutating: () => requests.filter((q) => !q.read),
    observe: (listener) => void observers.push(listener),
    clear() {
      rules = [];
      observers = [];
      seen.clear();
      fired.clear();
      requests.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
