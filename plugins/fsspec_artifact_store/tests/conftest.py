"""Real storage APIs on 127.0.0.1 for the tests, started once per session and stopped after:
S3 by moto's server (checking credentials), Azure Blob Storage by Azurite."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fsspec_services import (
    AZURITE_KEY,
    StorageService,
    azurite_command,
    connection_string,
    free_port,
    serve,
    stop,
)


@pytest.fixture(scope="session")
def closed_port() -> int:
    """A port on this machine nothing listens on: connections are refused at once."""
    return free_port()


@pytest.fixture(scope="session")
def s3_service(closed_port: int) -> Iterator[StorageService]:
    """moto's S3 server (`moto_server`) that checks credentials: its first three requests
    make an IAM user with a key; from then on only that key may read and write."""
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = serve(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        port,
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
    )
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
            region_name="us-east-1",
        )
        iam.create_user(UserName="runstack")
        iam.put_user_policy(
            UserName="runstack",
            PolicyName="everything",
            PolicyDocument='{"Version": "2012-10-17", "Statement": '
            '[{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
        )
        key = iam.create_access_key(UserName="runstack")["AccessKey"]
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            region_name="us-east-1",
        )
        credentials = {
            "endpoint_url": endpoint,
            "region": "us-east-1",
            "key": key["AccessKeyId"],
            "secret": key["SecretAccessKey"],
        }
        yield StorageService(
            flavor="s3",
            scheme="s3",
            credentials=credentials,
            wrong_credentials={**credentials, "secret": "not-the-secret"},
            unreachable={**credentials, "endpoint_url": f"http://127.0.0.1:{closed_port}"},
            create_bucket=lambda name: s3.create_bucket(Bucket=name),
            buckets=lambda: {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]},
            keys=lambda bucket: [
                item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
            ],
        )
    finally:
        stop(server)


@pytest.fixture(scope="session")
def azure_service(
    tmp_path_factory: pytest.TempPathFactory, closed_port: int
) -> Iterator[StorageService]:
    """Azurite's Blob Storage, which checks the account key of every request."""
    from azure.storage.blob import BlobServiceClient

    command = azurite_command()
    port = free_port()
    server = serve(
        [
            command,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(tmp_path_factory.mktemp("azurite")),
            "--silent",
            "--skipApiVersionCheck",
        ],
        port,
    )
    try:
        service = BlobServiceClient.from_connection_string(connection_string(port))
        wrong_key = AZURITE_KEY[:-8] + "AAAAAAA="
        yield StorageService(
            flavor="azure",
            scheme="az",
            credentials={"connection_string": connection_string(port)},
            wrong_credentials={"connection_string": connection_string(port, wrong_key)},
            unreachable={"connection_string": connection_string(closed_port)},
            create_bucket=service.create_container,
            buckets=lambda: {container.name for container in service.list_containers()},
            keys=lambda container: [
                blob.name for blob in service.get_container_client(container).list_blobs()
            ],
        )
    finally:
        stop(server)


@pytest.fixture(params=["s3", "azure"])
def service(request: pytest.FixtureRequest) -> StorageService:
    """Each storage API a test runs against."""
    return request.getfixturevalue(f"{request.param}_service")  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _no_retries_against_closed_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore retries a refused connection four times with back-off; once is enough here."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
