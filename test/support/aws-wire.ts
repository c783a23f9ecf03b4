import { Readable } from 'node:stream';

/**
 * AWS errors as AWS sends them on the wire, one format per protocol, so that the SDK's own
 * deserializers turn them into errors exactly as they do for real AWS (`name`, `Code`, `$fault`,
 * `$metadata.httpStatusCode`, the service's modelled exception class). The strict-AWS proxy
 * answers with these, and `sdkError()` runs one through a real client for unit tests that mock
 * `send` — never an object with only `name` set.
 */

export type Protocol = 'ec2' | 'query' | 'json1.0' | 'json1.1' | 'rest-xml' | 's3';

/** By SigV4 signing name (the service in the Authorization header's credential scope). */
export const PROTOCOL_BY_SIGNING_NAME: Record<string, Protocol> = {
  ec2: 'ec2',
  elasticloadbalancing: 'query',
  autoscaling: 'query',
  iam: 'query',
  sts: 'query',
  monitoring: 'json1.0', // CloudWatch: awsJson1_0 with awsQueryCompatible error codes
  ecs: 'json1.1',
  ecr: 'json1.1',
  logs: 'json1.1',
  ssm: 'json1.1',
  'application-autoscaling': 'json1.1',
  acm: 'json1.1',
  secretsmanager: 'json1.1',
  pricing: 'json1.1', // the Price List Query API (target AWSPriceListService.GetProducts)
  servicediscovery: 'json1.1', // AWS Cloud Map (target Route53AutoNaming_v20170314.<Op>)
  route53: 'rest-xml',
  s3: 's3',
};

/** By the SDK client's `serviceId` (what `sdkError` sees). */
const SIGNING_NAME_BY_SERVICE_ID: Record<string, string> = {
  EC2: 'ec2',
  'Elastic Load Balancing v2': 'elasticloadbalancing',
  'Auto Scaling': 'autoscaling',
  IAM: 'iam',
  STS: 'sts',
  CloudWatch: 'monitoring',
  ECS: 'ecs',
  ECR: 'ecr',
  'CloudWatch Logs': 'logs',
  SSM: 'ssm',
  'Application Auto Scaling': 'application-autoscaling',
  ACM: 'acm',
  'Secrets Manager': 'secretsmanager',
  Pricing: 'pricing',
  ServiceDiscovery: 'servicediscovery',
  'Route 53': 'route53',
  S3: 's3',
};

/** The JSON protocols' error namespace (`__type: "com.amazonaws.ecs#Code"`). */
const JSON_NAMESPACE: Record<string, string> = {
  ecs: 'com.amazonaws.ecs',
  ecr: 'com.amazonaws.ecr',
  logs: 'com.amazonaws.logs',
  ssm: 'com.amazonaws.ssm',
  'application-autoscaling': 'com.amazonaws.applicationautoscaling',
  acm: 'com.amazonaws.acm',
  secretsmanager: 'com.amazonaws.secretsmanager',
  pricing: 'com.amazonaws.pricing',
  servicediscovery: 'com.amazonaws.servicediscovery',
  monitoring: 'com.amazonaws.cloudwatch',
};

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

let requestCounter = 0;
export const fakeRequestId = (): string => `strict-${(++requestCounter).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;

/** The status AWS uses for a code when the caller does not say: throttling and limits have their own. */
export function defaultStatus(code: string): number {
  if (code === 'RequestLimitExceeded' || code === 'ServiceUnavailable' || code === 'SlowDown') return 503;
  if (code === 'InternalError' || code === 'InternalFailure' || code === 'ServerException') return 500;
  if (code === 'PreconditionFailed') return 412;
  return 400;
}

/** An error response for `signingName`'s protocol, as AWS sends it. */
export function wireError(signingName: string, code: string, message: string, status = defaultStatus(code)): WireResponse {
  const protocol = PROTOCOL_BY_SIGNING_NAME[signingName];
  if (!protocol) throw new Error(`aws-wire: no protocol known for service "${signingName}"`);
  const requestId = fakeRequestId();
  const type = status >= 500 ? 'Receiver' : 'Sender';
  switch (protocol) {
    case 'ec2':
      return {
        status,
        headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case 'query':
    case 'rest-xml':
      return {
        status,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<ErrorResponse><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    case 's3':
      return {
        status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
    case 'json1.0':
    case 'json1.1': {
      const ns = JSON_NAMESPACE[signingName] ?? `com.amazonaws.${signingName}`;
      return {
        status,
        headers: {
          'content-type': `application/x-amz-json-${protocol === 'json1.0' ? '1.0' : '1.1'}`,
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazon.coral.service/`,
          // awsQueryCompatible services (CloudWatch) also carry the query-protocol code.
          ...(signingName === 'monitoring' ? { 'x-amzn-query-error': `${code};${type}` } : {}),
        },
        body: JSON.stringify({ __type: `${ns}#${code}`, message }),
      };
    }
  }
}

