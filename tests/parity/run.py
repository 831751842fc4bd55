#!/usr/bin/env python3
"""Parity check: `jobfetch get` writes the same tree, byte for byte, as the DESaccess seed script,
against the simulator and against a real nginx serving the tree with the DESaccess `/json` rewrite.
(Hostile listings are covered by crates/cli/tests, which can inject them into the simulator.)

Usage: run.py JOBFETCH_BIN SIM_BIN   (prints 'N passed, M failed' and exits non-zero on any failure)

Everything runs with HOME and XDG_DATA_HOME in a temporary folder and jobfetch's queue in
JOBFETCH_STATE_DIR there; the last check fails if any run wrote a queue into that home.
"""

import filecmp
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, 'seed_download.py')
results = []


def check(name, ok, detail=''):
    results.append(ok)
    print('{} {}{}'.format('ok  ' if ok else 'FAIL', name, ' — ' + detail if detail and not ok else ''), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError('nothing answers at ' + url)


def start_sim(sim_bin):
    """Starts jobfetch-sim on a free port; returns the process and the DESaccess part of the JSON
    description it prints as its first line (addresses and demo account)."""
    proc = subprocess.Popen([sim_bin, '--port', '0'], stdout=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    proc.stdout.close()  # the rest is for people
    try:
        return proc, json.loads(first)['desaccess']
    except (ValueError, KeyError):
        proc.terminate()
        raise RuntimeError('jobfetch-sim did not describe itself; its first line was {!r}'.format(first))


# What Jobfetch adds at the top of a job folder besides the job's own files: its manifests
# (MAST's bash scripts likewise write MANIFEST.HTML into the download folder).
MANIFESTS = {'MANIFEST.json', 'MANIFEST.html', 'manifest.csv'}


def tree_differences(a, b):
    """Every path that differs between two trees: missing on one side, or different bytes.
    Jobfetch's manifests at the top of the second tree are expected and checked separately."""
    diffs = []

    def walk(cmp, rel):
        extra = [n for n in cmp.right_only if not (rel == '' and n in MANIFESTS)]
        diffs.extend(os.path.join(rel, n) for n in cmp.left_only + extra + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        diffs.extend(os.path.join(rel, n) for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, os.path.join(rel, name))

    walk(filecmp.dircmp(a, b), '')
    return diffs


def count_files(root):
    return sum(len(files) for _, _, files in os.walk(root))


def compare(label, jobfetch, folder_url, work):
    seed_out, ours_out = os.path.join(work, 'seed'), os.path.join(work, 'jobfetch')
    seed = subprocess.run([sys.executable, SEED, folder_url, seed_out], capture_output=True, text=True)
    if seed.returncode != 0:
        raise RuntimeError('the seed script failed on {}: {}'.format(folder_url, seed.stderr.strip()[-2000:]))
    run = subprocess.run([jobfetch, 'get', folder_url, '--out', ours_out, '--quiet'], capture_output=True, text=True)
    check(label + ': jobfetch get exits 0', run.returncode == 0, run.stderr.strip())
    job = os.listdir(seed_out)[0]
    diffs = tree_differences(os.path.join(seed_out, job), os.path.join(ours_out, job))
    files = count_files(seed_out)
    check(label + ': manifests written beside the files',
          all(os.path.isfile(os.path.join(ours_out, job, name)) for name in MANIFESTS))
    check('{}: byte-identical to the seed script ({} files)'.format(label, files), not diffs and files > 0,
          'differs: ' + ', '.join(diffs[:10]))
    return seed_out


def main():
    jobfetch, sim_bin = (os.path.abspath(p) for p in sys.argv[1:3])
    work = tempfile.mkdtemp(prefix='jobfetch-parity-')
    os.chmod(work, 0o755)  # nginx's workers run as an unprivileged user when started by root
    # Everything started from here gets a home of its own: a run that fell back to the user's data
    # folder would leave its batches in this home's, which is checked at the end, and not the user's.
    home = os.path.join(work, 'home')
    os.mkdir(home)
    os.environ['HOME'] = home
    os.environ['XDG_DATA_HOME'] = os.path.join(home, '.local', 'share')
    os.environ['JOBFETCH_STATE_DIR'] = os.path.join(work, 'state')  # jobfetch's download queue
    procs = []
    try:
        sim, desaccess = start_sim(sim_bin)
        procs.append(sim)
        api, files = desaccess['api'], desaccess['files']
        account = {key: desaccess[key] for key in ('username', 'password', 'database')}
        token = requests.post(api + '/login', data=account).json()['token']
        jobs = requests.post(api + '/job/status', data={'job-id': 'all'}, headers={'Authorization': 'Bearer ' + token}).json()['jobs']
        done = [j for j in jobs if j['job_status'] == 'success']
        check('the demo archive has finished jobs', len(done) >= 3, str(len(done)))

        nginx_port = free_port()
        nginx_root = os.path.join(work, 'nginx')
        for job in done:
            folder = '{}/{}/{}/{}'.format(files, account['username'], job['job_type'], job['job_id'])
            seed_tree = compare('sim ' + job['job_id'][:8], jobfetch, folder, os.path.join(work, job['job_id']))
            served = os.path.join(nginx_root, 'www', 'files-desaccess', 'demo', job['job_type'], job['job_id'])
            shutil.copytree(seed_tree + '/' + job['job_id'], served)

        os.makedirs(os.path.join(nginx_root, 'tmp'))
        with open(os.path.join(HERE, 'nginx.conf.template')) as f:
            conf = f.read().replace('@WORK@', nginx_root).replace('@PORT@', str(nginx_port))
        with open(os.path.join(nginx_root, 'nginx.conf'), 'w') as f:
            f.write(conf)
        procs.append(subprocess.Popen(['nginx', '-c', os.path.join(nginx_root, 'nginx.conf'), '-p', nginx_root],
                                      stderr=subprocess.DEVNULL))
        nginx_base = 'http://127.0.0.1:{}'.format(nginx_port)
        wait_for(nginx_base + '/files-desaccess/')
        for job in done:
            folder = '{}/files-desaccess/demo/{}/{}/'.format(nginx_base, job['job_type'], job['job_id'])
            compare('nginx ' + job['job_id'][:8], jobfetch, folder, os.path.join(work, 'nginx-' + job['job_id']))

        touched = os.path.join(os.environ['XDG_DATA_HOME'], 'jobfetch')
        check('no run wrote into the home folder\'s download queue', not os.path.exists(touched),
              touched + ' exists: a jobfetch run went without JOBFETCH_STATE_DIR')

    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    failed = results.count(False)
    print('{} passed, {} failed'.format(len(results) - failed, failed), flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
