import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One hash over every entry below the given folders: path, type, mode, owner and content. Tests use
 * it to prove that an instance was not touched, or that a rollback put it back exactly.
 */
export function treeHash(...roots: string[]): string {
  return treeHashExcept(new Set(), ...roots);
}

/** treeHash, skipping the given absolute paths (a data directory inside the root, a live SQLite file). */
export function treeHashExcept(skip: ReadonlySet<string>, ...roots: string[]): string {
  const hash = createHash('sha256');
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (skip.has(path)) continue;
      const stat = lstatSync(path);
      hash.update(`${prefix}${name}\0${stat.mode}\0${stat.uid}:${stat.gid}\0`);
      if (stat.isSymbolicLink()) hash.update(readlinkSync(path));
      else if (stat.isDirectory()) walk(path, `${prefix}${name}/`);
      else hash.update(readFileSync(path));
    }
  };
  for (const root of roots) walk(root, `${root}:`);
  return hash.digest('hex');
}
