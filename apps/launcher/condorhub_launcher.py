#!/usr/bin/env python3
"""condorhub launcher: the HTCondor job's executable on a worker node.

Preflight checks ($HOME and the Jupyter runtime dir are writable, user config is sane),
pick a free port on the slot's address, run the notebook command on it as a child
(forwarding signals), and report the port to the hub (batchspawner's wire format) once the
notebook accepts connections there. Preflight failures and early
exits are reported to the hub with a classified diagnosis and the stderr tail.

Python 3 standard library only: workers have Python and Jupyter, not Node. See README.md.
"""
import errno
import glob
import http.client
import ipaddress
import json
import os
import random
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

VERSION = "0.1.0"
DEFAULT_COMMAND = ["jupyterhub-singleuser"]

EXIT_USAGE = 2
EXIT_PREFLIGHT = 3
EXIT_PORT_REFUSED = 4
EXIT_PORT_UNREPORTED = 5
EXIT_NO_PORT = 6
EXIT_NO_TOKEN = 7
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127

# Limits of the LauncherReported event in libs/contracts (message 2000, stderrTail 16384,
# host 255, detail 4000); the tail is kept smaller so a report stays one small request.
TAIL_LINES = 50
TAIL_BYTES = 8192
MAX_MESSAGE = 2000
MAX_DETAIL = 4000
MAX_HOST = 255

# Settings in the user's own Jupyter config that take over what the hub decides: jupyterhub-
# singleuser takes ip, port and base_url from the hub only as defaults, so a config file wins
# and the hub then probes an address, port or path the notebook does not serve; a certificate
# makes it speak HTTPS to a hub and proxy that speak HTTP; a required password refuses the
# hub's own login. allow_origin and the like are harmless; open_browser is only noisy.
_BREAKING_SETTINGS = {
    "ip": "the notebook listens on another address than the one the hub connects to",
    "port": "the notebook listens on a fixed port instead of the one the launcher picked for it",
    "base_url": "the notebook serves another URL path than the one the hub routes to it",
    "certfile": "the notebook speaks HTTPS where the hub and its proxy speak HTTP",
    "keyfile": "the notebook speaks HTTPS where the hub and its proxy speak HTTP",
    "password_required": "the notebook asks for its own password instead of accepting your hub login",
}
_JUPYTER_APPS = ("NotebookApp", "ServerApp", "PasswordIdentityProvider")
_PY_SETTING = re.compile(
    r"^[ \t]*c\.(%s)\.([A-Za-z_]+)[ \t]*=[ \t]*([^\n#]*)" % "|".join(_JUPYTER_APPS), re.MULTILINE
)
# Packages that, installed in the user's site dir, shadow the worker's Jupyter stack.
_SHADOWING = (
    "jupyterhub",
    "notebook",
    "jupyter_server",
    "jupyter_core",
    "jupyter_client",
    "traitlets",
    "tornado",
)


