import type { InstanceConfig } from '../../daemon/config/schema.js';
import type { Host } from '../../daemon/hosts/host.js';

/** `integrity:check-core` JSON: category → path → hashes (contract 3.2); `{}` when clean. */
export type IntegrityReport = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** When a check runs: inside the window (maintenance on), after the commit point, or on a restored instance. */
export type CheckPhase = 'window' | 'final' | 'restored';

export interface CheckContext {
  readonly host: Host;
  readonly instance: InstanceConfig;
  readonly phase: CheckPhase;
  /** Internal version (4 parts) the instance must report now: the target, or the old one after a rollback. */
  readonly expectedVersion: string;
  /** Base URL for HTTP checks (instance `url`, else config.php `overwrite.cli.url`); undefined: HTTP checks are skipped with a reason. */
  readonly baseUrl: string | undefined;
  /** integrity:check-core before the update: the result after must be no worse. Undefined when not applicable (git). */
  readonly integrityBaseline: IntegrityReport | undefined;
  /** Apps enabled before the update (id → shipped). */
  readonly appsBefore: Readonly<Record<string, { readonly shipped: boolean }>>;
  /** Whether maintenance mode is expected to be on during this check. */
  readonly maintenanceExpected: boolean;
  readonly signal?: AbortSignal;
}

export interface CheckOutcome {
  readonly check: string;
  /** `passed`, `failed`, or `skipped` with the reason (for example no URL configured). */
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly detail: string;
}

/** The Check seam (shared/design.md): whether the instance is healthy. */
export interface HealthCheck {
  readonly id: string;
  readonly phases: readonly CheckPhase[];
  /**
   * Deadline for one run, enforced by the runner, which names the check when it passes (default 2 min).
   * Operator checks derive it from their configured `timeoutSeconds`, which may exceed any fixed default.
   */
  readonly timeoutMs?: number;
  run(context: CheckContext): Promise<CheckOutcome>;
}
