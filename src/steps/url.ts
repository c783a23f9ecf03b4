import { httpsOn, type Answers } from '../wizard/schema.js';

/** Plain HTTP, where browsers knock first: the redirect listener's port. */
export const HTTP_PORT = 80;

/**
 * The URL the stack serves: `https://<domain>` with HTTPS and a domain, `https://<ALB name>` with
 * only a certificate, else `http://<ALB name>`; the port only when it is not the scheme's own.
 * Without the ALB's DNS name (not created yet) only a domain gives one.
 */
export function stackUrl(answers: Answers, albDnsName?: string): string | undefined {
  const lb = answers.loadBalancer;
  const port = lb.listenerPort;
  if (httpsOn(lb)) {
    const host = lb.domain ?? albDnsName;
    return host ? `https://${host}${port === 443 ? '' : `:${port}`}` : undefined;
  }
  return albDnsName ? `http://${albDnsName}${port === HTTP_PORT ? '' : `:${port}`}` : undefined;
}
