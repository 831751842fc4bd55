#!/usr/bin/env python3
"""A real single-node Slurm cluster (Debian's slurm-wlm and munge), configured and started here in a
temporary folder and torn down after, runs `jobfetch slurm submit` of a 4-shard plan of the
simulator's 2,000-file benchmark job:

- every file arrives, whole, once (the sim's byte counts per path: no file was sent twice);
- `jobfetch slurm status` and `jobfetch status --plan` show every shard done and nothing missing;
- one array task cancelled with `scancel` mid-run, then the job submitted again, finishes the plan
  without fetching again the files that were already there.

Slurm runs without cgroups (proctrack/linuxproc, task/none) and without accounting storage, as root.
Usage: run.py JOBFETCH_BIN SIM_BIN   (prints 'N passed, M failed'; exits non-zero on any failure)
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SHARDS = 4
results = []


def check(name, ok, detail=''):
    results.append(ok)
    print('{} {}{}'.format('ok  ' if ok else 'FAIL', name, ' — ' + str(detail) if detail and not ok else ''), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def until(what, done, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if done():
            return
        time.sleep(0.3)
    raise RuntimeError('timed out after {} s waiting until {}'.format(timeout, what))


SLURM_CONF = """\
ClusterName=jobfetchtest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
AuthInfo=socket={work}/munge/munge.socket
CredType=cred/munge
StateSaveLocation={work}/ctld
SlurmdSpoolDir={work}/slurmd
SlurmctldPidFile={work}/slurmctld.pid
SlurmdPidFile={work}/slurmd.pid
SlurmctldLogFile={work}/slurmctld.log
SlurmdLogFile={work}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    """munged, slurmctld and slurmd with their own key, sockets, ports and state under `work`."""

    def __init__(self, work):
        self.work = work
        self.procs = []
        self.host = socket.gethostname().split('.')[0]
        self.env = dict(os.environ, SLURM_CONF=os.path.join(work, 'slurm.conf'))

    def start(self):
        munge = os.path.join(self.work, 'munge')
        os.makedirs(munge, mode=0o700)
        key = os.path.join(munge, 'munge.key')
        with open(key, 'wb') as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        for d in ('ctld', 'slurmd'):
            os.makedirs(os.path.join(self.work, d))
        with open(self.env['SLURM_CONF'], 'w') as f:
            f.write(SLURM_CONF.format(host=self.host, work=self.work, ctld_port=free_port(),
                                      d_port=free_port(), cpus=SHARDS))
        self.spawn(['munged', '--foreground', '--force', '--key-file', key,
                    '--socket', os.path.join(munge, 'munge.socket'),
                    '--pid-file', os.path.join(munge, 'munged.pid'),
                    '--log-file', os.path.join(munge, 'munged.log'),
                    '--seed-file', os.path.join(munge, 'munged.seed')])
        until('munged listens', lambda: os.path.exists(os.path.join(munge, 'munge.socket')), 20)
        self.spawn(['slurmctld', '-D', '-i', '-f', self.env['SLURM_CONF']])
        self.spawn(['slurmd', '-D', '-N', self.host, '-f', self.env['SLURM_CONF']])
        until('the node is idle', lambda: 'idle' in self.run(['sinfo', '-h', '-o', '%T'], check=False), 60)

    def spawn(self, cmd):
        log = open(os.path.join(self.work, os.path.basename(cmd[0]) + '.out'), 'w')
        self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def run(self, cmd, check=True, env=None):
        done = subprocess.run(cmd, env=env or self.env, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise RuntimeError('{} failed: {}{}'.format(' '.join(cmd), done.stdout, done.stderr))
        return done.stdout

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self):
        for name in ('slurmctld.log', 'slurmd.log'):
            path = os.path.join(self.work, name)
            if os.path.exists(path):
                print('--- ' + name)
                print(open(path).read()[-3000:])


def sim_stats(base):
    with urllib.request.urlopen(base + '/_sim/stats') as reply:
        return json.load(reply)['bytes_sent']


def sim_put(base, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method='PUT',
                                     headers={'Content-Type': 'application/json'})
    urllib.request.urlopen(request).close()


def job_states(cluster, job):
    """Each array task's state in squeue (tasks that left the queue are not there)."""
    out = cluster.run(['squeue', '-j', job, '-r', '-h', '-o', '%i|%T'], check=False)
    return dict(line.split('|', 1) for line in out.split())


