#!/usr/bin/env python3
"""The real astroquery MAST client against the simulator's MAST: query, list, filter, download
(direct and as a curl script, which is then run), and sign in to fetch an exclusive-access file.

Usage: run.py SIM_BIN   (prints 'N passed, M failed' and exits non-zero on any failure)

astroquery builds every MAST URL from its `[mast] server` option when it is imported, so this
writes that option to $XDG_CONFIG_HOME/astropy/astroquery.cfg in a temporary XDG_CONFIG_HOME
(astropy's supported way to configure a package) before importing it. HOME and XDG_CACHE_HOME are temporary too.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from urllib.parse import quote

import requests

results = []


def check(name, ok, detail=''):
    results.append(bool(ok))
    print('{} {}{}'.format('ok  ' if ok else 'FAIL', name, ' — ' + str(detail) if detail and not ok else ''),
          flush=True)


def start_sim(sim_bin):
    sim = subprocess.Popen([sim_bin, '--port', '0'], stdout=subprocess.PIPE, text=True)
    description = json.loads(sim.stdout.readline())
    return sim, description['mast']


def configure_astroquery(home, server):
    """Points astroquery's [mast] server at the sim, through its config file."""
    config = os.path.join(home, 'config')
    # astroquery's options live in astropy's config folder, $XDG_CONFIG_HOME/astropy/astroquery.cfg.
    os.makedirs(os.path.join(config, 'astropy'))
    os.makedirs(os.path.join(home, 'cache'))
    with open(os.path.join(config, 'astropy', 'astroquery.cfg'), 'w') as f:
        f.write('[mast]\nserver = {}\n'.format(server))
    os.environ.update(HOME=home, XDG_CONFIG_HOME=config, XDG_CACHE_HOME=os.path.join(home, 'cache'))


def served_bytes(base, uri, token=None):
    """The file as the sim serves it (following a redirect to its storage host)."""
    headers = {'Authorization': 'token ' + token} if token else {}
    response = requests.get(base + '/api/v0.1/Download/file?uri=' + quote(uri, safe=':/'), headers=headers)
    response.raise_for_status()
    return response.content


def same_files(manifest, products, base, token=None):
    """Each downloaded file equals the sim's bytes; returns the mismatches."""
    problems = []
    for row, product in zip(manifest, products):
        if row['Status'] != 'COMPLETE':
            problems.append('{}: {} {}'.format(product['dataURI'], row['Status'], row['Message']))
            continue
        with open(row['Local Path'], 'rb') as f:
            if f.read() != served_bytes(base, product['dataURI'], token):
                problems.append(product['dataURI'] + ': bytes differ')
    return problems


def main():
    sim_bin = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix='jobfetch-astroquery-')
    sim, mast = start_sim(sim_bin)
    try:
        configure_astroquery(work, mast['base'])
        import astroquery
        from astroquery.mast import Observations, conf
        warnings.simplefilter('ignore')
        run(Observations, conf, mast, work)
        print('astroquery', astroquery.__version__)
    finally:
        sim.terminate()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)
    failed = results.count(False)
    print('{} passed, {} failed'.format(results.count(True), failed))
    sys.exit(1 if failed else 0)


