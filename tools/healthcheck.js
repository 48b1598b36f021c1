#!/usr/bin/env node
'use strict';
// A container's health check: `node tools/healthcheck.js URL` exits 0 when URL answers 2xx
// within the timeout (default 5 s, HEALTHCHECK_TIMEOUT_MS), else prints why and exits 1.
// Plain JS on Node's fetch: the images need no curl, and it starts in well under a second.
const url = process.argv[2];
if (!url || !/^https?:\/\//.test(url)) {
  console.error('usage: healthcheck.js http://host:port/path');
  process.exit(2);
}
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS) || 5000;
fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  .then(async (res) => {
    if (res.ok) process.exit(0);
    console.error(`${url}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    process.exit(1);
  })
  .catch((e) => {
    console.error(`${url}: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`);
    process.exit(1);
  });
