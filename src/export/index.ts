import type { Answers } from '../wizard/schema.js';
import { VERSION } from '../version.js';
import { buildTemplate, type ExportOptions } from './template.js';
import { templateYaml } from './yaml.js';

/** The formats `export` writes: a list of one today. */
export const EXPORT_FORMATS = ['cloudformation'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportResult {
  text: string;
  resources: number;
  parameters: string[];
}

/** The stack's answers as infrastructure as code in `format`: the text and what it holds. Pure: no AWS call, no clock. */
export function exportStack(answers: Answers, format: ExportFormat, opts: ExportOptions = {}): ExportResult {
  void format;
  const template = buildTemplate(answers, opts);
  const text = templateYaml(template, [
    `CloudFormation template of ecs-wizard stack ${answers.stack}, written by ecs-wizard ${VERSION} export.`,
    'Deploy it under a new stack name: aws cloudformation deploy --template-file <this file> --stack-name <name> --capabilities CAPABILITY_IAM',
    "Not carried over: the release history and the state (README, 'Leaving ecs-wizard').",
  ]);
  return { text, resources: Object.keys(template.Resources).length, parameters: Object.keys(template.Parameters) };
}
