import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { NcupdError } from '../errors/ncupd-error.js';
import { configSchema, type NcupdConfig } from './schema.js';
import { rolloutProblems } from '../fleet/rings.js';

export const DEFAULT_CONFIG_PATH = '/etc/ncupd/config.yaml';

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') || '(top level)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** "expected X, got Y at instances[1].strategy": one line per problem, every problem at once. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const where = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} at ${where}`;
    const got = valueAt(input, issue.path);
    const message = issue.message.replace(/^Invalid (input|option): /, '');
    const shown = got === undefined ? 'nothing' : JSON.stringify(got);
    return /received|got /.test(message) || issue.code === 'custom' ? `${message} at ${where}` : `${message}, got ${shown} at ${where}`;
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Checks across entries run on the raw input, so they are reported together with the schema's problems. */
function crossChecks(input: unknown): string[] {
  const instances = (input as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances)) return [];
  const seen = new Set<string>();
  const problems: string[] = [];
  instances.forEach((instance: unknown, index) => {
    const name = (instance as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) problems.push(`duplicate instance name "${name}" at instances[${index}].name`);
    seen.add(name);
  });
  return problems;
}

/** Validates a parsed document; the result is frozen so no stage can change the config of a run. */
export function parseConfig(input: unknown, source: string): NcupdConfig {
  const result = configSchema.safeParse(input);
  const problems = [...(result.success ? rolloutProblems(result.data) : describeIssues(result.error.issues, input)), ...crossChecks(input)];
  if (!result.success || problems.length > 0) {
    throw new NcupdError('NCUPD_CONFIG_INVALID', {
      detail: `${source}: ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    });
  }
  return deepFreeze(result.data!);
}

export function loadConfigFile(path: string): NcupdConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new NcupdError(missing ? 'NCUPD_CONFIG_NOT_FOUND' : 'NCUPD_CONFIG_UNREADABLE', { detail: `cannot read ${path}: ${(cause as Error).message}`, cause });
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new NcupdError('NCUPD_CONFIG_UNREADABLE', { detail: `${path} is not valid YAML:\n${document.errors.map((e) => `  - ${e.message}`).join('\n')}` });
  }
  return parseConfig(document.toJS(), path);
}
