// Database URLs as the host takes them: which engine a URL names, and the URL as logs may show it.

/** Whether a URL names PostgreSQL (`postgres://` or `postgresql://`), the only kind the host takes. */
export function isPostgresUrl(url: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(url)) return false;
  try {
    return new URL(url).hostname !== '' || new URL(url).searchParams.has('host');
  } catch {
    return false;
  }
}

/** The URL with its password replaced by `***`, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Unparseable: the text between `//` and `@` may be a password; keep the scheme alone.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
