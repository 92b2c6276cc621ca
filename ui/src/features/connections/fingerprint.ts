// The fingerprint of an invitation code, as both hosts show it, for the two admins to compare.

/** The code's fingerprint as the host shows it (SHA-256, 16 hex digits in groups of 4). */
export async function codeFingerprint(code: string): Promise<string> {
  if (!globalThis.crypto?.subtle) return '';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(code.trim()));
  const hex = [...new Uint8Array(digest)]
    .slice(0, 8)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  return hex.match(/.{4}/g)?.join('-') ?? hex;
}
