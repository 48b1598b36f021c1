'use strict';
// A small ClassAd expression language: enough to evaluate submit `requirements` (e.g.
// `Machine =!= "127.0.0.3"`) against a slot ad and to validate `+Attr` values. Semantics
// follow the ClassAd reference: `==` on strings ignores case, `=?=`/`=!=` never yield
// undefined, && and || are three-valued, unscoped names look in MY then TARGET.

const UNDEF = Symbol('undefined');
const ERROR = Symbol('error');

function tokenize(src) {
  const toks = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) {
          const n = src[i + 1];
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i += 2;
        } else s += src[i++];
      }
      if (i >= src.length) throw new Error('unterminated string');
      i++;
      toks.push({ t: 'str', v: s });
      continue;
    }
    const num = /^(\d+\.\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)/.exec(src.slice(i));
    if (num) {
      const text = num[0];
      toks.push({ t: 'num', v: Number(text), real: /[.eE]/.test(text) });
      i += text.length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?/.exec(src.slice(i));
    if (id) {
      toks.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = /^(=\?=|=!=|==|!=|<=|>=|&&|\|\||[<>!+\-*/%(),?:])/.exec(src.slice(i));
    if (op) {
      toks.push({ t: 'op', v: op[0] });
      i += op[0].length;
      continue;
    }
    throw new Error(`unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

const LEVELS = [
  ['||'],
  ['&&'],
  ['==', '!=', '=?=', '=!=', 'is', 'isnt'],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

function parse(src) {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const isOp = (v) =>
    peek() &&
    ((peek().t === 'op' && peek().v === v) ||
      (peek().t === 'id' && peek().v.toLowerCase() === v && (v === 'is' || v === 'isnt')));
  function expr() {
    const cond = binary(0);
    if (isOp('?')) {
      p++;
      const a = expr();
      if (!isOp(':')) throw new Error('expected :');
      p++;
      const b = expr();
      return { k: 'cond', cond, a, b };
    }
    return cond;
  }
  function binary(level) {
    if (level >= LEVELS.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const op = LEVELS[level].find((o) => isOp(o));
      if (!op) return left;
      p++;
      left = { k: 'bin', op, l: left, r: binary(level + 1) };
    }
  }
  function unary() {
    if (isOp('!') || isOp('-') || isOp('+')) {
      const op = peek().v;
      p++;
      return { k: 'un', op, e: unary() };
    }
    return primary();
  }
  function primary() {
    const tok = toks[p++];
    if (!tok) throw new Error('unexpected end of expression');
    if (tok.t === 'num') return { k: 'lit', v: tok.v, real: tok.real };
    if (tok.t === 'str') return { k: 'lit', v: tok.v };
    if (tok.t === 'op' && tok.v === '(') {
      const e = expr();
      if (!isOp(')')) throw new Error('expected )');
      p++;
      return { k: 'paren', e };
    }
    if (tok.t === 'id') {
      const lower = tok.v.toLowerCase();
      if (lower === 'true') return { k: 'lit', v: true };
      if (lower === 'false') return { k: 'lit', v: false };
      if (lower === 'undefined') return { k: 'lit', v: UNDEF };
      if (lower === 'error') return { k: 'lit', v: ERROR };
      if (isOp('(')) {
        p++;
        const args = [];
        if (!isOp(')')) {
          for (;;) {
            args.push(expr());
            if (isOp(',')) {
              p++;
              continue;
            }
            break;
          }
        }
        if (!isOp(')')) throw new Error('expected )');
        p++;
        return { k: 'call', fn: lower, args };
      }
      const dot = tok.v.indexOf('.');
      if (dot > 0) {
        const scope = tok.v.slice(0, dot).toLowerCase();
        if (scope !== 'my' && scope !== 'target') throw new Error(`unknown scope ${tok.v.slice(0, dot)}`);
        return { k: 'ref', scope, name: tok.v.slice(dot + 1) };
      }
      return { k: 'ref', scope: null, name: tok.v };
    }
    throw new Error(`unexpected ${tok.v}`);
  }
  const tree = expr();
  if (p !== toks.length) throw new Error(`unexpected ${toks[p].v}`);
  return tree;
}

function lookup(ad, name) {
  if (!ad) return undefined;
  if (Object.prototype.hasOwnProperty.call(ad, name)) return ad[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(ad)) if (k.toLowerCase() === lower) return ad[k];
  return undefined;
}

/** A stored attribute value is a literal or { expr: "text" }. */
function valueOf(v, ctx, depth) {
  if (v === undefined || v === null) return UNDEF;
  if (typeof v === 'object' && typeof v.expr === 'string') {
    if (depth > 20) return ERROR;
    try {
      return evaluate(parse(v.expr), ctx, depth + 1);
    } catch {
      return ERROR;
    }
  }
  return v;
}

function evaluate(node, ctx, depth = 0) {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'paren':
      return evaluate(node.e, ctx, depth);
    case 'ref': {
      if (node.scope === 'my') return valueOf(lookup(ctx.my, node.name), ctx, depth);
      if (node.scope === 'target')
        return valueOf(lookup(ctx.target, node.name), { my: ctx.target, target: ctx.my }, depth);
      const mine = lookup(ctx.my, node.name);
      if (mine !== undefined) return valueOf(mine, ctx, depth);
      return valueOf(lookup(ctx.target, node.name), { my: ctx.target, target: ctx.my }, depth);
    }
    case 'un': {
      const v = evaluate(node.e, ctx, depth);
      if (v === UNDEF || v === ERROR) return v;
      if (node.op === '!') return typeof v === 'boolean' ? !v : ERROR;
      if (typeof v !== 'number') return ERROR;
      return node.op === '-' ? -v : v;
    }
    case 'cond': {
      const c = evaluate(node.cond, ctx, depth);
      if (c === UNDEF || c === ERROR) return c;
      return c === true ? evaluate(node.a, ctx, depth) : evaluate(node.b, ctx, depth);
    }
    case 'call':
      return call(node, ctx, depth);
    case 'bin':
      return binaryOp(node, ctx, depth);
  }
  return ERROR;
}

function call(node, ctx, depth) {
  const args = node.args.map((a) => evaluate(a, ctx, depth));
  switch (node.fn) {
    case 'isundefined':
      return args[0] === UNDEF;
    case 'iserror':
      return args[0] === ERROR;
    case 'ifthenelse':
      if (args[0] === UNDEF || args[0] === ERROR) return args[0];
      return args[0] ? args[1] : args[2];
    case 'time':
      return Math.floor(Date.now() / 1000);
    case 'tolower':
      return typeof args[0] === 'string' ? args[0].toLowerCase() : args[0];
    case 'toupper':
      return typeof args[0] === 'string' ? args[0].toUpperCase() : args[0];
    case 'regexp':
      if (typeof args[0] !== 'string' || typeof args[1] !== 'string') return ERROR;
      try {
        return new RegExp(args[0], typeof args[2] === 'string' && args[2].includes('i') ? 'i' : '').test(args[1]);
      } catch {
        return ERROR;
      }
    case 'stringlistmember': {
      if (typeof args[0] !== 'string' || typeof args[1] !== 'string') return ERROR;
      return args[1].split(/[ ,]+/).filter(Boolean).includes(args[0]);
    }
    default:
      return ERROR;
  }
}

function binaryOp(node, ctx, depth) {
  const { op } = node;
  if (op === '&&' || op === '||') {
    const l = evaluate(node.l, ctx, depth);
    if (op === '&&' && l === false) return false;
    if (op === '||' && l === true) return true;
    const r = evaluate(node.r, ctx, depth);
    if (l === ERROR || r === ERROR) return ERROR;
    if ((l !== UNDEF && typeof l !== 'boolean') || (r !== UNDEF && typeof r !== 'boolean')) return ERROR;
    if (op === '&&') return r === false ? false : l === UNDEF || r === UNDEF ? UNDEF : true;
    return r === true ? true : l === UNDEF || r === UNDEF ? UNDEF : false;
  }
  const l = evaluate(node.l, ctx, depth);
  const r = evaluate(node.r, ctx, depth);
  if (op === '=?=' || op === 'is' || op === '=!=' || op === 'isnt') {
    const same = typeof l === typeof r && l === r;
    return op === '=?=' || op === 'is' ? same : !same;
  }
  if (l === ERROR || r === ERROR) return ERROR;
  if (l === UNDEF || r === UNDEF) return UNDEF;
  if (op === '==' || op === '!=') {
    let eq;
    if (typeof l === 'string' && typeof r === 'string') eq = l.toLowerCase() === r.toLowerCase();
    else if (typeof l === typeof r) eq = l === r;
    else return ERROR;
    return op === '==' ? eq : !eq;
  }
  if (['<', '<=', '>', '>='].includes(op)) {
    let a = l;
    let b = r;
    if (typeof a === 'string' && typeof b === 'string') {
      a = a.toLowerCase();
      b = b.toLowerCase();
    } else if (typeof a !== 'number' || typeof b !== 'number') return ERROR;
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  if (typeof l !== 'number' || typeof r !== 'number') return ERROR;
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return r === 0 ? ERROR : Number.isInteger(l) && Number.isInteger(r) ? Math.trunc(l / r) : l / r;
    case '%':
      return r === 0 ? ERROR : l % r;
  }
  return ERROR;
}

/** Evaluates `text` with MY = job and TARGET = machine; returns true only for boolean true. */
function matches(text, job, machine) {
  try {
    return evaluate(parse(text), { my: job, target: machine }) === true;
  } catch {
    return false;
  }
}

/**
 * Turns a `+Attr` value into what the job ad stores: literals as JS values, anything else as
 * { expr }. Throws on a parse error, as condor_submit does.
 */
function toAdValue(text) {
  const tree = parse(text);
  if (tree.k === 'lit' && tree.v !== UNDEF && tree.v !== ERROR) {
    if (typeof tree.v === 'number' && tree.real) return { real: tree.v };
    return tree.v;
  }
  if (tree.k === 'un' && tree.op === '-' && tree.e.k === 'lit' && typeof tree.e.v === 'number') {
    return tree.e.real ? { real: -tree.e.v } : -tree.e.v;
  }
  if (tree.k === 'lit' && tree.v === UNDEF) return null;
  return { expr: text.trim() };
}

module.exports = { parse, evaluate, matches, toAdValue, UNDEF, ERROR };
