import { stringify } from 'yaml';
import type { Template } from './cfn.js';

/**
 * The template as YAML: long-form intrinsics (plain maps, no custom tags), YAML 1.1 quoting (so
 * "2010-09-09", "yes" or "on" stay strings for every YAML reader CloudFormation tools use), no
 * anchors, no folded lines. Same template, same bytes.
 */
export function templateYaml(template: Template, header: string[]): string {
  const body = stringify(template, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
  return `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${body}`;
}
