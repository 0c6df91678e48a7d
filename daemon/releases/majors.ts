// Minimum PHP per major (contract 7, from updater_server config/major_versions.json as of
// 2026-08-21) and whether a major has a stable release yet. The update server answers with an
// empty body when the next major needs a newer PHP, without saying why (contract pitfall 1);
// this table lets ncupd say it. It ages: a major newer than the table is reported as unknown.

export interface MajorInfo {
  readonly minPhp: string;
  readonly stable: boolean;
}

export const MAJORS: Readonly<Record<number, MajorInfo>> = {
  35: { minPhp: '8.3', stable: false },
  34: { minPhp: '8.2', stable: true },
  33: { minPhp: '8.2', stable: true },
  32: { minPhp: '8.1', stable: true },
  31: { minPhp: '8.1', stable: true },
  30: { minPhp: '8.1', stable: true },
  29: { minPhp: '8.0', stable: true },
  28: { minPhp: '8.0', stable: true },
  27: { minPhp: '8.0', stable: true },
  26: { minPhp: '8.0', stable: true },
  25: { minPhp: '7.4', stable: true },
  24: { minPhp: '7.4', stable: true },
};
