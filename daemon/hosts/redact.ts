// Secrets never reach logs, command lines, status output or error text (issue brief). Every
// printable form of a command or its output passes through here, in plain and URL-encoded form.

const MASK = '***';

export function redact(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets || secrets.length === 0) return text;
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      out = out.split(form).join(MASK);
    }
  }
  return out;
}

/** A readable one-line form of file + args, quoted only where needed, secrets masked. */
export function formatCommand(file: string, args: readonly string[], secrets?: readonly string[]): string {
  const quote = (part: string): string => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`);
  return redact([file, ...args].map(quote).join(' '), secrets);
}
