#!/usr/bin/env python3
"""The real JDMA client (jdma_client 1.0.1, vendored in tests/jdma_client/vendor) against the simulator's
JDMA: create and read a user, list storage, PUT a folder and follow it to PUT_COMPLETED, read the batch,
its files with digests and its archives, relabel it, GET it back and the demo batch with its large file
(following each GET to GET_COMPLETED and checking every byte against the listed ADLER32 digests), see a
GET refused before ON_STORAGE and when duplicated, catch a file corrupted after retrieval, and DELETE
the batch (twice: the second is refused).

Usage: run.py SIM_BIN   (prints 'N passed, M failed' and exits non-zero on any failure)

jdma_client reads $USER when jdma_common is imported (its settings.USER names the user of get_files,
get_archives and modify_batch) and ~/.jdma.json in create_user (downloading a template from GitHub if the
file is missing). So this script sets USER to the sim's new user and HOME to a temporary folder holding a
.jdma.json before importing it, then points it at the sim by setting the class attribute
jdma_common.settings.JDMA_API_URL to the description's jdma.base (jdma_lib's functions read it at call
time). No file of the client changes. Stages are moved on by advancing the sim's clock.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, 'vendor', 'jdma_client-1.0.1')

results = []


def check(name, ok, detail=''):
    results.append(bool(ok))
    print('{} {}{}'.format('ok  ' if ok else 'FAIL', name, ' — ' + str(detail) if detail and not ok else ''),
          flush=True)


def start_sim(sim_bin):
    sim = subprocess.Popen([sim_bin, '--port', '0', '--jdma-large-file-mib', '8'], stdout=subprocess.PIPE,
                           text=True)
    return sim, json.loads(sim.stdout.readline())


def import_client(user, home):
    """Imports the vendored client as its user would run it: $USER set, ~/.jdma.json written."""
    os.environ.update(USER=user, HOME=home)
    with open(os.path.join(home, '.jdma.json'), 'w') as f:
        json.dump({'version': '1', 'storage': {'elastictape': {'required_credentials': {'username': user}}},
                   'default_storage': 'elastictape', 'default_gws': 'climate'}, f)
    sys.dont_write_bytecode = True
    sys.path.insert(0, CLIENT)
    from jdma_client import jdma_common, jdma_lib
    return jdma_common, jdma_lib


def adler32(path):
    """jdma_control's calculate_digest_adler32: zlib.adler32 over 1 MiB blocks, hex() of it."""
    value = 0
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            value = zlib.adler32(block, value)
    return hex(value & 0xffffffff)


def main():
    sim_bin = os.path.abspath(sys.argv[1])
    home = tempfile.mkdtemp(prefix='jobfetch-jdma-client-')
    sim, description = start_sim(sim_bin)
    try:
        jdma = description['jdma']
        common, lib = import_client(jdma['new_user'], home)
        common.settings.JDMA_API_URL = jdma['base']
        check('the client reads its user from $USER', common.settings.USER == jdma['new_user'], common.settings.USER)
        control = description['desaccess']['api'].split('/desaccess/')[0] + '/_sim'
        run(common, lib, jdma, control)
        print('jdma_client', common.settings.VERSION)
    finally:
        sim.terminate()
        sim.wait()
        shutil.rmtree(home, ignore_errors=True)
    failed = results.count(False)
    print('{} passed, {} failed'.format(results.count(True), failed))
    sys.exit(1 if failed else 0)


def follow(lib, user, request_id, control, step_secs):
    """Polls get_request, moving the sim's clock a stage on each time, until the request ends; gives the
    distinct stages seen and the last reply."""
    seen, reply = [], {}
    for _ in range(60):
        reply = lib.get_request(user, req_id=request_id).json()
        if not seen or seen[-1] != reply['stage']:
            seen.append(reply['stage'])
        if reply['stage'] in (9, 106, 204, 1000, 1001):
            break
        requests.put(control + '/clock/advance', json={'secs': step_secs}).raise_for_status()
    return seen, reply


def in_order(seen, order):
    positions = [order.index(stage) for stage in seen if stage in order]
    return len(positions) == len(seen) and positions == sorted(positions)


def files_of(lib, user, batch_id):
    """(path, size, digest, digest_format) of every listed file, with the listing's reply."""
    response = lib.get_files(user, batch_id=batch_id, digest=1)
    listing = response.json()
    files = [(f['path'], f['size'], f['digest'], f['digest_format'])
             for archive in listing['migrations'][0]['archives'] for f in archive['files']]
    return response, listing, files


