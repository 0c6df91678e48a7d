/** Small companion files (.sha512, .asc): the body on HTTP 200, undefined on anything else. */
export async function fetchText(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (response.status !== 200) {
      await response.body?.cancel();
      return undefined;
    }
    const text = await response.text();
    return text.length > 1024 * 1024 ? undefined : text;
  } catch {
    return undefined;
  }
}
