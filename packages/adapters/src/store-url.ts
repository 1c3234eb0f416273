/**
 * `url` with any password replaced by `***`, for messages. A password may hold characters a
 * URL should have escaped (`@`, `/`, `#`, `?`), so everything from the first `:` after the user
 * name up to the URL's last `@` is hidden: it may hide more than the password, never less.
 */
export function redactUrl(url: string): string {
  const start = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0].length;
  if (start === undefined) return url;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const colon = url.indexOf(':', start);
  if (colon === -1 || colon > at) return url;
  return `${url.slice(0, colon)}:***${url.slice(at)}`;
}