def log(msg):
    sys.stderr.write("[condorhub-launcher %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class UsageError(Exception):
    pass


class Failure(Exception):
    """A classified failure that is reported to the hub."""

    def __init__(self, diagnosis, message, detail=""):
        Exception.__init__(self, message)
        self.diagnosis = diagnosis
        self.message = message
        self.detail = detail


# ---------------------------------------------------------------------------------------
# configuration


def _env_number(env, name, default, minimum=0.0):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError("%s must be a number, got %r" % (name, raw))
    if value < minimum:
        raise UsageError("%s must be at least %s, got %r" % (name, minimum, raw))
    return value


class Config(object):
    def __init__(self, argv, env):
        self.env = env
        self.api_url = env.get("JUPYTERHUB_API_URL", "").rstrip("/")
        self.token = env.get("JUPYTERHUB_API_TOKEN", "")
        # The hub puts a one-time credential in the job, not the token: the job's environment is
        # in its ad, which every pool user can read. exchange_api_token trades it for the token.
        self.bootstrap = env.get("CONDORHUB_LAUNCHER_BOOTSTRAP", "").strip()
        if not self.api_url:
            raise UsageError("JUPYTERHUB_API_URL is not set: the hub sets it in the job environment")
        if not self.token and not self.bootstrap:
            raise UsageError(
                "neither CONDORHUB_LAUNCHER_BOOTSTRAP nor JUPYTERHUB_API_TOKEN is set: the hub sets one in the job environment"
            )
        self.command = parse_command(argv, env)
        self.early_exit_s = _env_number(env, "CONDORHUB_EARLY_EXIT_S", 60.0)
        self.report_timeout_s = _env_number(env, "CONDORHUB_REPORT_TIMEOUT_S", 10.0, 0.1)
        # 10 attempts wait about 48 s in all (0.5 s doubling, at most 8 s between two): long
        # enough for the hub's port registry to be restarted, well inside the port deadline.
        self.report_attempts = int(_env_number(env, "CONDORHUB_REPORT_ATTEMPTS", 10, 1))
        self.report_backoff_s = _env_number(env, "CONDORHUB_REPORT_BACKOFF_S", 0.5)
        self.preflight_timeout_s = _env_number(env, "CONDORHUB_PREFLIGHT_TIMEOUT_S", 30.0, 0.1)
        self.preflight_bytes = int(_env_number(env, "CONDORHUB_PREFLIGHT_BYTES", 16384, 1))
        # The port is reported once the notebook accepts connections, or after this long anyway.
        self.listen_wait_s = _env_number(env, "CONDORHUB_LISTEN_WAIT_S", 20.0)
        # A notebook still running this long after a forwarded SIGTERM gets it again (see resend_stop).
        self.stop_grace_s = _env_number(env, "CONDORHUB_STOP_GRACE_S", 10.0, 0.1)
        mode = env.get("CONDORHUB_USER_CONFIG_CHECK", "").strip().lower() or "default"
        if mode not in ("default", "strict", "off"):
            raise UsageError("CONDORHUB_USER_CONFIG_CHECK must be default, strict or off, got %r" % mode)
        self.user_config_check = mode
        self.port_range = parse_port_range(env)


def parse_port_range(env):
    """(low, high) from CONDORHUB_PORT_RANGE (a site whose firewall opens only some ports),
    else condor-sim's per-slot _CONDOR_SIM_PORT_RANGE; None means any port."""
    for name in ("CONDORHUB_PORT_RANGE", "_CONDOR_SIM_PORT_RANGE"):
        raw = env.get(name, "").strip()
        if not raw:
            continue
        m = re.match(r"^(\d+)\s*-\s*(\d+)$", raw)
        if not m or not 1 <= int(m.group(1)) <= int(m.group(2)) <= 65535:
            raise UsageError("%s must look like 42000-42009, got %r" % (name, raw))
        return int(m.group(1)), int(m.group(2))
    return None


def parse_command(argv, env):
    """The notebook command: argv after an optional `--`; else $CONDORHUB_NOTEBOOK_CMD;
    else jupyterhub-singleuser. Leading options without a command (`--debug`) are passed
    to the default command, as the hub's Spawner.args would be."""
    args = list(argv)
    if args and args[0] == "--":
        args = args[1:]
    if args and not args[0].startswith("-"):
        return args
    raw = env.get("CONDORHUB_NOTEBOOK_CMD", "").strip()
    base = shlex.split(raw) if raw else list(DEFAULT_COMMAND)
    return base + args


# ---------------------------------------------------------------------------------------
# where to listen


def machine_from_ad(path):
    """The `Machine` attribute of a ClassAd file ($_CONDOR_MACHINE_AD), or None."""
    try:
        with open(path) as f:
            for line in f:
                # ClassAd attribute names are case-insensitive.
                m = re.match(r'^\s*machine\s*=\s*"([^"]*)"\s*$', line, re.IGNORECASE)
                if m and m.group(1):
                    return m.group(1)
    except (IOError, OSError):
        return None
    return None


def resolve(host):
    """(family, numeric address) for host, IPv4 first; None if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    for want in (socket.AF_INET, socket.AF_INET6):
        for family, _type, _proto, _name, sockaddr in infos:
            if family == want:
                return family, sockaddr[0]
    return None


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def route_to(url):
    """(family, local address) this node uses to reach url's host, or None. A UDP connect
    sends nothing; it only asks the kernel for the route."""
    host = urllib.parse.urlsplit(url).hostname
    found = resolve(host) if host else None
    if not found or _is_loopback(found[1]):
        return None
    s = socket.socket(found[0], socket.SOCK_DGRAM)
    try:
        s.connect((found[1], 9))
        return found[0], s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()


def bind_address(env):
    """(family, address, how) to listen on."""
    found = _bind_address(env)
    if _is_loopback(found[1]) and "CONDORHUB_BIND_HOST" not in found[2]:
        # Debian-style /etc/hosts maps the host name to 127.0.1.1: a notebook there is
        # unreachable for a hub on another machine. Loopback is right only when the hub is
        # local too (condor-sim's slots on 127.0.0.x).
        routed = route_to(env.get("JUPYTERHUB_API_URL", ""))
        if routed:
            log("%s resolves to loopback %s but the hub is remote; using %s" % (found[2], found[1], routed[1]))
            return routed + ("route to the hub",)
    return found


def _bind_address(env):
    override = env.get("CONDORHUB_BIND_HOST", "").strip()
    if override:
        found = resolve(override)
        if not found:
            raise UsageError("CONDORHUB_BIND_HOST=%s does not resolve" % override)
        return found + ("CONDORHUB_BIND_HOST",)
    ad = env.get("_CONDOR_MACHINE_AD")
    if ad:
        machine = machine_from_ad(ad)
        found = resolve(machine) if machine else None
        if found:
            return found + ("Machine in %s" % ad,)
        log("Machine %r from %s does not resolve; using the host name" % (machine, ad))
    name = socket.gethostname()
    found = resolve(name)
    if found:
        return found + ("host name %s" % name,)
    log("host name %r does not resolve; listening on all addresses" % name)
    return socket.AF_INET, "0.0.0.0", "fallback"


def free_port(family, address, port_range=None):
    """A port the kernel considers free on address (bind, read, close). The notebook binds
    it a moment later; a race there shows up as a port-bind-failure report. With a range,
    its ports are tried in random order; OSError if none is free."""
    candidates = [0]
    if port_range:
        candidates = list(range(port_range[0], port_range[1] + 1))
        random.shuffle(candidates)
    error = None
    for candidate in candidates:
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((address, candidate))
            return s.getsockname()[1]
        except OSError as exc:
            error = exc
        finally:
            s.close()
    raise OSError(error.errno if error else errno.EADDRINUSE, "no free port in %s-%s: %s" % (port_range + (error,)))


def netloc(address, port):
    return "[%s]:%d" % (address, port) if ":" in address else "%s:%d" % (address, port)


def service_url_with(url, address, port):
    """JUPYTERHUB_SERVICE_URL with only its netloc replaced, as batchspawner does."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc(address, port)))


# ---------------------------------------------------------------------------------------
# preflight


def runtime_dir(env, home):
    """Jupyter's runtime dir, as jupyter_core computes it (it no longer uses XDG_RUNTIME_DIR)."""
    if env.get("JUPYTER_RUNTIME_DIR"):
        return env["JUPYTER_RUNTIME_DIR"]
    data = env.get("JUPYTER_DATA_DIR")
    if not data:
        data = os.path.join(env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share"), "jupyter")
    return os.path.join(data, "runtime")


def classify_os_error(exc, where, path):
    """Failure for an OSError met while writing in `where` ('home' or 'runtime')."""
    code = getattr(exc, "errno", None)
    name = errno.errorcode.get(code, str(code))
    detail = "%s: %s (%s) at %s" % (type(exc).__name__, exc.strerror or exc, name, path)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        label = "home directory" if where == "home" else "Jupyter runtime directory %s" % path
        return Failure("home-over-quota", "The %s is full or over quota; free some space and start again." % label, detail)
    if where == "home":
        return Failure("home-not-writable", "The home directory %s is not writable on this node (%s)." % (path, exc.strerror or name), detail)
    return Failure(
        "runtime-dir-not-writable",
        "Jupyter's runtime directory %s is not writable on this node (%s)." % (path, exc.strerror or name),
        detail,
    )


def probe_write(directory, where, nbytes):
    """Create, write, fsync and delete a file in directory; quota errors often show only
    at fsync or close on network file systems, hence both."""
    path = os.path.join(directory, ".condorhub-preflight-%d-%s" % (os.getpid(), os.urandom(4).hex()))
    fd = None
    created = False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
        chunk = b"\0" * min(nbytes, 65536)
        left = nbytes
        while left > 0:
            left -= os.write(fd, chunk[:left])
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.unlink(path)
        created = False
    except OSError as exc:
        raise classify_os_error(exc, where, path if created else directory)
    finally:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        if created:
            try:
                os.unlink(path)
            except OSError:
                pass


def check_dirs(env, nbytes):
    home = env.get("HOME") or os.path.expanduser("~")
    if not os.path.isdir(home):
        raise Failure(
            "home-not-writable",
            "The home directory %s does not exist on this node." % home,
            "HOME=%s is not a directory" % home,
        )
    probe_write(home, "home", nbytes)
    rt = runtime_dir(env, home)
    try:
        if not os.path.isdir(rt):
            os.makedirs(rt, 0o700)
    except OSError as exc:
        if not os.path.isdir(rt):
            raise classify_os_error(exc, "runtime", rt)
    probe_write(rt, "runtime", nbytes)
    return home


def _truthy(value):
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def check_user_config(env, home):
    """(fatal problems, warnings, jupyter settings that break the hub's connection as
    (file, setting, why)) found in the user's config and environment."""
    fatal, warnings, breakers = [], [], []
    pyhome = env.get("PYTHONHOME")
    if pyhome and not all(os.path.isdir(p) for p in pyhome.split(os.pathsep)):
        # Python cannot even start its encodings module: the notebook dies at once.
        fatal.append("PYTHONHOME=%s does not exist, so Python cannot start" % pyhome)
    for entry in (env.get("PYTHONPATH") or "").split(os.pathsep):
        if entry and not os.path.exists(entry):
            warnings.append("PYTHONPATH entry %s does not exist" % entry)

    if not _truthy(env.get("JUPYTERHUB_DISABLE_USER_CONFIG")):
        config_dir = env.get("JUPYTER_CONFIG_DIR") or os.path.join(home, ".jupyter")
        for base in ("jupyter_config", "jupyter_notebook_config", "jupyter_server_config"):
            py = os.path.join(config_dir, base + ".py")
            if os.path.exists(py):
                _check_py_config(py, breakers, warnings)
            js = os.path.join(config_dir, base + ".json")
            if os.path.exists(js):
                _check_json_config(js, breakers, warnings)

    if not env.get("PYTHONNOUSERSITE"):
        userbase = env.get("PYTHONUSERBASE") or os.path.join(home, ".local")
        for site in sorted(glob.glob(os.path.join(userbase, "lib", "python3*", "site-packages"))):
            found = [n for n in _SHADOWING if os.path.isdir(os.path.join(site, n))]
            if found:
                warnings.append(
                    "%s has its own %s, which shadow the node's Jupyter (set PYTHONNOUSERSITE=1 "
                    "or remove them if the notebook fails)" % (site, ", ".join(found))
                )
    return fatal, warnings, breakers


def _judge_setting(path, setting, key, value, breakers, warnings):
    """`value`: the assigned text (.py) or the JSON value; never evaluated."""
    text = (json.dumps(value) if not isinstance(value, str) else value).strip()
    falsy = text in ("False", "false", "0", "None", "null", "''", '""')
    if key == "password_required" and falsy:
        return
    if key in _BREAKING_SETTINGS:
        breakers.append((path, setting, _BREAKING_SETTINGS[key]))
    # Harmless ones are only logged: not warnings, so neither strict mode nor an unexplained
    # exit blames them.
    elif key == "open_browser" and not falsy:
        log("note: %s sets %s: harmless, but it tries to open a browser on the worker node" % (path, setting))
    elif key in ("password", "hashed_password") and not falsy:
        log("note: %s sets %s; the hub's login is used instead" % (path, setting))


def _check_py_config(path, breakers, warnings):
    try:
        with open(path, "rb") as f:
            source = f.read()
    except (IOError, OSError) as exc:
        warnings.append("cannot read %s: %s" % (path, exc))
        return
    try:
        compile(source, path, "exec")
    except (SyntaxError, ValueError) as exc:
        # Jupyter logs the error and ignores the whole file: a warning, not a failure.
        warnings.append("%s does not compile (%s); Jupyter will ignore it" % (path, exc))
        return
    # Read, never run: the file is the user's code and the launcher holds the hub's token.
    for m in _PY_SETTING.finditer(source.decode("utf-8", "replace")):
        app, key, value = m.group(1), m.group(2), m.group(3)
        _judge_setting(path, "c.%s.%s" % (app, key), key, value, breakers, warnings)


def _check_json_config(path, breakers, warnings):
    try:
        with open(path) as f:
            data = json.load(f)
    except (IOError, OSError, ValueError) as exc:
        warnings.append("%s is not valid JSON (%s); Jupyter will ignore it" % (path, exc))
        return
    if not isinstance(data, dict):
        return
    for app in _JUPYTER_APPS:
        section = data.get(app)
        if isinstance(section, dict):
            for key, value in section.items():
                _judge_setting(path, "%s.%s" % (app, key), key, value, breakers, warnings)


def jupyter_config_failure(breakers):
    """The named diagnosis for the first setting that breaks the hub's connection."""
    path, setting, why = breakers[0]
    return Failure(
        "user-jupyter-config",
        "Your Jupyter configuration file %s sets %s, so %s. Remove that line (or the file) and start again."
        % (path, setting, why),
        "; ".join("%s sets %s" % (p, s) for p, s, _ in breakers),
    )


def preflight(cfg):
    """Returns warnings; raises Failure. The checks touch the home file system, which on a
    bad node can hang forever, so they run in a thread with a deadline."""
    result = {}

    def work():
        try:
            home = check_dirs(cfg.env, cfg.preflight_bytes)
            if cfg.user_config_check != "off":
                result["config"] = check_user_config(cfg.env, home)
            else:
                result["config"] = ([], [], [])
        except Failure as exc:
            result["failure"] = exc
        except Exception as exc:  # a bug here must still produce a report
            result["failure"] = Failure("unknown", "The launcher's preflight check crashed.", repr(exc))

    t = threading.Thread(target=work, name="preflight")
    t.daemon = True
    t.start()
    t.join(cfg.preflight_timeout_s)
    if t.is_alive():
        raise Failure(
            "node-unresponsive",
            "The home file system did not answer within %g s on this node." % cfg.preflight_timeout_s,
            "preflight checks of HOME=%s still running after %g s (hanging mount?)"
            % (cfg.env.get("HOME"), cfg.preflight_timeout_s),
        )
    if "failure" in result:
        raise result["failure"]
    fatal, warnings, breakers = result["config"]
    if cfg.user_config_check == "strict":
        fatal, warnings = fatal + warnings, []
    if fatal:
        raise Failure(
            "bad-user-config",
            "Your Jupyter configuration or environment stops the notebook from starting: %s." % fatal[0],
            "; ".join(fatal + warnings),
        )
    if breakers:
        raise jupyter_config_failure(breakers)
    for w in warnings:
        log("warning: " + w)
    return warnings


# ---------------------------------------------------------------------------------------
# talking to the hub


def ssl_context(env):
    """Client TLS as HubAuth sets it up for internal SSL; None means urllib's default."""
    ca = env.get("JUPYTERHUB_SSL_CLIENT_CA")
    cert = env.get("JUPYTERHUB_SSL_CERTFILE")
    key = env.get("JUPYTERHUB_SSL_KEYFILE")
    if not (ca or cert):
        return None
    ctx = ssl.create_default_context(cafile=ca or None)
    if cert:
        ctx.load_cert_chain(cert, key or None)
    return ctx


class _SourceHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, source):
        urllib.request.HTTPHandler.__init__(self)
        self.source = source

    def http_open(self, req):
        return self.do_open(http.client.HTTPConnection, req, source_address=self.source)


class _SourceHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, source, context):
        urllib.request.HTTPSHandler.__init__(self, context=context)
        self.source = source
        self.ctx = context

    def https_open(self, req):
        return self.do_open(http.client.HTTPSConnection, req, context=self.ctx, source_address=self.source)


