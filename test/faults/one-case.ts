// Runs chosen cases of the matrix by id: `node dist/test/faults/one-case.js <id>...` (for debugging a case).
import { allCases } from './fault-cases.js';
import { runFaultCase } from './run-case.js';

const ids = process.argv.slice(2);
for (const c of allCases().filter((x) => ids.includes(x.id))) {
  const outcome = await runFaultCase(c);
  process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
}
