"""Shared code of make-borg-fixtures and check-borg-fixtures (Python 3 stdlib only)."""
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
DEFAULT_OUT = os.path.join(ROOT, 'test-fixtures', 'borg')
SCHEMA = 'qubes-backup-tools/borg-fixture@1'
EXPECTED_BORG = '1.2.4'

VERBOSE = False


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_borg():
    """Install Debian's borgbackup when `borg` is missing (apt-get update once, then install)."""
    if shutil.which('borg') is None:
        log('borg not found: apt-get update && apt-get install -y borgbackup')
        subprocess.run(['apt-get', 'update'], check=True)
        subprocess.run(['apt-get', 'install', '-y', 'borgbackup'], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'))
    version = subprocess.run(['borg', '--version'], check=True, capture_output=True,
                             text=True).stdout.split()[-1]
    if version != EXPECTED_BORG:
        log(f'warning: borg {version}; the committed fixtures were made with {EXPECTED_BORG}')
    return version


def borg_python():
    """The interpreter borg runs under (its #! line): the one that can `import borg`."""
    path = shutil.which('borg')
    with open(path, 'rb') as f:
        first = f.readline().decode().strip()
    if first.startswith('#!'):
        parts = first[2:].split()
        if os.path.basename(parts[0]) == 'env':
            return shutil.which(parts[1]) or parts[1]
        return parts[0]
    return sys.executable


def borg_env(work, passphrase, key_file=None):
    """Environment for every borg call: nothing from the user's ~/.config, ~/.cache or keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('BORG_')}
    env.update({
        'BORG_BASE_DIR': os.path.join(work, 'base'),
        'BORG_KEYS_DIR': os.path.join(work, 'keys'),
        'BORG_RELOCATED_REPO_ACCESS_IS_OK': 'yes',
        'BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK': 'yes',
        'BORG_DISPLAY_PASSPHRASE': 'no',
        'BORG_PASSPHRASE': passphrase if passphrase is not None else '',
        'TZ': 'UTC',
        'LANG': 'C.UTF-8',
        'LC_ALL': 'C.UTF-8',
    })
    if key_file:
        env['BORG_KEY_FILE'] = key_file
    return env


def run(argv, env, cwd=None, input=None, text=True, check=True):
    if VERBOSE:
        log('+', ' '.join(shlex.quote(os.fsdecode(a)) for a in argv))
    r = subprocess.run(argv, env=env, cwd=cwd, input=input, capture_output=True, text=text)
    if check and r.returncode != 0:
        raise RuntimeError(f'{argv!r} exited {r.returncode}\n{r.stderr}')
    return r


# --- JSON ---------------------------------------------------------------------------------------

_SURROGATE = re.compile('[\ud800-\udfff]')


def dumps(obj):
    """Readable UTF-8 JSON; lone surrogates (non-UTF-8 names, surrogateescape) as \\udcXX escapes."""
    s = json.dumps(obj, ensure_ascii=False, indent=2)
    return _SURROGATE.sub(lambda m: '\\u%04x' % ord(m.group()), s) + '\n'


def write_json(path, obj):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(dumps(obj))


def read_json(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def normalize_borg_json(obj):
    """Replace machine-specific paths in borg's --json output (repository location, cache path,
    key file path) by placeholders, so a re-run elsewhere compares equal."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == 'location' and isinstance(v, str):
                out[k] = '$REPO'
            elif k == 'path' and isinstance(v, str) and v.startswith('/'):
                out[k] = '$CACHE'
            elif k == 'keyfile' and isinstance(v, str):
                out[k] = '$KEYFILE'
            else:
                out[k] = normalize_borg_json(v)
        return out
    if isinstance(obj, list):
        return [normalize_borg_json(v) for v in obj]
    return obj


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- extracted trees ----------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def kind(st_mode):
    if stat.S_ISREG(st_mode):
        return 'file'
    if stat.S_ISDIR(st_mode):
        return 'dir'
    if stat.S_ISLNK(st_mode):
        return 'symlink'
    if stat.S_ISFIFO(st_mode):
        return 'fifo'
    if stat.S_ISCHR(st_mode):
        return 'chardev'
    if stat.S_ISBLK(st_mode):
        return 'blockdev'
    return 'other'


def scan_tree(root):
    """{relative path bytes: record} for everything under root (root itself excluded)."""
    root = os.fsencode(root)
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            rec = {'type': kind(st.st_mode), 'mode': stat.S_IMODE(st.st_mode),
                   'mtime_ns': st.st_mtime_ns, 'ino': st.st_ino, 'nlink': st.st_nlink,
                   'allocated': st.st_blocks * 512}
            if rec['type'] == 'file':
                rec['size'] = st.st_size
                rec['sha256'] = sha256_file(full)
            elif rec['type'] == 'symlink':
                rec['target'] = os.fsdecode(os.readlink(full))
            found[rel] = rec
    return found


def path_str(p):
    """bytes path -> str as borg holds it (surrogateescape for non-UTF-8 bytes)."""
    return os.fsdecode(p) if isinstance(p, bytes) else p


def path_bytes(p):
    return p if isinstance(p, bytes) else os.fsencode(p)


def is_utf8(b):
    try:
        b.decode('utf-8')
        return True
    except UnicodeDecodeError:
        return False


def lock_files(repo):
    bad = []
    for dirpath, dirnames, filenames in os.walk(repo):
        for n in dirnames + filenames:
            if n.startswith('lock.') or n.endswith('.tmp'):
                bad.append(os.path.join(dirpath, n))
    return bad


def newest_index(repo):
    ns = [int(n.split('.', 1)[1]) for n in os.listdir(repo)
          if n.startswith('index.') and n.split('.', 1)[1].isdigit()]
    return max(ns) if ns else None


def repo_files(repo):
    """[{path, size}] of every file borg left, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(repo):
        for n in filenames:
            full = os.path.join(dirpath, n)
            out.append({'path': os.path.relpath(full, repo), 'size': os.path.getsize(full)})
    return sorted(out, key=lambda r: [int(x) if x.isdigit() else x for x in re.split(r'[/.]', r['path'])])


def paper_answers(path):
    """What a person types into `borg key import --paper`: the id line, then each body line."""
    answers = []
    for line in open(path).read().split('\n'):
        if line.startswith('id: '):
            answers.append(line[4:])
        elif len(line) > 4 and line[2] == ':' and line[:2].strip().isdigit():
            answers.append(line[4:])
    return '\n'.join(answers) + '\n'