def run(common, lib, jdma, control):
    user, workspace, storage = jdma['new_user'], jdma['workspace'], jdma['storage']
    step = jdma['stage_interval_ms'] / 1000
    credentials = {'username': user}

    made = lib.create_user(user, email=user + '@example.ac.uk', workspace=workspace)
    check('create_user makes the user (200)', made.status_code == 200
          and made.json() == {'name': user, 'email': user + '@example.ac.uk'}, (made.status_code, made.text))
    again = lib.create_user(user, email=user + '@example.ac.uk', workspace=workspace)
    check('create_user again: 403, already initialized', again.status_code == 403
          and 'already initialized' in again.json()['error'], (again.status_code, again.text))
    info = lib.info_user(user)
    check('info_user gives name, email and notify', info.status_code == 200
          and info.json() == {'name': user, 'email': user + '@example.ac.uk', 'notify': True}, info.text)
    updated = lib.update_user(user, notify=False)
    check('update_user switches notifications off', updated.json().get('notify') is False, updated.text)
    stranger = lib.info_user('nobody')
    check('info_user of a stranger: 403 with a JSON error', stranger.status_code == 403
          and 'not initialised' in stranger.json()['error'], stranger.text)

    backends = lib.get_storage()
    check('get_storage lists the backends (after Django\'s APPEND_SLASH 301)', backends.status_code == 200
          and backends.json() == {'elastictape': 'Elastic Tape', 'objectstore': 'Object Store'}
          and [r.status_code for r in backends.history] == [301], (backends.history, backends.text))

    # A folder of the user's in the group workspace, PUT as `jdma put` would.
    folder = os.path.join(jdma['workspace_path'], 'users', user, 'run_001')
    originals = {}
    for name, size in [('README.txt', 900), ('output/tas_day.nc', 300_000), ('output/pr_day.nc', 1_500_000)]:
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = (b'CDF\x01' if name.endswith('.nc') else b'') + os.urandom(size)
        with open(path, 'wb') as f:
            f.write(data)
        originals[path] = data
    put = lib.upload_files(user, workspace=workspace, filelist=[folder], label='run_001', request_type='PUT',
                           storage=storage, credentials=credentials)
    reply = put.json()
    check('upload_files makes a PUT request at PUT_START with a batch', put.status_code == 200
          and reply['stage'] == 0 and reply['request_type'] == 0 and reply['credentials'] == {}, put.text)
    batch_id, put_id = reply['batch_id'], reply['request_id']

    early = lib.download_files(user, batch_id=batch_id, target_dir=folder + '_early', credentials=credentials)
    check('download_files before ON_STORAGE: 403', early.status_code == 403
          and early.json()['error'].startswith('Batch stage is: ON_DISK.'), early.text)

    stages, last = follow(lib, user, put_id, control, step)
    put_order = [0, 1, 3, 2, 4, 5, 6, 7, 8, 9]
    check('get_request follows the PUT to PUT_COMPLETED in the documented order', last['stage'] == 9
          and in_order(stages, put_order), stages)
    check('a single request has its filelist', last.get('filelist') == [folder], last)

    batch = lib.get_batch(user, batch_id=batch_id).json()
    check('get_batch: ON_STORAGE, labelled, with an external id', batch['stage'] == 2
          and batch['label'] == 'run_001' and batch.get('external_id'), batch)
    listed = lib.get_batch(user).json()['migrations']
    check('get_batch lists the user\'s batches', [b['migration_id'] for b in listed] == [batch_id], listed)
    shared = lib.get_batch(user, workspace=workspace, ffilter='workspace').json()['migrations']
    check('filter=workspace lists everyone\'s batches in the workspace', len({b['user'] for b in shared}) >= 3,
          shared)

    response, listing, files = files_of(lib, user, batch_id)
    check('get_files lists the batch (through the 301) with the "pk " key', response.status_code == 200
          and response.history and all('pk ' in f for a in listing['migrations'][0]['archives']
                                       for f in a['files']), listing)
    check('get_files gives the files the PUT found, sizes and ADLER32 digests of their bytes',
          sorted(p for p, *_ in files) == sorted(originals)
          and all(size == len(originals[p]) and fmt == 'ADLER32' and digest == adler32(p)
                  for p, size, digest, fmt in files), files)
    no_digest = lib.get_files(user, batch_id=batch_id, digest=0).json()
    check('digest=0 still gives digests (the server looks only for the parameter)',
          all('digest' in f for a in no_digest['migrations'][0]['archives'] for f in a['files']), no_digest)
    archives = lib.get_archives(user, batch_id=batch_id).json()['migrations'][0]['archives']
    check('get_archives lists the batch\'s archives', archives and all(a['archive_id'].startswith('archive_')
                                                                      for a in archives), archives)

    relabelled = lib.modify_batch(user, batch_id=batch_id, label='run_001_v2')
    check('modify_batch relabels the batch', relabelled.status_code == 200
          and lib.get_batch(user, batch_id=batch_id).json()['label'] == 'run_001_v2', relabelled.text)

    target = folder + '_restored'
    got = lib.download_files(user, batch_id=batch_id, target_dir=target, credentials=credentials)
    check('download_files makes a GET at GET_START', got.status_code == 200 and got.json()['stage'] == 100,
          got.text)
    twice = lib.download_files(user, batch_id=batch_id, target_dir=target, credentials=credentials)
    check('the same GET again: 403, duplicate', twice.status_code == 403
          and 'Duplicate GET request' in twice.json()['error'], twice.text)
    stages, last = follow(lib, user, got.json()['request_id'], control, step)
    check('the GET reaches GET_COMPLETED in order', last['stage'] == 106
          and in_order(stages, [100, 101, 102, 103, 104, 105, 106]), stages)
    restored = {path: os.path.join(target, os.path.relpath(path, folder)) for path in originals}
    same = all(open(copy, 'rb').read() == originals[path] for path, copy in restored.items())
    check('the retrieved files are in the target folder, byte for byte', same, restored)

    demo_batch = jdma['batch_id']
    _, _, demo_files = files_of(lib, user, demo_batch)
    demo_target = os.path.join(jdma['workspace_path'], 'users', user, 'hadgem3_restored')
    got = lib.download_files(user, batch_id=demo_batch, target_dir=demo_target, credentials=credentials)
    stages, last = follow(lib, user, got.json()['request_id'], control, step)
    base = os.path.join(jdma['workspace_path'], 'users', jdma['user'], 'hadgem3_ssp585_daily')
    wrong = [(p, d) for p, size, d, _ in demo_files
             if adler32(os.path.join(demo_target, os.path.relpath(p, base))) != d]
    largest = max(size for _, size, _, _ in demo_files)
    check('the demo batch (with its {} MiB file) comes back with every ADLER32 digest matching'.format(
        largest >> 20), last['stage'] == 106 and not wrong and largest > 8_000_000, (last, wrong))

    victim = os.path.join(demo_target, os.path.relpath(demo_files[0][0], base))
    requests.post(control + '/jdma/corrupt', json={'path': victim}).raise_for_status()
    check('a file corrupted after retrieval no longer matches its digest', adler32(victim) != demo_files[0][2]
          and os.path.getsize(victim) == demo_files[0][1])

    deleted = lib.delete_batch(user, batch_id=batch_id, storage=storage, credentials=credentials)
    check('delete_batch makes a DELETE at DELETE_START', deleted.status_code == 200
          and deleted.json()['stage'] == 200, deleted.text)
    twice = lib.delete_batch(user, batch_id=batch_id, storage=storage, credentials=credentials)
    check('delete_batch again: 403, duplicate', twice.status_code == 403
          and 'Duplicate DELETE request' in twice.json()['error'], twice.text)
    stages, last = follow(lib, user, deleted.json()['request_id'], control, step)
    check('the DELETE completes and the batch is DELETED', last['stage'] == 204
          and lib.get_batch(user, batch_id=batch_id).json()['stage'] == 5, (stages, last))
    refused = lib.download_files(user, batch_id=batch_id, target_dir=folder + '_late', credentials=credentials)
    check('a GET of a deleted batch: 403', refused.status_code == 403
          and 'Batch stage is: DELETED.' in refused.json()['error'], refused.text)

    mine = lib.get_request(user).json()['requests']
    check('get_request lists the user\'s requests by id with numeric types', [r['request_type'] for r in mine]
          == [0, 1, 1, 3] and [r['request_id'] for r in mine] == sorted(r['request_id'] for r in mine), mine)
    print('   request types as the CLI names them:', [common.get_request_type(r['request_type']) for r in mine],
          [common.get_request_stage(r['stage']) for r in mine])


if __name__ == '__main__':
    main()
