// Maintenance windows: a 5-field cron expression says when a window opens, `durationMinutes` how
// long it stays open, in a time zone. node-cron schedules the daemon's ticks; deciding "is a window
// open now, and when does the next one open" needs the expression evaluated at any minute, which
// node-cron does not offer, so this small matcher does it (same syntax: numbers, *, lists, ranges, steps, names).
import type { WindowConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';

const FIELDS = [
  { name: 'minute', min: 0, max: 59, names: [] as string[] },
  { name: 'hour', min: 0, max: 23, names: [] as string[] },
  { name: 'day of month', min: 1, max: 31, names: [] as string[] },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

export interface CronMatcher {
  readonly expression: string;
  readonly sets: readonly ReadonlySet<number>[];
  /** Cron's rule: when both day fields are restricted, a day matches either. */
  readonly dayOr: boolean;
}

function bad(expression: string, why: string): NcupdError {
  return new NcupdError('NCUPD_CONFIG_INVALID', { detail: `cron expression "${expression}": ${why}` });
}

export function parseCron(expression: string): CronMatcher {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw bad(expression, `expected 5 fields (minute hour day month weekday), got ${parts.length}`);
  const sets = parts.map((part, index) => {
    const field = FIELDS[index]!;
    const value = (text: string): number => {
      const named = (field.names as readonly string[]).indexOf(text.toLowerCase());
      const n = named >= 0 ? named + (field.name === 'month' ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isInteger(n) || n < field.min || n > field.max) throw bad(expression, `"${text}" is not a ${field.name} (${field.min}-${field.max})`);
      return n;
    };
    const set = new Set<number>();
    for (const item of part.split(',')) {
      const [range = '', stepText] = item.split('/');
      const step = stepText === undefined ? 1 : Number(stepText);
      if (!Number.isInteger(step) || step < 1) throw bad(expression, `bad step in "${item}"`);
      let [from, to] = [field.min as number, field.max as number];
      if (range !== '*') {
        const [a = '', b] = range.split('-');
        from = value(a);
        to = b === undefined ? (stepText === undefined ? from : field.max) : value(b);
      }
      if (from > to) throw bad(expression, `empty range "${range}"`);
      for (let n = from; n <= to; n += step) set.add(field.name === 'day of week' && n === 7 ? 0 : n);
    }
    return set;
  });
  return { expression, sets, dayOr: parts[2] !== '*' && parts[4] !== '*' };
}

/** Wall-clock fields of an instant in a time zone (undefined: the server's). */
function wallClock(at: Date, timeZone: string | undefined): number[] {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return [Number(get('minute')), Number(get('hour')), Number(get('day')), Number(get('month')), weekday];
}

export function matches(cron: CronMatcher, at: Date, timeZone?: string): boolean {
  const [minute, hour, day, month, weekday] = wallClock(at, timeZone) as [number, number, number, number, number];
  const [m, h, dom, mon, dow] = cron.sets as [ReadonlySet<number>, ReadonlySet<number>, ReadonlySet<number>, ReadonlySet<number>, ReadonlySet<number>];
  const dayMatch = cron.dayOr ? dom.has(day) || dow.has(weekday) : dom.has(day) && dow.has(weekday);
  return m.has(minute) && h.has(hour) && mon.has(month) && dayMatch;
}

const MINUTE = 60_000;

function floorMinute(at: Date): Date {
  return new Date(Math.floor(at.getTime() / MINUTE) * MINUTE);
}

export interface WindowState {
  readonly open: boolean;
  /** When the open window closes. */
  readonly closesAt: Date | undefined;
  /** When the next window opens (after the open one, if open). */
  readonly nextOpensAt: Date | undefined;
}

/** Is one of the windows open at `now`, and when does the next open? Searches at most 400 days ahead. */
export function windowState(windows: readonly WindowConfig[], now: Date): WindowState {
  let closesAt: Date | undefined;
  let nextOpensAt: Date | undefined;
  const start = floorMinute(now);
  for (const window of windows) {
    const cron = parseCron(window.cron);
    for (let back = 0; back < window.durationMinutes; back++) {
      const opened = new Date(start.getTime() - back * MINUTE);
      if (matches(cron, opened, window.timezone)) {
        const closes = new Date(opened.getTime() + window.durationMinutes * MINUTE);
        if (closes > now && (!closesAt || closes > closesAt)) closesAt = closes;
        break;
      }
    }
    const next = nextMatch(cron, new Date(start.getTime() + MINUTE), window.timezone);
    if (next && (!nextOpensAt || next < nextOpensAt)) nextOpensAt = next;
  }
  return { open: closesAt !== undefined, closesAt, nextOpensAt };
}

/** The first minute at or after `from` that the expression matches. Skips whole hours and days that cannot match. */
export function nextMatch(cron: CronMatcher, from: Date, timeZone?: string, limitDays = 400): Date | undefined {
  let at = floorMinute(from);
  const end = at.getTime() + limitDays * 24 * 60 * MINUTE;
  while (at.getTime() <= end) {
    if (matches(cron, at, timeZone)) return at;
    const [minute, hour] = wallClock(at, timeZone) as [number, number];
    // Not a matching hour: jump to the next full hour (time zones with half-hour offsets still land on minute 0 of their hour).
    if (!cron.sets[1]!.has(hour)) at = new Date(at.getTime() + (60 - minute) * MINUTE);
    else at = new Date(at.getTime() + MINUTE);
  }
  return undefined;
}
