// A webhook target's URL: only http(s), and a shortened form that is safe to show.
import { TandemError } from '../errors.ts';

/**
 * `https://hooks.slack.com/services/T0/B0/XXXX` -> `https://hooks.slack.com/services/…`: enough to tell
 * targets apart, without the part of the path that works as a password.
 */
export function displayUrl(url: URL): string {
  const first = url.pathname.split('/').filter(Boolean)[0];
  const more = url.pathname.split('/').filter(Boolean).length > 1 || url.search !== '';
  return `${url.protocol}//${url.host}${first ? `/${first}` : ''}${more ? '/…' : first ? '' : '/'}`;
}

export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TandemError('INVALID_URL', 422, 'The webhook URL is not a URL', {
      errors: [{ path: 'url', message: 'is not a URL' }],
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TandemError('INVALID_URL', 422, 'The webhook URL must use http or https', {
      errors: [{ path: 'url', message: 'must use http or https' }],
    });
  return url;
}
