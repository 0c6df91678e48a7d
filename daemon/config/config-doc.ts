import { z } from 'zod';
import { configSchema } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  const?: unknown;
  /** A discriminated union (the notifications): one object per variant, told apart by `type`. */
  oneOf?: JsonSchema[];
}

/** The value of the variant's `type` key (`webhook`, `email`...). */
function variantName(variant: JsonSchema): string {
  return String(variant.properties?.type?.const ?? 'entry');
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (schema.oneOf) return `section by \`type\`: ${schema.oneOf.map((v) => `\`${variantName(v)}\``).join(' \\| ')}`;
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.properties) return 'section';
  return Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type ?? 'value';
}

function section(title: string, prefix: string, schema: JsonSchema, out: string[], nested: [string, string, JsonSchema][]): void {
  out.push(`## ${title}`, '', '| key | type | default | meaning |', '|---|---|---|---|');
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const required = schema.required?.includes(key) && child.default === undefined;
    const fallback = child.default === undefined ? (required ? 'required' : '') : `\`${JSON.stringify(child.default)}\``;
    const meaning = child.description ?? (child.const !== undefined ? `Selects this kind of entry: \`${key}: ${String(child.const)}\`.` : '');
    out.push(`| \`${prefix}${key}\` | ${typeOf(child)} | ${fallback} | ${meaning.replace(/\|/g, '\\|')} |`);
    if (child.properties) nested.push([`${title}: ${key}`, `${prefix}${key}.`, child]);
    if (child.items?.properties) nested.push([`${key} (each entry)`, `${key}[].`, child.items]);
    for (const variant of child.items?.oneOf ?? []) nested.push([`${key} (each entry of type ${variantName(variant)})`, `${key}[].`, variant]);
  }
  out.push('');
}

/** docs/configuration.md, generated from the schema (`npm run docs`); a test keeps them equal. */
export function renderConfigurationDoc(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = [
    '# Configuration reference',
    '',
    'ncupd reads one YAML file, `/etc/ncupd/config.yaml` unless `--config` names another. Every problem',
    'is reported at once with its place (`expected X, got Y at instances[1].strategy`), unknown keys are',
    'refused, and `ncupd config check` validates a file without touching anything. Without a file, the',
    'flags `--path`, `--web-user`, `--php`, `--url`, `--update-server`, `--channel` and `--trust-cert`',
    'describe one local instance named `default`.',
    '',
    'Generated from `daemon/config/schema.ts` by `npm run docs`; do not edit by hand.',
    '',
    '```yaml',
    'instances:',
    '  - name: cloud',
    '    path: /var/www/nextcloud',
    '    webUser: www-data',
    '    php: /usr/bin/php8.2',
    '    url: https://cloud.example.com',
    '    policy:',
    '      majors: hold',
    '```',
    '',
  ];
  const queue: [string, string, JsonSchema][] = [];
  section('Top level', '', schema, out, queue);
  while (queue.length > 0) {
    const [title, prefix, child] = queue.shift()!;
    section(title, prefix, child, out, queue);
  }
  return out.join('\n');
}