def post_json(url, token, body, timeout, ctx, source=None):
    """(status, response text). Raises OSError-family errors when the hub is unreachable.
    `source`: the local address to send from (the hub checks where a credential comes from)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "token " + token
    req = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
    try:
        if source:
            opener = urllib.request.build_opener(_SourceHTTPHandler((source, 0)), _SourceHTTPSHandler((source, 0), ctx))
            resp = opener.open(req, timeout=timeout)
        else:
            resp = urllib.request.urlopen(req, timeout=timeout, context=ctx)
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(2048).decode("utf-8", "replace")
        except Exception:
            text = ""
        return exc.code, text
    with resp:
        return resp.status, resp.read(2048).decode("utf-8", "replace")


def post_with_retries(url, token, body, timeout, attempts, backoff, ctx, tried=None, source=None):
    """(status or None, text): retries connection errors, timeouts and 5xx with backoff.
    `tried`, a list, receives the outcome of every attempt."""
    status, text = None, ""
    tried = [] if tried is None else tried
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(backoff * (2 ** (attempt - 1)), 8.0))
        try:
            status, text = post_json(url, token, body, timeout, ctx, source)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:  # timeouts are OSErrors
            status, text = None, str(getattr(exc, "reason", exc))
            tried.append(None)
            log("POST %s failed (attempt %d/%d): %s" % (url, attempt + 1, attempts, text))
            continue
        tried.append(status)
        if status < 500:
            return status, text
        log("POST %s answered %d (attempt %d/%d)" % (url, status, attempt + 1, attempts))
    return status, text


def exchange_api_token(cfg, ctx, address):
    """Trades the job's one-time CONDORHUB_LAUNCHER_BOOTSTRAP for the server's API token at the
    hub (once per spawn, only from this host, only while the spawn is live). Returns an exit code,
    0 on success with cfg.token set. The request is sent from the address the notebook will
    listen on: it is the job's host as the hub knows it."""
    url = cfg.api_url + "/condorhub/launcher/api-token"
    # Our own key: a retry after a lost reply is recognised as ours, another process is not.
    body = {"bootstrap": cfg.bootstrap, "launcherKey": os.urandom(32).hex()}
    source = address if address not in ("0.0.0.0", "::", "") else None
    status, text = None, ""
    for src in ([source, None] if source else [None]):
        try:
            status, text = post_with_retries(
                url, "", body, cfg.report_timeout_s, cfg.report_attempts, cfg.report_backoff_s, ctx, source=src
            )
        except OSError as exc:
            status, text = None, str(exc)
        if status is not None or not src:
            break
        log("could not send from %s (%s); trying the default route" % (src, text))
    if status is not None and 200 <= status < 300:
        try:
            token = json.loads(text).get("token", "")
        except (ValueError, AttributeError):
            token = ""
        if token:
            cfg.token = token
            log("received the server's API token from %s" % url)
            return 0
        log("the hub's answer to the credential exchange has no token: %s" % text.strip()[:300])
        return EXIT_NO_TOKEN
    log(
        "the hub refused the launcher credential (POST %s: %s %s); not starting the notebook"
        % (url, status or "no answer", text.strip()[:500])
    )
    return EXIT_NO_TOKEN