def run(Observations, conf, mast, work):
    base = mast['base']
    check('astroquery reads the sim as its MAST server', conf.server == base, conf.server)

    obs = Observations.query_criteria(proposal_id=mast['proposal'])
    check('query_criteria(proposal_id) finds the demo proposal', len(obs) >= 2
          and set(obs['obs_collection']) == {mast['collection']}, obs)
    check('observations carry CAOM columns',
          all(c in obs.colnames for c in ('obsid', 'obs_id', 'target_name', 's_ra', 's_dec', 't_min',
                                          'dataRights', 'calib_level', 'instrument_name')), obs.colnames)
    wild = Observations.query_criteria(target_name='NGC13*', obs_collection=mast['collection'])
    check('wildcards work', len(wild) == len(obs), len(wild))
    near = Observations.query_region('{} {}'.format(obs['s_ra'][0], obs['s_dec'][0]), radius=0.1)
    check('query_region (Mast.Caom.Cone) finds the demo proposal',
          mast['proposal'] in set(near['proposal_id']), near)

    # Three obsids: the sim answers EXECUTING once, astroquery polls.
    products = Observations.get_product_list(obs)
    check('get_product_list lists every product type',
          set(products['productType']) >= {'SCIENCE', 'CALIBRATION', 'AUXILIARY', 'PREVIEW', 'INFO'},
          set(products['productType']))

    public = Observations.filter_products(products, productType='SCIENCE', dataRights='PUBLIC')
    check('filter_products(productType=SCIENCE)', len(public) > 0)
    manifest = Observations.download_products(public, download_dir=os.path.join(work, 'direct'))
    problems = same_files(manifest, public, base)
    check('download_products writes the sim\'s bytes', not problems, problems)
    check('files land in mastDownload/<collection>/<obs_id>/',
          all('/mastDownload/{}/{}/'.format(p['obs_collection'], p['obs_id']) in m['Local Path']
              for m, p in zip(manifest, public)))

    previews = Observations.filter_products(products, productType='PREVIEW', dataRights='PUBLIC')
    manifest = Observations.download_products(previews, download_dir=os.path.join(work, 'direct'))
    problems = same_files(manifest, previews, base)
    check('chunked previews (no Content-Length) download whole', len(previews) > 0 and not problems, problems)
    again = Observations.download_products(public, download_dir=os.path.join(work, 'direct'))
    check('a second download reports COMPLETE (cached)', set(again['Status']) == {'COMPLETE'}, again)

    mrp = Observations.filter_products(products, mrp_only=True, dataRights='PUBLIC')
    check('filter_products(mrp_only=True)', len(mrp) > 0
          and set(mrp['productGroupDescription']) == {'Minimum Recommended Products'})
    curl_dir = os.path.join(work, 'curl')
    os.makedirs(curl_dir)  # astroquery saves the script there but does not create the folder
    manifest = Observations.download_products(mrp, download_dir=curl_dir, curl_flag=True)
    script_path = manifest['Local Path'][0]
    check('curl_flag=True saves a script', manifest['Status'][0] == 'COMPLETE' and os.path.isfile(script_path),
          manifest)
    with open(script_path) as f:
        script = f.read()
    check('the script names every file',
          all('/{}/{}/{}\''.format(p['obs_collection'], p['obs_id'], p['productFilename']) in script
              and p['dataURI'] in script for p in mrp))
    check('the script downloads from the sim', "'{}/api/v0.1/Download/file?bundle_name=".format(base) in script)
    ran = subprocess.run(['bash', script_path], cwd=curl_dir, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True)
    folders = [d for d in os.listdir(curl_dir) if d.startswith('MAST_')]
    wrong = []
    for p in mrp:
        path = os.path.join(curl_dir, folders[0] if folders else '-', p['obs_collection'], p['obs_id'],
                            p['productFilename'])
        if not os.path.isfile(path) or open(path, 'rb').read() != served_bytes(base, p['dataURI']):
            wrong.append(path)
    check('running the script fetches the same bytes', ran.returncode == 0 and len(folders) == 1 and not wrong,
          (ran.returncode, ran.stderr[-500:], wrong))
    check('the script writes MANIFEST.HTML', folders and os.path.isfile(os.path.join(curl_dir, folders[0],
                                                                                      'MANIFEST.HTML')))

    secret = Observations.filter_products(products, dataRights='EXCLUSIVE_ACCESS', productType='SCIENCE')
    anon = Observations.download_products(secret[:1], download_dir=os.path.join(work, 'anonymous'))
    check('an exclusive-access file is refused without a token',
          anon['Status'][0] == 'ERROR' and '401' in str(anon['Message'][0]), anon)
    Observations.login(token=mast['token'])
    manifest = Observations.download_products(secret, download_dir=os.path.join(work, 'signed-in'))
    problems = same_files(manifest, secret, base, mast['token'])
    check('after login(token) the exclusive-access files download', len(secret) > 0 and not problems, problems)
    Observations.logout()

    jwst = Observations.query_criteria(obs_collection='JWST', instrument_name='MIRI*')
    jwst_products = Observations.filter_products(Observations.get_product_list(jwst[:1]), extension='i2d.fits')
    manifest = Observations.download_products(jwst_products, download_dir=os.path.join(work, 'direct'))
    problems = same_files(manifest, jwst_products, base)
    check('JWST files arrive through the redirect to the storage host', len(jwst_products) == 1 and not problems,
          problems)


if __name__ == '__main__':
    main()
