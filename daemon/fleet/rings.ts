// Which instance belongs to which ring of a rollout (docs/fleets.md). Resolved from the config on
// every run, so the state file stores names only and a changed config is read as it is now.
import type { NcupdConfig, RolloutConfig } from '../config/schema.js';

export interface ResolvedRing {
  readonly name: string;
  /** Instance names in config order. */
  readonly instances: readonly string[];
}

/** `*` any run of characters, `?` one; everything else literal (instance names have no other specials). */
function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Each instance goes to the first ring with a matching entry; `problems` lists what the config must fix. */
export function assignRings(rollout: RolloutConfig, instanceNames: readonly string[]): { rings: ResolvedRing[]; problems: string[] } {
  const problems: string[] = [];
  const taken = new Set<string>();
  const ringNames = new Set<string>();
  const rings = rollout.rings.map((ring, index) => {
    if (ringNames.has(ring.name)) problems.push(`duplicate ring name "${ring.name}" at rollout.rings[${index}].name`);
    ringNames.add(ring.name);
    const members: string[] = [];
    ring.instances.forEach((pattern, entry) => {
      const matcher = globToRegExp(pattern);
      const matched = instanceNames.filter((name) => matcher.test(name));
      // A name that matches nothing is a typo or a removed instance: refusing it beats a ring that silently shrinks.
      if (matched.length === 0) problems.push(`"${pattern}" matches no configured instance at rollout.rings[${index}].instances[${entry}]`);
      for (const name of matched) {
        if (taken.has(name)) continue;
        taken.add(name);
        members.push(name);
      }
    });
    return { name: ring.name, instances: instanceNames.filter((name) => members.includes(name)) };
  });
  const left = instanceNames.filter((name) => !taken.has(name));
  // Refused rather than put in an implicit ring: an instance outside every ring would never be updated by the rollout.
  if (left.length > 0) problems.push(`instance${left.length > 1 ? 's' : ''} ${left.map((n) => `"${n}"`).join(', ')} in no ring at rollout.rings (add it to a ring, or end with a ring matching "*")`);
  rings.forEach((ring, index) => {
    if (ring.instances.length === 0 && !problems.some((p) => p.includes(`rollout.rings[${index}]`))) problems.push(`ring "${ring.name}" gets no instance (earlier rings took them) at rollout.rings[${index}]`);
  });
  return { rings, problems };
}

/** Config problems of the rollout section, reported with the schema's (load-config.ts). */
export function rolloutProblems(config: Pick<NcupdConfig, 'rollout' | 'instances'>): string[] {
  if (!config.rollout) return [];
  return assignRings(config.rollout, config.instances.map((i) => i.name)).problems;
}