def report_port(cfg, port, ctx):
    url = cfg.api_url + "/batchspawner"
    tried = []
    status, text = post_with_retries(
        url, cfg.token, {"port": port}, cfg.report_timeout_s, cfg.report_attempts, cfg.report_backoff_s, ctx, tried
    )
    if status is not None and 200 <= status < 300:
        log("reported port %d to %s (%d)" % (port, url, status))
        return 0
    if status == 409 and len(tried) > 1:
        # An earlier attempt timed out or got a 5xx, possibly after the hub stored the port;
        # "not waiting for a port" may then mean "already have it". Starting costs little, and
        # a hub that really has no port times the spawn out as it would anyway.
        log("the hub answered 409 after an unclear earlier attempt; assuming it has port %d" % port)
        return 0
    if status is not None and 400 <= status < 500:
        log("the hub refused the port report: POST %s answered %d %s; not starting the notebook" % (url, status, text.strip()[:500]))
        return EXIT_PORT_REFUSED
    log("could not report the port to %s after %d attempts (%s); not starting the notebook"
        % (url, cfg.report_attempts, "status %s" % status if status else text))
    return EXIT_PORT_UNREPORTED


def report_diagnosis(cfg, ctx, stage, failure, host, exit_code=None, stderr_tail=""):
    """Best effort: the job must end promptly even if the hub cannot be told."""
    body = {
        "stage": stage,
        "diagnosis": failure.diagnosis,
        "message": failure.message[:MAX_MESSAGE],
        "exitCode": exit_code,
        "stderrTail": stderr_tail,
        "host": (host or "")[:MAX_HOST],
        "detail": (failure.detail or "")[:MAX_DETAIL],
    }
    url = cfg.api_url + "/condorhub/launcher"
    try:
        status, text = post_with_retries(
            url, cfg.token, body, min(cfg.report_timeout_s, 5.0), 2, cfg.report_backoff_s, ctx
        )
    except Exception as exc:
        status, text = None, repr(exc)
    if status is not None and 200 <= status < 300:
        log("reported %s failure %s to the hub" % (stage, failure.diagnosis))
    else:
        log("could not report %s failure %s to the hub (%s)" % (stage, failure.diagnosis, status or text))


