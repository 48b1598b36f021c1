'use strict';
// Entry of condor_submit / condor_q / condor_rm / condor_history: forwards argv (and the
// submit description) to the daemon and prints its answer. Kept tiny: it starts per call.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { simHome, files } = require('./paths');
const { request } = require('./client');

function readStdin() {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function unreachable(tool) {
  // What the real tools print when the local schedd cannot be located (exit 1).
  switch (tool) {
    case 'condor_submit':
      return "\nERROR: Can't find address of local schedd\n";
    case 'condor_q':
      return "Error: Can't find address of local schedd\n\nExtra Info: You probably saw this error because the condor_schedd is not\nrunning on the machine you are trying to query. If the condor_schedd is not\nrunning, the Condor system will not be able to find an address and port to\nconnect to and satisfy this request. Please make sure the Condor daemons are\nrunning and try again.\n\n";
    case 'condor_rm':
      return "condor_rm: Can't find address of local schedd\n";
    default:
      return "Error: Can't find address of local schedd\n";
  }
}

async function main(tool) {
  const argv = process.argv.slice(2);
  const payload = { tool, argv, cwd: process.cwd(), uid: process.getuid(), gid: process.getgid() };
  try {
    payload.user = os.userInfo().username;
  } catch {
    payload.user = String(process.getuid());
  }
  if (tool === 'condor_submit') {
    // The description is read here, as the submitting user, like condor_submit does.
    let file;
    for (let i = 0; i < argv.length; i++) {
      if (['-name', '-pool', '-batch-name', '-a', '-append', '-remote'].includes(argv[i])) i++;
      else if (argv[i] === '-' || !argv[i].startsWith('-')) {
        file = argv[i];
        break;
      }
    }
    payload.env = process.env;
    if (!file || file === '-') {
      payload.stdin = readStdin();
      payload.source = '(stdin)';
      payload.dashFile = file === '-';
    } else {
      try {
        payload.stdin = fs.readFileSync(path.resolve(file), 'utf8');
        payload.source = file;
      } catch (e) {
        process.stderr.write(`\nERROR: Failed to open command file (${file}) (${e.message})\n`);
        process.exit(1);
      }
    }
  }
  const timeoutMs = Number(process.env.CONDOR_SIM_CLI_TIMEOUT_MS || 300000);
  let res;
  try {
    res = await request(files(simHome()).socket, payload, timeoutMs);
  } catch {
    process.stderr.write(unreachable(tool));
    process.exitCode = 1;
    return;
  }
  if (res.stdout) process.stdout.write(res.stdout);
  if (res.stderr) process.stderr.write(res.stderr);
  process.exitCode = res.exit;
}

module.exports = { main };
