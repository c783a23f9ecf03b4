import type { Answers } from '../wizard/schema.js';
import { VERSION } from '../version.js';
import { buildTemplate, type ExportOptions } from './template.js';
import { templateYaml } from './yaml.js';

export interface ExportResult {
  text: string;
  resources: number;
  parameters: string[];
}

/** The stack as a CloudFormation template (YAML). */
function cloudFormation(answers: Answers, opts: ExportOptions): ExportResult {
  const template = buildTemplate(answers, opts);
  const text = templateYaml(template, [
    `CloudFormation template of ecs-wizard stack ${answers.stack}, written by ecs-wizard ${VERSION} export.`,
    'Deploy it under a new stack name: aws cloudformation deploy --template-file <this file> --stack-name <name> --capabilities CAPABILITY_IAM',
    "Not carried over: the release history and the state (README, 'Leaving ecs-wizard').",
  ]);
  return { text, resources: Object.keys(template.Resources).length, parameters: Object.keys(template.Parameters) };
}

/** The formats `export` writes (a list of one today), each a writer of the same template data. */
const WRITERS = { cloudformation: cloudFormation } as const;
export type ExportFormat = keyof typeof WRITERS;
export const EXPORT_FORMATS = Object.keys(WRITERS) as ExportFormat[];

/** The stack's answers as infrastructure as code in `format`: the text and what it holds. Pure: no AWS call, no clock. */
export function exportStack(answers: Answers, format: ExportFormat, opts: ExportOptions = {}): ExportResult {
  return WRITERS[format](answers, opts);
}
