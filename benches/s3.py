"""Python side of benches/s3.sh: boto3's upload_file/download_file (default TransferConfig) against the same moto.

Usage: s3.py ENV big FILE | s3.py ENV small DIR   (prints "boto3_<what> <rate>")
"""
import os
import shutil
import sys
import tempfile
import time

import boto3

from envfile import settings


def main():
    env, mode, path = settings(sys.argv[1]), sys.argv[2], sys.argv[3]
    s3 = boto3.client("s3", endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env["AWS_ENDPOINT_URL"],
                      region_name=env["AWS_REGION"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    bucket = f"bench-boto3-{mode}"
    s3.create_bucket(Bucket=bucket)
    out = tempfile.mkdtemp()
    if mode == "big":
        size = os.path.getsize(path) / 1e6
        start = time.perf_counter()
        s3.upload_file(path, bucket, "big.bin")
        print(f"boto3_upload_MB/s {size / (time.perf_counter() - start):.1f}")
        start = time.perf_counter()
        s3.download_file(bucket, "big.bin", os.path.join(out, "big.bin"))
        print(f"boto3_download_MB/s {size / (time.perf_counter() - start):.1f}")
    else:
        files = sorted(os.listdir(path))
        start = time.perf_counter()
        for f in files:
            s3.upload_file(os.path.join(path, f), bucket, f"small/{f}")
        print(f"boto3_upload_objects/s {len(files) / (time.perf_counter() - start):.0f}")
        start = time.perf_counter()
        for f in files:
            s3.download_file(bucket, f"small/{f}", os.path.join(out, f))
        print(f"boto3_download_objects/s {len(files) / (time.perf_counter() - start):.0f}")
    shutil.rmtree(out)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