def main():
    jobfetch, sim_bin = (os.path.abspath(p) for p in sys.argv[1:3])
    for tool in ('munged', 'slurmctld', 'slurmd', 'sbatch'):
        if not shutil.which(tool):
            sys.exit('{} is missing: install Debian\'s slurm-wlm and munge (scripts/install-deps.sh slurm-wlm munge)'.format(tool))
    work = tempfile.mkdtemp(prefix='jobfetch-slurm-')
    os.chmod(work, 0o755)
    cluster = Cluster(work)
    sim = None
    try:
        sim = subprocess.Popen([sim_bin, '--port', '0'], stdout=subprocess.PIPE, text=True)
        files_url = json.loads(sim.stdout.readline())['desaccess']['files']
        sim.stdout.close()
        base = files_url.split('/files-desaccess')[0]
        folder = files_url + '/bench/cutout/b2000c0ffee04b7da11e5f3c0de2000a/'
        cluster.start()
        env = dict(cluster.env, JOBFETCH_STATE_DIR=os.path.join(work, 'state'), JOBFETCH_NO_KEYRING='1')
        out = os.path.join(work, 'out')
        plan = os.path.join(work, 'plan.json')
        cluster.run([jobfetch, 'plan', folder, '--out', out, '--save', plan], env=env)
        items = json.load(open(plan))['items']
        sizes = {item['dest']: item['size'] for item in items}
        check('the plan lists the job\'s 2,000 files', len(items) == 2000, len(items))

        # Slow enough that a task is still at work when it is cancelled.
        sim_put(base, '/_sim/delay', {'ms': 40})
        started = time.time()
        job = cluster.run([jobfetch, 'slurm', 'submit', plan, '--shards', str(SHARDS), '-j', '4'], env=env).strip()
        check('slurm submit prints the job id', job.isdigit(), job)
        script = os.path.splitext(plan)[0] + '.sbatch'
        text = open(script).read()
        check('the script is written next to the plan, an array of one task per shard',
              '#SBATCH --array=0-{}'.format(SHARDS - 1) in text and '--shard "$SLURM_ARRAY_TASK_ID/{}"'.format(SHARDS) in text, text)

        shard1 = os.path.join(out, '.jobfetch', 'plans')
        def shard_manifest(i):
            (plan_id,) = os.listdir(shard1)
            path = os.path.join(shard1, plan_id, 'shards', '{}-of-{}'.format(i, SHARDS), 'MANIFEST.json')
            return json.load(open(path)) if os.path.exists(path) else None
        def some_done(i):
            manifest = shard_manifest(i)
            return manifest is not None and 20 <= manifest['totals']['retrieved'] < manifest['totals']['requested']
        until('shard 1 is under way', lambda: os.path.isdir(shard1) and some_done(1), 120)
        cluster.run(['scancel', '{}_1'.format(job)])
        until('every task has left the queue', lambda: not job_states(cluster, job), 300)
        first_run = time.time() - started
        status = subprocess.run([jobfetch, 'status', '--plan', plan], env=env, capture_output=True, text=True)
        check('status --plan says files are missing after the cancel, and where',
              status.returncode == 1 and 'missing' in status.stdout and '1/4' in status.stdout, status.stdout + status.stderr)
        sent_before = sim_stats(base)
        # Whole on disk (renamed from its .part) before the resubmission: a file the server had sent
        # all of may still have been cut short on the way, and is rightly resumed.
        whole_before = [p for p, n in sizes.items()
                        if os.path.exists(os.path.join(out, p)) and os.path.getsize(os.path.join(out, p)) == n]

        job2 = cluster.run([jobfetch, 'slurm', 'submit', plan, '--shards', str(SHARDS), '-j', '4'], env=env).strip()
        until('the resubmitted job has left the queue', lambda: not job_states(cluster, job2), 300)
        status = subprocess.run([jobfetch, 'slurm', 'status', job2], env=env, capture_output=True, text=True)
        check('slurm status shows every shard done and nothing missing',
              status.returncode == 0 and 'Nothing is missing' in status.stdout
              and status.stdout.count('Done') >= SHARDS, status.stdout + status.stderr)
        print(status.stdout)
        plan_status = subprocess.run([jobfetch, 'status', '--plan', plan], env=env, capture_output=True, text=True)
        check('status --plan: the combined manifest is complete', plan_status.returncode == 0, plan_status.stdout)

        missing = [p for p, n in sizes.items() if os.path.getsize(os.path.join(out, p)) != n] if all(
            os.path.exists(os.path.join(out, p)) for p in sizes) else ['(some file is absent)']
        check('every file arrived with its size', not missing, missing[:5])
        sent = sim_stats(base)
        prefix = '/files-desaccess/bench/cutout/b2000c0ffee04b7da11e5f3c0de2000a/'
        twice = [p for p, n in sizes.items() if sent.get(prefix + p, 0) > n]
        # Only the files in flight when the task was cancelled may have sent a few bytes twice.
        check('no file was sent twice (at most the 4 in flight at the cancel were cut and resumed)',
              len(twice) <= 4, twice)
        again = [p for p in whole_before if sent.get(prefix + p, 0) > sent_before.get(prefix + p, 0)]
        check('the resubmitted job fetched none of the {} files already there'.format(len(whole_before)),
              whole_before and not again, again[:5])
        print('first run (until the cancelled task and the others ended): {:.1f} s'.format(first_run))
    except Exception as err:  # noqa: BLE001 — report, show the logs, fail
        check('the Slurm run', False, err)
        cluster.logs()
    finally:
        cluster.stop()
        if sim is not None:
            sim.terminate()
            sim.wait()
        shutil.rmtree(work, ignore_errors=True)
    passed = sum(results)
    print('{} passed, {} failed'.format(passed, len(results) - passed))
    sys.exit(0 if all(results) else 1)


if __name__ == '__main__':
    main()
