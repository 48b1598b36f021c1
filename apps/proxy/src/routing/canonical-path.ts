/**
 * The one spelling of a request path the proxy routes on, and forwards: the route table matches
 * decoded segments and skips empty ones, so `/%75ser/bob/` and `//user/bob/` would match bob's
 * route while the notebook (and any check on the path text) saw something else. Before routing,
 * a path is made canonical (RFC 3986 §6.2.2: unreserved characters are never percent-encoded;
 * runs of `/` merged, as nginx's merge_slashes does) or refused when no canonical form means the
 * same thing: dot segments, encoded slashes, broken percent-encoding, a target that is not a path.
 * The query string is left as sent.
 */

/** Why a path was refused; one shared instance per reason, so checking allocates nothing. */
export class PathRefusal {
  constructor(readonly message: string) {}
}

export const NOT_A_PATH = new PathRefusal('the request target must be a path starting with /');
export const DOT_SEGMENT = new PathRefusal('dot segments (/./ or /../) are not allowed in paths');
export const ENCODED_SLASH = new PathRefusal('encoded slashes (%2F) are not allowed in paths');
export const BAD_ESCAPE = new PathRefusal('malformed percent-encoding in the path');

const hex = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

/** ALPHA / DIGIT / "-" / "." / "_" / "~" */
const unreserved = (c: number): boolean =>
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  (c >= 48 && c <= 57) ||
  c === 45 ||
  c === 46 ||
  c === 95 ||
  c === 126;

/**
 * The canonical form of a request target (the same string when it already is, which is the
 * common case: one scan, no allocation), or why it cannot have one.
 */
export function canonicalPath(url: string): string | PathRefusal {
  if (url.charCodeAt(0) !== 47 /* / */) return NOT_A_PATH;
  let end = url.indexOf('?');
  if (end < 0) end = url.length;
  // Fast path: no '%', no '//', no segment starting with '.'.
  let i = 0;
  for (; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 37) break;
    if (c === 47 && i + 1 < end) {
      const n = url.charCodeAt(i + 1);
      if (n === 47 || n === 46) break;
    }
  }
  if (i === end) return url;
  return rebuild(url, end);
}

function rebuild(url: string, end: number): string | PathRefusal {
  let out = '';
  let segStart = 0; // index in `out` where the current segment starts
  let i = 0;
  while (i < end) {
    const c = url.charCodeAt(i);
    if (c === 47) {
      const seg = out.slice(segStart);
      if (seg === '.' || seg === '..') return DOT_SEGMENT;
      // Merge runs of slashes: an empty segment is dropped.
      if (!out.endsWith('/')) out += '/';
      segStart = out.length;
      i++;
      continue;
    }
    if (c === 37) {
      const h = hex(url.charCodeAt(i + 1));
      const l = hex(url.charCodeAt(i + 2));
      if (i + 2 >= end || h < 0 || l < 0) return BAD_ESCAPE;
      const byte = h * 16 + l;
      if (byte === 47) return ENCODED_SLASH;
      if (unreserved(byte)) out += String.fromCharCode(byte);
      else out += url.slice(i, i + 3);
      i += 3;
      continue;
    }
    out += url[i];
    i++;
  }
  const last = out.slice(segStart);
  if (last === '.' || last === '..') return DOT_SEGMENT;
  return end < url.length ? out + url.slice(end) : out;
}
