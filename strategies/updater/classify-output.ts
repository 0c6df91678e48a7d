// The official updater's output, classified into what happened (shared/captured/updater-cli.md).
// Known texts are matched here, next to the code that runs the updater (style.md, point 5).

export type UpdaterOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'no-update'; readonly detail: string }
  | { readonly kind: 'step-in-process'; readonly step: number; readonly stepFile: string }
  | { readonly kind: 'wrong-user'; readonly owner: string }
  | { readonly kind: 'step-failed'; readonly step: string; readonly message: string }
  | { readonly kind: 'exception'; readonly message: string }
  | { readonly kind: 'unknown'; readonly detail: string };

// eslint-disable-next-line no-control-regex -- the updater prints ANSI erase-line codes even without a terminal
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r/g, '');
}

export function classifyUpdaterOutput(exitCode: number | undefined, output: string): UpdaterOutcome {
  const text = stripAnsi(output);
  const inProcess = /Step (\d+) is currently in process\. Please call this command later or remove the following file to start from scratch: (\S+)/.exec(text);
  if (inProcess) return { kind: 'step-in-process', step: Number(inProcess[1]), stepFile: inProcess[2] ?? '' };
  const owner = /Owner of config\.php: (\S+)/.exec(text);
  if (owner && /Console has to be executed with the user that owns the file config\/config\.php/.test(text)) return { kind: 'wrong-user', owner: owner[1] ?? '' };
  const failed = /\[✘\] (.+?) failed\n([^\n]*)/.exec(text);
  if (failed) return { kind: 'step-failed', step: failed[1] ?? '', message: (failed[2] ?? '').trim() };
  if (/^In \S+ line \d+:/m.test(text)) {
    const box = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^In \S+ line \d+:$/.test(l) && !l.startsWith('update [') && !l.startsWith('Nextcloud Updater') && !l.startsWith('Current version'));
    return { kind: 'exception', message: box.join(' ').replace(/\s+/g, ' ').trim() };
  }
  if (exitCode === 0 && /No update available\.|The updater is disabled for this update/.test(text)) {
    return { kind: 'no-update', detail: /The updater is disabled/.test(text) ? 'the updater is disabled for this update' : 'no update available' };
  }
  if (exitCode === 0 && /Update of code successful\./.test(text)) return { kind: 'success' };
  return { kind: 'unknown', detail: text.trim().split('\n').slice(-3).join(' ') };
}

/** Which options the installed updater has (contract 4.2: they differ per patch release). */
export function updaterCapabilities(help: string): { url: boolean; signature: boolean; noVerify: boolean; ignoreState: boolean } {
  return { url: /--url\b/.test(help), signature: /--signature\b/.test(help), noVerify: /--no-verify\b/.test(help), ignoreState: /--ignore-state\b/.test(help) };
}
