#!/usr/bin/env python3
"""The real up42-py client (0.37.2, the last that speaks the seed API) against the simulator's UP42:
sign in with project and account credentials, list a project's jobs (two pages), a job's tasks,
download and unpack results, download quicklooks, read data.json and logs, and see a token expire.

Usage: run.py SIM_BIN   (prints 'N passed, M failed' and exits non-zero on any failure)

up42-py 0.37.2 builds every URL with up42.host.endpoint(path), which hard-codes
https://api.up42.com, and job.py, jobtask.py and project.py import that function by name. The
client has no setting for its host, so this script points it at the sim by replacing that one
function in each up42 module that holds it (module attributes, set at run time; no file of the
client changes). Signed download URLs come from the sim and are used as given.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import requests

results = []


def check(name, ok, detail=''):
    results.append(bool(ok))
    print('{} {}{}'.format('ok  ' if ok else 'FAIL', name, ' — ' + str(detail) if detail and not ok else ''),
          flush=True)


def start_sim(sim_bin):
    sim = subprocess.Popen([sim_bin, '--port', '0'], stdout=subprocess.PIPE, text=True)
    return sim, json.loads(sim.stdout.readline())


def point_at(base):
    """Makes up42-py's endpoint() (and every copy imported by name) build URLs on the sim."""
    import up42
    from up42 import host
    original = host.endpoint

    def endpoint(path):
        return base + path

    patched = []
    for name, module in list(sys.modules.items()):
        if (name == 'up42' or name.startswith('up42.')) and getattr(module, 'endpoint', None) is original:
            module.endpoint = endpoint
            patched.append(name)
    return up42, patched


def main():
    sim_bin = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix='jobfetch-up42py-')
    sim, description = start_sim(sim_bin)
    try:
        warnings.simplefilter('ignore')
        up42, patched = point_at(description['up42']['base'])
        check('up42-py builds its URLs on the sim', {'up42.host', 'up42.job', 'up42.jobtask', 'up42.project'}
              <= set(patched), patched)
        run(up42, description, work)
        print('up42-py', up42.__version__)
    finally:
        sim.terminate()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)
    failed = results.count(False)
    print('{} passed, {} failed'.format(results.count(True), failed))
    sys.exit(1 if failed else 0)


def geotiff_bbox(path):
    """A GeoTIFF's [west, south, east, north] from its tie point and pixel scale, and its format."""
    from PIL import Image
    with Image.open(path) as image:
        tags = image.tag_v2
        tie, scale = tags[33922], tags[33550]
        width, height = image.size
        return image.format, [tie[3], tie[4] - scale[1] * height, tie[3] + scale[0] * width, tie[4]], tags[34735][-1]


def image_format(path):
    from PIL import Image
    with Image.open(path) as image:
        image.load()
        return image.format


