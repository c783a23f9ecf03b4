import { serviceEntries, type Answers, type ServiceAnswers } from './schema.js';

/** Environment variable names that usually carry a secret. */
export const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL/i;

/** What a secret-looking value is replaced with wherever ecs-wizard writes or prints answers. */
export const REDACTED = '***';

/** The plain `environment` names (of every service) that look like secrets and have a value. */
export function secretLookingNames(answers: Answers): string[] {
  return [...new Set(serviceEntries(answers).flatMap((e) => secretNamesOf(e.answers.environment)))].sort();
}

function secretNamesOf(environment: Record<string, string>): string[] {
  return Object.entries(environment)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== '' && value !== REDACTED)
    .map(([name]) => name);
}

/**
 * The answers with secret-looking environment values replaced by "***": what the state file and
 * any printed answers hold. The task definition still gets the real value (it is plain environment,
 * which is exactly why `service.secrets` is the better place for it).
 */
export function redactAnswers(answers: Answers): Answers {
  if (secretLookingNames(answers).length === 0) return answers;
  const redacted = (sv: ServiceAnswers): ServiceAnswers => {
    const environment = { ...sv.environment };
    for (const name of secretNamesOf(environment)) environment[name] = REDACTED;
    return { ...sv, environment };
  };
  if (answers.services !== undefined) return { ...answers, services: Object.fromEntries(Object.entries(answers.services).map(([name, sv]) => [name, redacted(sv)])) };
  return { ...answers, service: redacted(answers.service!) };
}

/** The warning for plain environment values that look secret. */
export function secretWarning(names: string[]): string {
  return `service.environment ${names.join(', ')} look${names.length === 1 ? 's' : ''} secret: the value is visible to anyone who can read the task definition. Put it in SSM Parameter Store or Secrets Manager and name its ARN under service.secrets instead (ecs-wizard redacts it as "***" in the state file and its output).`;
}
