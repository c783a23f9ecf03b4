import type { Answers } from './schema.js';

/** Environment variable names that usually carry a secret. */
export const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL/i;

/** What a secret-looking value is replaced with wherever ecs-wizard writes or prints answers. */
export const REDACTED = '***';

/** The plain `service.environment` names that look like secrets and have a value. */
export function secretLookingNames(answers: Answers): string[] {
  return Object.entries(answers.service.environment)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== '' && value !== REDACTED)
    .map(([name]) => name)
    .sort();
}

/**
 * The answers with secret-looking environment values replaced by "***": what the state file and
 * any printed answers hold. The task definition still gets the real value (it is plain environment,
 * which is exactly why `service.secrets` is the better place for it).
 */
export function redactAnswers(answers: Answers): Answers {
  const names = secretLookingNames(answers);
  if (names.length === 0) return answers;
  const environment = { ...answers.service.environment };
  for (const name of names) environment[name] = REDACTED;
  return { ...answers, service: { ...answers.service, environment } };
}

/** The warning for plain environment values that look secret. */
export function secretWarning(names: string[]): string {
  return `service.environment ${names.join(', ')} look${names.length === 1 ? 's' : ''} secret: the value is visible to anyone who can read the task definition. Put it in SSM Parameter Store or Secrets Manager and name its ARN under service.secrets instead (ecs-wizard redacts it as "***" in the state file and its output).`;
}
