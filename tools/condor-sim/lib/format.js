'use strict';
// HTCondor's output formats, written from the rules in jsonSink.cpp / compat_classad.cpp /
// ad_printmask.cpp as described in shared/reference/htcondor.md §2-§4.

function escapeJsonString(s) {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code > 0 && code < 32) out += `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** printf("%.16G") plus ".0" when it looks integral, as jsonSink and the old-ClassAd unparser do. */
function formatReal(n) {
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  let s = Number(n.toPrecision(16)).toString().toUpperCase();
  // %G uses exponent form when exp < -4 or >= precision.
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 16) {
    const [m, e] = n.toExponential(15).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const en = Number(e);
    s = `${mant}E${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  if (!/[.E]/.test(s)) s += '.0';
  return s;
}

function jsonValue(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatReal(v);
  if (typeof v === 'string') return `"${escapeJsonString(v)}"`;
  if (typeof v === 'object' && 'real' in v) return formatReal(v.real);
  if (typeof v === 'object' && 'expr' in v) return `"\\/Expr(${escapeJsonString(v.expr)})\\/"`;
  return 'null';
}

/** Attribute names sorted case-insensitively (classad References is a CaseIgnLTStr set). */
function sortedKeys(ad, projection) {
  let keys = Object.keys(ad).filter((k) => !k.startsWith('_'));
  if (projection) {
    const wanted = new Set(projection.map((a) => a.toLowerCase()));
    keys = keys.filter((k) => wanted.has(k.toLowerCase()));
  }
  return keys.sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function jsonAd(ad, projection) {
  const keys = sortedKeys(ad, projection);
  if (!keys.length) return '{\n}';
  return `{${keys.map((k) => `\n  "${escapeJsonString(k)}": ${jsonValue(ad[k])}`).join(',')}\n}`;
}

/** condor_q -json: nothing at all for zero ads; else "[\n" ad (",\n" ad)* "\n]\n". */
function condorQJson(ads, projection) {
  if (!ads.length) return '';
  return `[\n${ads.map((ad) => jsonAd(ad, projection)).join('\n,\n')}\n]\n`;
}

/** condor_history -json: header "[\n" and footer "]\n" always. */
function condorHistoryJson(ads, projection) {
  if (!ads.length) return '[\n]\n';
  return `[\n${ads.map((ad) => jsonAd(ad, projection)).join('\n,\n')}\n]\n`;
}

/** Old-ClassAd text of a value (condor_q -l, .job.ad/.machine.ad files, -af with V). */
function classAdValue(v) {
  if (v === null || v === undefined) return 'undefined';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatReal(v);
  if (typeof v === 'string') return `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  if (typeof v === 'object' && 'real' in v) return formatReal(v.real);
  if (typeof v === 'object' && 'expr' in v) return v.expr;
  return 'undefined';
}

function longAd(ad, projection) {
  return sortedKeys(ad, projection)
    .map((k) => `${k} = ${classAdValue(ad[k])}\n`)
    .join('');
}

function lookup(ad, name) {
  if (Object.prototype.hasOwnProperty.call(ad, name)) return ad[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(ad)) if (k.toLowerCase() === lower) return ad[k];
  return undefined;
}

/**
 * -af[:flags] attrs: columns separated by " " (",", "\t" or "\n" with flags), one row per ad,
 * strings unquoted unless V, a missing attribute prints `undefined`.
 */
function autoformat(ads, attrs, flags) {
  const sep = flags.includes('t') ? '\t' : flags.includes('n') ? '\n' : flags.includes(',') ? ', ' : ' ';
  const label = flags.includes('l');
  const quote = flags.includes('V');
  let out = '';
  if (flags.includes('h')) out += `${(flags.includes('j') ? ['ID', ...attrs] : attrs).join(sep)}\n`;
  for (const ad of ads) {
    const cols = [];
    if (flags.includes('j')) cols.push(`${ad.ClusterId}.${ad.ProcId}`);
    for (const a of attrs) {
      const v = lookup(ad, a);
      let text;
      if (v === undefined || v === null) text = 'undefined';
      else if (typeof v === 'string') text = quote ? classAdValue(v) : v;
      else text = classAdValue(v);
      cols.push(label ? `${a} = ${text}` : text);
    }
    out += `${cols.join(sep)}${flags.includes('n') ? '\n' : ''}\n`;
  }
  return out;
}

module.exports = {
  condorQJson,
  condorHistoryJson,
  jsonAd,
  longAd,
  classAdValue,
  autoformat,
  formatReal,
  escapeJsonString,
  lookup,
};
