/** `npm run test:full` sets NCUPD_TEST_TIER=full: every matrix; `npm test` runs a sample (docs/testing.md). */
export const FULL_TIER = process.env.NCUPD_TEST_TIER === 'full';