def run(up42, description, work):
    sim = description['up42']
    project_id = sim['project_id']
    control = description['desaccess']['api'].split('/desaccess/')[0] + '/_sim'

    up42.authenticate(project_id=project_id, project_api_key=sim['api_key'])
    auth = up42.main.get_auth_safely()
    check('authenticate(project_id, project_api_key) gets a token', auth.token.count('.') == 2, auth.token)
    check('it reads the account id from /users/me', auth.workspace_id == sim['account_id'], auth.workspace_id)

    project = up42.initialize_project(project_id=project_id)
    check('initialize_project reads the project', project._info['id'] == project_id, project._info)

    jobs = project.get_jobs(return_json=True)
    statuses = {job['status'] for job in jobs}
    check('get_jobs pages to the end (more than one page of 20)', len(jobs) > 20 and len({j['id'] for j in jobs})
          == len(jobs), len(jobs))
    check('jobs come in every status, both spellings of NOT STARTED',
          statuses >= {'SUCCEEDED', 'RUNNING', 'PENDING', 'NOT STARTED', 'NOT_STARTED', 'FAILED', 'ERROR',
                       'CANCELLING', 'CANCELLED'}, statuses)
    check('newest first', [j['createdAt'] for j in jobs] == sorted((j['createdAt'] for j in jobs), reverse=True))
    real = project.get_jobs(return_json=True, test_jobs=False)
    check('test_jobs=False leaves out the dry runs', 0 < len(real) < len(jobs)
          and all(j['mode'] == 'DEFAULT' for j in real), len(real))
    by_name = project.get_jobs(return_json=True, sortby='name', descending=False, limit=5)
    check('sortby=name, ascending, limit=5', [j['name'] for j in by_name] == sorted(j['name'] for j in jobs)[:5],
          [j['name'] for j in by_name])

    job = up42.initialize_job(job_id=sim['demo_job_id'], project_id=project_id)
    check('the demo job is listed and SUCCEEDED', job.status == 'SUCCEEDED'
          and sim['demo_job_id'] in {j['id'] for j in jobs})
    tasks = job.get_jobtasks()
    blocks = [task._info['block']['name'] for task in tasks]
    check('get_jobtasks lists its tasks in workflow order', len(tasks) == 3
          and blocks[0] == 'oneatlas-pleiades-aoiclipped', blocks)
    check('tasks have names, versions and times', all(t._info['name'].endswith(':1') and t._info['blockVersion']
                                                      and t._info['finishedAt'] for t in tasks))

    out = os.path.join(work, 'job')
    files = job.download_results(output_directory=out)
    data_json = os.path.join(out, 'data.json')
    check('download_results unpacks data.json and the files (output/ flattened away)',
          data_json in files and len(files) >= 2 and all(os.path.isfile(f) for f in files), files)
    with open(data_json) as f:
        features = json.load(f)['features']
    paths = [os.path.join(out, feature['properties']['up42.data_path']) for feature in features]
    check('each feature\'s up42.data_path is an unpacked file', sorted(paths) == sorted(p for p in files
                                                                                  if p != data_json), paths)
    wrong = []
    for feature, path in zip(features, paths):
        fmt, bbox, epsg = geotiff_bbox(path)
        if fmt != 'TIFF' or epsg != 4326 or max(abs(a - b) for a, b in zip(bbox, feature['bbox'])) > 1e-6:
            wrong.append((path, fmt, bbox, feature['bbox'], epsg))
    check('results are GeoTIFFs placed on their footprints (EPSG:4326)', not wrong, wrong)
    check('get_results_json is the last task\'s data.json', job.get_results_json()['features'] == features)

    data_task = tasks[0]
    task_files = data_task.download_results(output_directory=os.path.join(work, 'task'))
    check('a task\'s download_results unpacks its own files', len(task_files) >= 2
          and all(os.path.isfile(f) for f in task_files), task_files)
    task_features = data_task.get_results_json()['features']
    check('footprints are polygons', all(f['geometry']['type'] == 'Polygon' for f in task_features))

    quicklooks = job.download_quicklooks(output_directory=os.path.join(work, 'quicklooks'))
    check('download_quicklooks saves one JPEG per scene of the data task',
          len(quicklooks) == len(task_features) and all(image_format(q) == 'JPEG' for q in quicklooks), quicklooks)

    logs = job.get_logs(as_print=False, as_return=True)
    check('get_logs returns each task\'s text log', len(logs) == 3
          and all(isinstance(text, str) and 'INFO' in text for text in logs.values()), logs)
    check('get_credits', job.get_credits()['creditsUsed'] > 0)

    url = data_task._get_download_url()
    check('the signed URL points at the storage host', url.startswith(sim['storage'] + '/'), url)
    refused = requests.get(url, headers={'Authorization': 'Bearer ' + auth.token})
    check('the storage host refuses the signed URL with a bearer header (400, XML)',
          refused.status_code == 400 and refused.text.startswith('<?xml'), (refused.status_code, refused.text))
    requests.post(control + '/up42/expire-signed-urls').raise_for_status()
    expired = requests.get(url)
    check('after /_sim/up42/expire-signed-urls it has expired', expired.status_code == 400
          and 'ExpiredToken' in expired.text, (expired.status_code, expired.text))
    again = data_task.download_results(output_directory=os.path.join(work, 'again'))
    check('a new signed URL works', len(again) == len(task_files))

    other = next(p for p in sim['projects'] if p['id'] != project_id)
    try:
        up42.initialize_project(project_id=other['id'])
        check('a project token does not reach another project', False)
    except requests.exceptions.HTTPError as err:
        check('a project token does not reach another project', '403' in str(err.__cause__), err)

    up42.authenticate(username=sim['username'], password=sim['password'])
    other_project = up42.initialize_project(project_id=other['id'])
    other_jobs = other_project.get_jobs(return_json=True)
    check('the account (username, password) sees the other projects', other_project._info['name'] == other['name']
          and len(other_jobs) > 0, other_project._info)

    live = next(j for j in sim['live_jobs'] if j['api'] == 'seed' and j['ends_as'] == 'SUCCEEDED')
    watched = up42.initialize_job(job_id=live['id'], project_id=live['project_id'])
    check('a live job is RUNNING', watched.status == 'RUNNING')
    requests.put(control + '/jobs/{}/end'.format(live['id']), json={'after_secs': 0}).raise_for_status()
    check('... and SUCCEEDED once its end comes, with results', watched.status == 'SUCCEEDED'
          and len(watched.download_results(output_directory=os.path.join(work, 'live'))) >= 2)

    requests.put(control + '/clock/advance', json={'secs': 301}).raise_for_status()
    try:
        other_project.info
        check('five minutes on the sim\'s clock later the token is refused', False)
    except requests.exceptions.HTTPError as err:
        check('five minutes on the sim\'s clock later the token is refused', '401' in str(err.__cause__), err)
    up42.authenticate(username=sim['username'], password=sim['password'])
    check('authenticating again works', up42.initialize_project(project_id=other['id'])._info['id'] == other['id'])


if __name__ == '__main__':
    main()
