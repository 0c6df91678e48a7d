import winston from 'winston';
import { isNcupdError } from '../errors/ncupd-error.js';
import { redact } from '../hosts/redact.js';

// Logs (shared/style.md, point 7): fixed messages with structured fields, secrets masked in every
// form. Under systemd each line starts with its syslog priority, which journald reads from stdout
// and stderr (SyslogLevelPrefix=, on by default), so `journalctl -p warning` works.

export type LogLevel = 'error' | 'warn' | 'notice' | 'info' | 'debug';
export type LogFormat = 'auto' | 'journal' | 'human' | 'json';
export type LogFields = Readonly<Record<string, unknown>>;

/** syslog(3) priorities: err, warning, notice, info, debug. */
export const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, notice: 2, info: 3, debug: 4 };
const COLOURS: Record<LogLevel, string> = { error: '31', warn: '33', notice: '36', info: '32', debug: '90' };
const RESERVED = new Set(['level', 'message', 'time']);

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (one per run: run id, instance, versions). */
  child(fields: LogFields): Logger;
  /** Masks this value, plain, URL-encoded and base64, in every later line of this logger and its relatives. */
  addSecret(secret: string): void;
  /** Writes what is buffered and ends the logger. */
  close(): Promise<void>;
}

export interface LoggerOptions {
  readonly format?: LogFormat;
  readonly level?: LogLevel;
  /** Default: stdout for journal and json, stderr for human (stdout stays for command output). */
  readonly stream?: NodeJS.WritableStream;
  /** For `auto` and NO_COLOR; default: this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  readonly secrets?: readonly string[];
  /** Colour the level (human format); default: only when the stream is a terminal and NO_COLOR is unset. */
  readonly colour?: boolean;
}

/** `auto`: journal under systemd (JOURNAL_STREAM or INVOCATION_ID set), human otherwise. */
export function resolveLogFormat(format: LogFormat, env: NodeJS.ProcessEnv = process.env): Exclude<LogFormat, 'auto'> {
  if (format !== 'auto') return format;
  return env.JOURNAL_STREAM || env.INVOCATION_ID ? 'journal' : 'human';
}

function plain(value: unknown): unknown {
  if (isNcupdError(value)) return `${value.code}: ${value.message}`;
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

function stringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Masks secrets in the message and in every string inside the fields. */
function redactValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  const simple = plain(value);
  if (typeof simple === 'string') return redact(simple, secrets);
  if (simple === null || typeof simple !== 'object') return simple;
  // Deeper than any field ncupd logs (and a cycle): shown as text, which is masked too.
  if (depth > 6) return redact(stringify(simple), secrets);
  if (Array.isArray(simple)) return simple.map((item) => redactValue(item, secrets, depth + 1));
  return Object.fromEntries(Object.entries(simple).map(([key, item]) => [key, redactValue(item, secrets, depth + 1)]));
}

/** A winston format that masks the given secrets (read at each line, so later ones count too). */
export function redactSecrets(secrets: () => readonly string[]): winston.Logform.Format {
  return winston.format((info) => {
    const list = secrets();
    if (list.length === 0) return info;
    for (const key of Object.keys(info)) {
      if (key !== 'level') info[key] = redactValue(info[key], list);
    }
    return info;
  })();
}

function fieldsOf(info: winston.Logform.TransformableInfo): [string, unknown][] {
  return Object.entries(info).filter(([key]) => !RESERVED.has(key)).map(([key, value]) => [key, plain(value)]);
}

function fieldsText(info: winston.Logform.TransformableInfo): string {
  return fieldsOf(info).map(([key, value]) => {
    const text = typeof value === 'string' ? value : stringify(value);
    return ` ${key}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`;
  }).join('');
}

function localTime(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function outputFormat(kind: Exclude<LogFormat, 'auto'>, colour: boolean): winston.Logform.Format {
  if (kind === 'journal') {
    // Every line carries the prefix: journald splits on newlines, and a bare continuation line of a stack would be logged as info.
    return winston.format.printf((info) => {
      const priority = SYSLOG_PRIORITY[info.level as LogLevel];
      return `${String(info.message)}${fieldsText(info)}`.split('\n').map((line) => `<${priority}>${line}`).join('\n');
    });
  }
  if (kind === 'json') {
    return winston.format.printf((info) => stringify({ time: new Date().toISOString(), level: info.level, message: info.message, ...Object.fromEntries(fieldsOf(info)) }));
  }
  return winston.format.printf((info) => {
    const level = info.level.padEnd(6);
    return `${localTime(new Date())} ${colour ? `\u001b[${COLOURS[info.level as LogLevel]}m${level}\u001b[0m` : level} ${String(info.message)}${fieldsText(info)}`;
  });
}

function wrap(inner: winston.Logger, secrets: Set<string>): Logger {
  const at = (level: LogLevel) => (message: string, fields: LogFields = {}) => { inner.log(level, message, { ...fields }); };
  return {
    error: at('error'), warn: at('warn'), notice: at('notice'), info: at('info'), debug: at('debug'),
    child: (fields) => wrap(inner.child({ ...fields }), secrets),
    addSecret: (secret) => { if (secret) secrets.add(secret); },
    close: () => new Promise((resolve) => {
      inner.on('finish', () => resolve());
      inner.end();
    }),
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const kind = resolveLogFormat(options.format ?? 'auto', env);
  const stream = options.stream ?? (kind === 'human' ? process.stderr : process.stdout);
  const colour = options.colour ?? ((stream as NodeJS.WriteStream).isTTY === true && !env.NO_COLOR);
  const secrets = new Set((options.secrets ?? []).filter(Boolean));
  const inner = winston.createLogger({
    levels: LEVELS,
    level: options.level ?? 'info',
    format: winston.format.combine(redactSecrets(() => [...secrets]), outputFormat(kind, colour)),
    transports: [new winston.transports.Stream({ stream, eol: '\n' })],
    exitOnError: false,
  });
  return wrap(inner, secrets);
}