/** A successful JSON-protocol answer (for synthesized responses such as DELETE_FAILED). */
export function wireJson(signingName: string, body: unknown, status = 200): WireResponse {
  const protocol = PROTOCOL_BY_SIGNING_NAME[signingName];
  return {
    status,
    headers: { 'content-type': `application/x-amz-json-${protocol === 'json1.0' ? '1.0' : '1.1'}`, 'x-amzn-requestid': fakeRequestId() },
    body: JSON.stringify(body),
  };
}

/** A successful XML answer (query / ec2 protocols). */
export function wireXml(body: string, status = 200): WireResponse {
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': fakeRequestId() }, body };
}

/** A handler the SDK calls instead of the network: always answers `response`. */
function cannedHandler(response: WireResponse) {
  return wireHandler(() => response);
}

/**
 * A request handler for a real SDK client that answers each request on the wire with `answer`'s
 * response (given the request's headers and body), so the client's own serializer and
 * deserializer run — for unit tests of code that pages or filters what a service answers.
 */
export function wireHandler(answer: (request: { headers: Record<string, string>; body: string }) => WireResponse) {
  return {
    handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
      const body = typeof request.body === 'string' ? request.body : request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : '';
      const response = answer({ headers: request.headers, body });
      return {
        // Shaped as the SDK's HttpResponse (statusCode, headers, a body stream): it checks the shape, not the class.
        response: { statusCode: response.status, headers: response.headers, body: Readable.from([Buffer.from(response.body)]) },
      };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClientClass = new (config: any) => { send(command: any): Promise<unknown>; config: { serviceId?: string }; destroy(): void };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommandClass = new (input: any) => unknown;

/**
 * The error the real SDK raises when AWS answers `Command` with `code`: the wire response goes
 * through the client's own deserializer, so `name`, `Code`, `$fault`, `$metadata.httpStatusCode`
 * and the modelled exception class are what real AWS would produce. For unit tests that script
 * `send` with aws-sdk-client-mock: `.rejects(await sdkError(EC2Client, CreateRouteCommand, 'InvalidRouteTableID.NotFound'))`.
 */
export async function sdkError(
  Client: AnyClientClass,
  Command: AnyCommandClass,
  code: string,
  message = `${code} (injected)`,
  opts: { status?: number; input?: Record<string, unknown> } = {},
): Promise<Error & { name: string; Code?: string; $fault: 'client' | 'server'; $metadata: { httpStatusCode?: number } }> {
  const probe = new Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const signingName = SIGNING_NAME_BY_SERVICE_ID[probe.config.serviceId ?? ''];
  probe.destroy();
  if (!signingName) throw new Error(`aws-wire: unknown serviceId "${probe.config.serviceId}"`);
  const client = new Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    requestHandler: cannedHandler(wireError(signingName, code, message, opts.status)),
  });
  try {
    // The command's own middleware stack rather than client.send: aws-sdk-client-mock stubs `send`
    // on the whole class, so a test that mocks this client would otherwise get the mock here.
    const command = new Command(opts.input ?? defaultInput(signingName)) as { resolveMiddleware(stack: unknown, config: unknown, options: unknown): (c: unknown) => Promise<unknown> };
    const raw = client as unknown as { middlewareStack: unknown; config: unknown };
    await command.resolveMiddleware(raw.middlewareStack, raw.config, undefined)(command);
  } catch (err) {
    return err as never;
  } finally {
    client.destroy();
  }
  throw new Error(`aws-wire: ${code} did not make the SDK throw`);
}

/** REST protocols need their path labels to serialize a request at all. */
function defaultInput(signingName: string): Record<string, unknown> {
  if (signingName === 's3') return { Bucket: 'bucket', Key: 'key' };
  if (signingName === 'route53') return { Id: 'Z000000000000', HostedZoneId: 'Z000000000000' };
  return {};
}
