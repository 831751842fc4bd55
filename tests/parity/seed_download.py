#!/usr/bin/env python3
"""The DESaccess documentation's download script (shared/seeds/001), unchanged but for taking the
job folder URL and output folder from the command line: the reference Jobfetch must match byte for byte."""

import os
import sys

import requests


def download_job_files(url, outdir):
    os.makedirs(outdir, exist_ok=True)
    r = requests.get('{}/json'.format(url))
    for item in r.json():
        if item['type'] == 'directory':
            suburl = '{}/{}'.format(url, item['name'])
            subdir = '{}/{}'.format(outdir, item['name'])
            download_job_files(suburl, subdir)
        elif item['type'] == 'file':
            data = requests.get('{}/{}'.format(url, item['name']))
            with open('{}/{}'.format(outdir, item['name']), "wb") as file:
                file.write(data.content)

    return r.json()


if __name__ == '__main__':
    job_url, out = sys.argv[1].rstrip('/'), sys.argv[2]
    job_id = job_url.rsplit('/', 1)[1]
    download_dir = os.path.join(out, job_id)
    download_job_files(job_url, download_dir)
    print('Files for job "{}" downloaded to "{}"'.format(job_id, download_dir))
