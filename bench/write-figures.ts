// The figures section of docs/performance.md, rewritten by every `npm run bench` between its
// markers, so the page always shows the latest real run (`node dist/bench/write-figures.js`
// rewrites it from bench/results.json alone).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../test/helpers/repo.js';
import { figuresMarkdown } from './report.js';
import type { BenchResults } from './results.js';

const BEGIN = '<!-- figures: written by bench/write-figures.ts from bench/results.json -->';
const END = '<!-- end of figures -->';

export function writeFiguresPage(results: BenchResults, page = join(REPO_ROOT, 'docs', 'performance.md')): void {
  const text = readFileSync(page, 'utf8');
  const [before, rest] = text.split(BEGIN);
  const after = rest?.split(END)[1];
  if (before === undefined || after === undefined) throw new Error(`${page} has no figures markers`);
  writeFileSync(page, `${before}${BEGIN}\n${figuresMarkdown(results)}\n${END}${after}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFiguresPage(JSON.parse(readFileSync(join(REPO_ROOT, 'bench', 'results.json'), 'utf8')) as BenchResults);
}