# ---------------------------------------------------------------------------------------
# running the notebook


class StderrTee(object):
    """Copies the child's stderr to ours as it comes (the job's stderr file must keep it)
    and keeps the tail for the report."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.buf = bytearray()
        # Quota lines seen anywhere in the output: the cause often scrolls out of the tail
        # behind the traceback and retries it leads to.
        self.partial = bytearray()
        self.quota_lines = []
        self.thread = threading.Thread(target=self._run, name="stderr-tee")
        self.thread.daemon = True
        self.thread.start()

    def _run(self):
        fd = self.pipe.fileno()
        out = getattr(sys.stderr, "buffer", None)
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            try:
                if out is not None:
                    out.write(data)
                    out.flush()
                else:
                    sys.stderr.write(data.decode("utf-8", "replace"))
                    sys.stderr.flush()
            except (IOError, OSError, ValueError):
                pass  # our stderr gone: keep draining so the child never blocks on a full pipe
            self.buf += data
            self._keep_quota_lines(data)
            if len(self.buf) > 2 * TAIL_BYTES:
                del self.buf[: len(self.buf) - TAIL_BYTES]

    def _keep_quota_lines(self, data):
        self.partial += data
        lines = self.partial.split(b"\n")
        self.partial = bytearray(lines.pop()[-MAX_NOTABLE_LINE:])
        for raw in lines:
            if len(self.quota_lines) >= MAX_NOTABLE_LINES:
                return
            if _QUOTA.search(raw.decode("utf-8", "replace")):
                line = raw[:MAX_NOTABLE_LINE].decode("utf-8", "replace").rstrip("\r")
                if line not in self.quota_lines:
                    self.quota_lines.append(line)

    def tail(self, secret=None, wait_s=3.0):
        # A grandchild (a kernel) may hold the pipe open after the child died: do not wait for EOF forever.
        self.thread.join(wait_s)
        notable = list(self.quota_lines)
        if self.partial and _QUOTA.search(self.partial.decode("utf-8", "replace")):
            notable.append(self.partial.decode("utf-8", "replace"))
        return tail_text(bytes(self.buf), secret=secret, notable=notable[:MAX_NOTABLE_LINES])


def tail_text(data, lines=TAIL_LINES, limit=TAIL_BYTES, secret=None, notable=()):
    """The last lines of the output; `notable` lines from earlier that the tail lost (quota
    errors) go first, marked, so the user and diagnose_exit still see them."""
    text = data[-limit:].decode("utf-8", "replace")
    parts = text.splitlines()[-lines:]
    earlier = [EARLIER_MARK + n for n in notable if n not in parts]
    text = "\n".join(earlier + parts)
    if secret:
        # The hub stores and shows the tail; a notebook that logs its environment must not leak the token.
        text = text.replace(secret, "<redacted>")
    return text


_QUOTA = re.compile(r"Disk quota exceeded|No space left on device|\bE(NOSPC|DQUOT)\b|\[Errno (28|122)\]")
# At most this many quota lines from before the tail, each cut to this many bytes.
MAX_NOTABLE_LINES = 3
MAX_NOTABLE_LINE = 300
EARLIER_MARK = "[earlier] "

_PATTERNS = [
    (
        "home-over-quota",
        _QUOTA,
        "The notebook stopped because the disk or home directory is full or over quota.",
    ),
    (
        "home-not-writable",
        re.compile(r"Read-only file system|\[Errno 30\]"),
        "The notebook stopped because a directory it writes to is read-only.",
    ),
    (
        "port-bind-failure",
        re.compile(r"Address already in use|\[Errno 98\]|EADDRINUSE|is already in use|Cannot assign requested address|\[Errno 99\]"),
        "The notebook could not listen on its port; starting again picks another.",
    ),
    (
        "module-missing",
        re.compile(r"ModuleNotFoundError|ImportError|No module named|command not found|DistributionNotFound"),
        "The notebook could not start because a Python module or command is missing.",
    ),
    (
        "notebook-exited",
        re.compile(r"Running as root is not recommended"),
        "The notebook refuses to run as root; the job must run as the user (or pass --allow-root).",
    ),
    (
        "bad-user-config",
        re.compile(r"Exception while loading config file|Error loading config file"),
        "The notebook stopped after an error in your Jupyter configuration.",
    ),
]


# The notebook names one of _BREAKING_SETTINGS itself (a TraitError, a log line, an SSL
# error about its certificate): the preflight did not read the config (check off) or the
# setting came from elsewhere.
_SETTING_IN_STDERR = re.compile(
    r"\b(?:c\.)?(?P<app>NotebookApp|ServerApp|PasswordIdentityProvider)\.(?P<key>%s)\b"
    r"|The '(?P<trait>%s)' trait of an? (?P<owner>\w+) instance"
    # tornado's check of a configured certificate, and ssl's own failure to load one
    r'|\b(?P<missing>certfile|keyfile) "[^"\n]*" does not exist'
    r"|load_cert_chain|SSL.{0,80}\b(?P<sslkey>certfile|keyfile)\b"
    % ("|".join(_BREAKING_SETTINGS), "|".join(_BREAKING_SETTINGS))
)
_CONFIG_FILE_IN_STDERR = re.compile(r"(/[^\s'\"]*/jupyter_(?:server|notebook)?_?config\.(?:py|json))")


def _jupyter_setting_failure(stderr_tail, exit_code):
    m = _SETTING_IN_STDERR.search(stderr_tail)
    if not m:
        return None
    if m.group("key"):
        setting, key = "%s.%s" % (m.group("app"), m.group("key")), m.group("key")
    elif m.group("trait"):
        setting, key = "%s.%s" % (m.group("owner"), m.group("trait")), m.group("trait")
    else:
        key = m.group("missing") or m.group("sslkey") or "certfile"
        setting = "ServerApp.%s (NotebookApp.%s before Jupyter Server)" % (key, key)
    f = _CONFIG_FILE_IN_STDERR.search(stderr_tail)
    where = "file %s" % f.group(1) if f else "(~/.jupyter)"
    return Failure(
        "user-jupyter-config",
        "The notebook stopped; your Jupyter configuration %s sets %s, so %s. Remove that setting and start again."
        % (where, setting, _BREAKING_SETTINGS[key]),
        "matched %r in stderr; exit code %s" % (m.group(0), exit_code),
    )


def diagnose_exit(stderr_tail, exit_code, home, warnings):
    """Failure for a notebook that exited early, from what it printed."""
    for code, pattern, message in _PATTERNS:
        m = pattern.search(stderr_tail)
        if m:
            return Failure(code, message, "matched %r in stderr; exit code %s" % (m.group(0), exit_code))
        if code == "home-over-quota":
            # A full disk explains everything after it; a named setting explains the rest.
            failure = _jupyter_setting_failure(stderr_tail, exit_code)
            if failure:
                return failure
    if home:
        # "Permission denied" is too common to mean the home dir unless it names a path there.
        for m in re.finditer(r"Permission denied: '([^']+)'", stderr_tail):
            if m.group(1).startswith(home.rstrip("/") + "/") or m.group(1) == home:
                return Failure(
                    "home-not-writable",
                    "The notebook stopped because it may not write %s." % m.group(1),
                    "matched %r in stderr; exit code %s" % (m.group(0), exit_code),
                )
    if warnings:
        return Failure(
            "bad-user-config",
            "The notebook exited with code %s; your Jupyter configuration or environment may be the cause: %s."
            % (exit_code, warnings[0]),
            "; ".join(warnings),
        )
    return Failure(
        "notebook-exited",
        "The notebook exited with code %s before the hub could reach it; see the error output below." % exit_code,
        "exit code %s" % exit_code,
    )


def exit_code_of(returncode):
    # Popen gives -N for death by signal N; report it as a shell would.
    return 128 - returncode if returncode < 0 else returncode


def accepts_connections(host, port, timeout=0.5):
    # A wildcard bind answers on loopback.
    target = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        socket.create_connection((target, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def report_when_listening(cfg, ctx, child, state, host, port):
    """Reports the port once the notebook listens: the hub's handshake then answers at once."""
    deadline = time.monotonic() + cfg.listen_wait_s
    delay = 0.01
    while child.poll() is None and not state["signalled"]:
        if accepts_connections(host, port):
            break
        if time.monotonic() > deadline:
            log("the notebook is not listening on port %d after %g s; reporting it anyway" % (port, cfg.listen_wait_s))
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    if child.poll() is not None or state["signalled"]:
        return  # it exited first: the main thread diagnoses that
    rc = report_port(cfg, port, ctx)
    if not rc:
        return
    # Refused or unreachable hub: nobody will ever use this notebook.
    state["refused"] = rc
    log("stopping the notebook: its port could not be reported")
    try:
        child.send_signal(signal.SIGTERM)
        child.wait(10)
    except subprocess.TimeoutExpired:
        child.kill()
    except OSError:
        pass


