#!/usr/bin/env python3
"""Set up a real S3 API server (moto's standalone server) for heapscope's object-store tests.

    s3.py ENDPOINT mb BUCKET                 create a bucket
    s3.py ENDPOINT put BUCKET KEY FILE ...   upload FILE as KEY (pairs may repeat)
    s3.py ENDPOINT get BUCKET KEY            print the object's bytes to stdout
    s3.py ENDPOINT ls BUCKET [PREFIX]        print the keys, one a line

Uses boto3 with dummy credentials (moto accepts any unless it enforces IAM auth).
"""
import sys

import boto3


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def main(argv):
    endpoint, cmd, *rest = argv
    s3 = client(endpoint)
    if cmd == "mb":
        s3.create_bucket(Bucket=rest[0])
    elif cmd == "put":
        bucket, pairs = rest[0], rest[1:]
        for key, path in zip(pairs[::2], pairs[1::2]):
            with open(path, "rb") as f:
                s3.put_object(Bucket=bucket, Key=key, Body=f.read())
    elif cmd == "get":
        sys.stdout.buffer.write(s3.get_object(Bucket=rest[0], Key=rest[1])["Body"].read())
    elif cmd == "ls":
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=rest[0], Prefix=rest[1] if len(rest) > 1 else ""
        )
        for page in pages:
            for o in page.get("Contents", []):
                print(o["Key"])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
