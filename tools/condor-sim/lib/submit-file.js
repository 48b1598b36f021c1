'use strict';
// Reads a submit description the way condor_submit does for the subset condorhub and tests
// use: key = value (keys case-insensitive), +Attr / MY.Attr, `\` continuations, `#` comment
// lines, $(macro) expansion, new- and old-style arguments/environment, `queue [N]`.

class SubmitError extends Error {
  constructor(stderr) {
    super(stderr);
    this.stderr = stderr;
  }
}

function logicalLines(text) {
  const raw = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const out = [];
  let acc = null;
  let startLine = 0;
  raw.forEach((line, i) => {
    if (acc === null) startLine = i + 1;
    const cont = line.endsWith('\\');
    const piece = cont ? line.slice(0, -1) : line;
    acc = acc === null ? piece : acc + piece;
    if (!cont) {
      out.push({ text: acc, line: startLine });
      acc = null;
    }
  });
  if (acc !== null) out.push({ text: acc, line: startLine });
  return out;
}

/** $(name), $(name:default), $ENV(X), $(DOLLAR); `$$(...)` is left for match time. */
function expand(value, vars, env, depth = 0) {
  if (depth > 20) return value;
  let out = '';
  for (let i = 0; i < value.length;) {
    if (value.startsWith('$$(', i)) {
      const end = value.indexOf(')', i);
      if (end < 0) {
        out += value.slice(i);
        break;
      }
      out += value.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const m = /^\$(ENV)?\(([A-Za-z_][A-Za-z0-9_.]*)(?::([^)]*))?\)/.exec(value.slice(i));
    if (!m) {
      out += value[i++];
      continue;
    }
    i += m[0].length;
    if (m[1]) {
      out += env[m[2]] ?? m[3] ?? '';
      continue;
    }
    const name = m[2].toLowerCase();
    if (name === 'dollar') {
      out += '$';
      continue;
    }
    const v = vars.get(name);
    out += v === undefined ? (m[3] ?? '') : expand(v, vars, env, depth + 1);
  }
  return out;
}

/** New syntax (whole value in double quotes): `""` is `"`, single quotes group, `''` is `'`. */
function splitNewStyle(inner) {
  const args = [];
  let cur = null;
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quoted) {
      if (c === "'" && inner[i + 1] === "'") {
        cur += "'";
        i++;
      } else if (c === "'") quoted = false;
      else cur += c;
    } else if (c === "'") {
      quoted = true;
      if (cur === null) cur = '';
    } else if (c === ' ' || c === '\t') {
      if (cur !== null) args.push(cur);
      cur = null;
    } else cur = (cur ?? '') + c;
  }
  if (quoted) throw new Error('unbalanced single quote');
  if (cur !== null) args.push(cur);
  return args;
}

function parseArguments(value) {
  const v = value.trim();
  if (v.startsWith('"')) {
    if (!v.endsWith('"') || v.length < 2) throw new Error('arguments: missing closing double quote');
    return { list: splitNewStyle(v.slice(1, -1).replaceAll('""', '"')), newStyle: true };
  }
  return { list: v.split(/[ \t]+/).filter(Boolean), newStyle: false };
}

function parseEnvironment(value) {
  const v = value.trim();
  const env = {};
  let entries;
  if (v.startsWith('"')) {
    if (!v.endsWith('"') || v.length < 2) throw new Error('environment: missing closing double quote');
    entries = splitNewStyle(v.slice(1, -1).replaceAll('""', '"'));
  } else entries = v.split(';').filter((e) => e.trim());
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq <= 0) throw new Error(`environment: bad entry ${JSON.stringify(e)}`);
    env[e.slice(0, eq).trim()] = e.slice(eq + 1);
  }
  return env;
}

/** New-style Arguments attribute text for the job ad (what condor stores and prints). */
function joinNewStyle(list) {
  return list.map((a) => (a === '' || /[\s']/.test(a) ? `'${a.replaceAll("'", "''")}'` : a)).join(' ');
}

/**
 * Returns { procs: [{ vars, attrs: [[name, text]] }] } with one entry per queued job; the
 * caller expands macros per proc (after ClusterId is known).
 */
function parseSubmitDescription(text, sourceName) {
  const vars = new Map();
  const attrs = [];
  const procs = [];
  let sawQueue = false;
  for (const { text: lineText, line } of logicalLines(text)) {
    const t = lineText.trim();
    if (!t || t.startsWith('#')) continue;
    const q = /^queue(\s+(.*))?$/i.exec(t);
    if (q) {
      sawQueue = true;
      const arg = (q[2] ?? '').trim();
      if (arg && !/^\d+$/.test(arg)) {
        throw new SubmitError(`\nERROR: on Line ${line} of ${sourceName}: condor-sim supports only "queue [N]"\n`);
      }
      const n = arg ? Number(arg) : 1;
      for (let i = 0; i < n; i++) procs.push({ vars: new Map(vars), attrs: [...attrs] });
      continue;
    }
    const m = /^([+]?[A-Za-z_][A-Za-z0-9_.]*)\s*=\s?(.*)$/.exec(t);
    if (!m) throw new SubmitError(`\nERROR: on Line ${line} of ${sourceName}: syntax error\n`);
    let key = m[1];
    const value = m[2].trim();
    if (key.startsWith('+')) key = `MY.${key.slice(1)}`;
    if (/^my\./i.test(key)) {
      const name = key.slice(3);
      const i = attrs.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
      if (i >= 0) attrs.splice(i, 1);
      attrs.push([name, value]);
      continue;
    }
    vars.set(key.toLowerCase(), value);
  }
  if (!sawQueue) {
    throw new SubmitError(`\nERROR: "${sourceName}" doesn't contain any "queue" commands -- no jobs queued\n`);
  }
  return { procs };
}

module.exports = { parseSubmitDescription, parseArguments, parseEnvironment, joinNewStyle, expand, SubmitError };
