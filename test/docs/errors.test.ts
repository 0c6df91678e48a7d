import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCatalog } from '../../daemon/errors/catalog.js';
import { renderErrorsDoc } from '../../daemon/errors/errors-doc.js';
import { REPO_ROOT } from '../helpers/repo.js';

// docs/errors.md lists every code of the catalog with its hint, and no other (style.md, point 12).
describe('docs/errors.md', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');

  it('is what the catalog renders (run `npm run docs` after changing the catalog)', () => {
    assert.equal(doc, renderErrorsDoc());
  });

  it('has a section per catalog code with its hint', () => {
    const documented = [...doc.matchAll(/^## (NCUPD_[A-Z_]+)$/gm)].map((m) => m[1]);
    assert.deepEqual(documented, Object.keys(errorCatalog));
  });
});