def resend_stop(child, grace_s):
    """Sends SIGTERM again if the notebook is still running `grace_s` after the first.

    Jupyter's SIGTERM handler logs from inside the handler: when the signal lands while the
    notebook is itself writing to stderr, Python raises "reentrant call inside BufferedWriter" in
    the handler and the stop is lost (jupyterhub-singleuser 3.0, seen under load). HTCondor kills
    the job after its JobMaxVacateTime anyway; a site with a long one should not wait for that.
    """
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if child.returncode is not None:
            return
        time.sleep(0.05)
    if child.returncode is not None:
        return
    log("the notebook is still running %g s after SIGTERM; sending it again" % grace_s)
    try:
        child.send_signal(signal.SIGTERM)
    except OSError:
        pass


def run_notebook(cfg, command, env, host, ctx, warnings, report_port_when_listening=None):
    pending = []
    state = {"child": None, "signalled": False, "refused": 0, "resending": False}

    def forward(signum, _frame):
        state["signalled"] = True
        child = state["child"]
        if child is None:
            pending.append(signum)
            return
        try:
            child.send_signal(signum)
        except OSError:
            pass
        if signum == signal.SIGTERM and not state["resending"]:
            state["resending"] = True
            threading.Thread(target=resend_stop, args=(child, cfg.stop_grace_s), daemon=True).start()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)

    if pending:
        log("stopped by signal %d before the notebook started" % pending[0])
        return 128 + pending[0]

    log("starting: %s" % " ".join(shlex.quote(a) for a in command))
    started = time.monotonic()
    try:
        # Start in $HOME, as batchspawner's jobs do: the job's own working directory (the
        # submit directory or a scratch dir) is often not the user's to write notebooks in.
        # HOME may be missing from a job's environment; the account's home is then the pw entry.
        home = env.get("HOME") or os.path.expanduser("~")
        cwd = home if home and os.path.isdir(home) else None
        child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, cwd=cwd)
    except OSError as exc:
        code = EXIT_NOT_FOUND if exc.errno == errno.ENOENT else EXIT_NOT_EXECUTABLE
        if code == EXIT_NOT_FOUND:
            failure = Failure(
                "module-missing",
                "The notebook command %s was not found on this node." % command[0],
                "%s: %s (PATH=%s)" % (command[0], exc, env.get("PATH", "")),
            )
        else:
            failure = Failure("notebook-exited", "The notebook command %s could not be run." % command[0], str(exc))
        log(failure.message + " " + failure.detail)
        report_diagnosis(cfg, ctx, "exit", failure, host, code, "")
        return code
    state["child"] = child
    for sig in pending:
        forward(sig, None)
    tee = StderrTee(child.stderr)
    if report_port_when_listening:
        args = (cfg, ctx, child, state, host, report_port_when_listening)
        threading.Thread(target=report_when_listening, args=args, daemon=True).start()
    returncode = child.wait()
    uptime = time.monotonic() - started
    code = exit_code_of(returncode)
    tail = tee.tail(secret=cfg.token)
    if state["refused"]:
        log("notebook stopped after the port report failed")
        return state["refused"]
    if state["signalled"]:
        log("notebook exited with %d after a forwarded signal" % code)
    elif uptime < cfg.early_exit_s:
        failure = diagnose_exit(tail, code, env.get("HOME"), warnings)
        log("notebook exited with %d after %.1f s: %s" % (code, uptime, failure.diagnosis))
        report_diagnosis(cfg, ctx, "exit", failure, host, code, tail)
    else:
        log("notebook exited with %d after %.0f s" % (code, uptime))
    return code


