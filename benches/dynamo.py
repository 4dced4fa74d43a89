"""Python side of benches/dynamo.sh, with boto3 against the same items and the same moto server.

Usage: dynamo.py convert ITEMS.jsonl   (TypeDeserializer and TypeSerializer over the items; prints "name items/s")
       dynamo.py load ENV               (10k items with Table.batch_writer(); prints "boto3_batch_writer items/s")
"""
import json
import sys
import time

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from envfile import settings


def convert(path, rounds=3):
    """Median items/s over `rounds` runs of each direction."""
    items = [json.loads(line) for line in open(path)]
    n = len(items)
    de, ser = TypeDeserializer(), TypeSerializer()
    to_plain, to_dynamodb = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        plain = [{k: de.deserialize(v) for k, v in item.items()} for item in items]
        to_plain.append(n / (time.perf_counter() - start))
        start = time.perf_counter()
        back = [{k: ser.serialize(v) for k, v in item.items()} for item in plain]
        to_dynamodb.append(n / (time.perf_counter() - start))
        assert len(back) == n
    print(f"boto3_dynamodb_to_plain {sorted(to_plain)[rounds // 2]:.0f}")
    print(f"boto3_plain_to_dynamodb {sorted(to_dynamodb)[rounds // 2]:.0f}")


def load(env_path):
    env = settings(env_path)
    endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB") or env["AWS_ENDPOINT_URL"]
    ddb = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=env["AWS_REGION"],
                         aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    name = "bench-load-boto3"
    try:
        ddb.Table(name).delete()
    except ddb.meta.client.exceptions.ResourceNotFoundException:
        pass
    table = ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
    table.wait_until_exists()
    n = 10_000
    start = time.perf_counter()
    with table.batch_writer() as batch:
        for i in range(n):
            batch.put_item(Item={"pk": f"item-{i}", "n": i, "name": f"customer-{i}", "tags": {"a", "b"}})
    secs = time.perf_counter() - start
    assert table.scan(Select="COUNT")["Count"] == n
    print(f"boto3_batch_writer {n / secs:.0f}")
    table.delete()


if __name__ == "__main__":
    {"convert": convert, "load": load}[sys.argv[1]](sys.argv[2])