def main(argv=None, env=None):
    argv = sys.argv[1:] if argv is None else argv
    env = dict(os.environ if env is None else env)
    try:
        cfg = Config(argv, env)
        family, address, how = bind_address(env)
    except UsageError as exc:
        log("error: %s" % exc)
        return EXIT_USAGE
    log("condorhub launcher %s (Python %s), listening on %s (%s)" % (VERSION, sys.version.split()[0], address, how))
    try:
        ctx = ssl_context(env)
    except (OSError, ssl.SSLError) as exc:
        log("error: cannot load the JUPYTERHUB_SSL_* files: %s" % exc)
        return EXIT_USAGE

    if cfg.bootstrap:
        rc = exchange_api_token(cfg, ctx, address)
        if rc:
            return rc

    try:
        warnings = preflight(cfg)
    except Failure as failure:
        log("preflight failed: %s %s [%s]" % (failure.diagnosis, failure.message, failure.detail))
        report_diagnosis(cfg, ctx, "preflight", failure, address)
        return EXIT_PREFLIGHT

    try:
        port = free_port(family, address, cfg.port_range)
    except OSError as exc:
        failure = Failure("port-bind-failure", "No free port could be found on %s." % address, str(exc))
        log("%s %s" % (failure.message, exc))
        report_diagnosis(cfg, ctx, "preflight", failure, address)
        return EXIT_NO_PORT

    command = list(cfg.command)
    child_env = dict(env)
    # The notebook gets the token in its own environment only (never the job ad, never a file),
    # and not the spent credential.
    child_env.pop("CONDORHUB_LAUNCHER_BOOTSTRAP", None)
    child_env["JUPYTERHUB_API_TOKEN"] = cfg.token
    child_env["JPY_API_TOKEN"] = cfg.token
    if not env.get("JUPYTERHUB_SERVICE_URL"):
        # JupyterHub < 2.0 passed no service URL; batchspawner reports first, then appends --port.
        # Where such a notebook listens is its own business, so the report cannot wait for it.
        rc = report_port(cfg, port, ctx)
        if rc:
            return rc
        command.append("--port=%d" % port)
        return run_notebook(cfg, command, child_env, address, ctx, warnings)
    # The port is reported when the notebook listens on it (batchspawner reports before it
    # starts): "port reported" then means "answers", and the hub's first handshake succeeds.
    child_env["JUPYTERHUB_SERVICE_URL"] = service_url_with(env["JUPYTERHUB_SERVICE_URL"], address, port)
    return run_notebook(cfg, command, child_env, address, ctx, warnings, report_port_when_listening=port)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit: a preflight thread stuck on a hanging mount must not keep the job alive.
    os._exit(code)
