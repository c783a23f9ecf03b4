"""
Warm moto servers for the test suite: one process imports moto and builds the backends the tests
use (us-east-1 of the test account), then forks a fresh moto server per request. A test file's
moto then starts in milliseconds instead of paying moto's imports and backend setup (about 3.5 s
of CPU each: EC2's models alone take 1.4 s to import), with the same fresh state and its own
settings, as a server started by `moto_server` would have.

Started by test/support/global-setup.ts; test/support/moto.ts asks it for a server and falls back
to `moto_server` without it. Protocol on a loopback TCP port, one JSON line per connection:
  -> {"port": 41234, "env": {"MOTO_ECS_SERVICE_RUNNING": "2"}, "log": "/tmp/moto-41234.log"}
  <- {"pid": 12345}
The server forked listens on `port` (127.0.0.1) and logs to `log`; SIGTERM stops it. When this
process gets SIGTERM or its stdin closes (the test run ended, or died), every server it forked is
stopped.
"""

import json
import os
import random
import signal
import select
import socket
import sys

# Before moto reads its settings: every server of the suite loads AWS's managed policies.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

import moto.settings  # noqa: E402
from moto.moto_api._internal import mock_random  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import run_simple  # noqa: E402
from werkzeug.test import Client  # noqa: E402

# The AWS services the suite's tests and the CLI call.
SERVICES = [
    "acm", "applicationautoscaling", "autoscaling", "cloudformation", "cloudwatch", "ec2", "ecr", "ecs",
    "elbv2", "events", "iam", "kms", "logs", "route53", "s3", "secretsmanager", "servicediscovery", "ssm", "sts",
]

app = DomainDispatcherApplication(create_backend_app)
app.debug = True
for service in SERVICES:
    app.app_instances[service] = create_backend_app(service)


def auth(service):
    return f"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"


# One read of each, so that what moto loads on a service's first request (its botocore model, its
# response templates, the SSM parameters of the ECS AMIs) is loaded here: query protocols by Action,
# JSON ones by target, REST by path.
QUERY_READS = {
    "ec2": "Action=DescribeVpcs&Version=2016-11-15",
    "iam": "Action=ListRoles&Version=2010-05-08",
    "elasticloadbalancing": "Action=DescribeLoadBalancers&Version=2015-12-01",
    "autoscaling": "Action=DescribeAutoScalingGroups&Version=2011-01-01",
    "monitoring": "Action=DescribeAlarms&Version=2010-08-01",
    "sts": "Action=GetCallerIdentity&Version=2011-06-15",
    "cloudformation": "Action=ListStacks&Version=2010-05-15",
}
JSON_READS = {
    "ecs": ("AmazonEC2ContainerServiceV20141113.ListClusters", "{}"),
    "ssm": ("AmazonSSM.GetParameters", '{"Names": ["/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"]}'),
    "logs": ("Logs_20140328.DescribeLogGroups", "{}"),
    "application-autoscaling": ("AnyScaleFrontendService.DescribeScalableTargets", "{}"),
    "acm": ("CertificateManager.ListCertificates", "{}"),
    "servicediscovery": ("Route53AutoNaming_v20170314.ListNamespaces", "{}"),
    "secretsmanager": ("secretsmanager.ListSecrets", "{}"),
    "ecr": ("AmazonEC2ContainerRegistry_V20150921.DescribeRepositories", "{}"),
    "kms": ("TrentService.ListKeys", "{}"),
}
client = Client(app)
for service, body in QUERY_READS.items():
    client.post("/", data=body, headers={"Authorization": auth(service), "Content-Type": "application/x-www-form-urlencoded"})
for service, (target, body) in JSON_READS.items():
    client.post("/", data=body, headers={"Authorization": auth(service), "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
client.get("/2013-04-01/hostedzone", headers={"Authorization": auth("route53")})
client.get("/", headers={"Authorization": auth("s3"), "Host": "s3.amazonaws.com"})

children = set()


def serve(request):
    """In the forked child: become a moto server as `moto_server -H 127.0.0.1 -p PORT` would."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(request.get("env", {}))
    os.environ["MOTO_PORT"] = str(request["port"])
    # The settings moto reads once at import, from this server's environment.
    moto.settings.ACM_VALIDATION_WAIT = int(os.environ.get("MOTO_ACM_VALIDATION_WAIT", "60"))
    # Ids as random as a fresh process's, not a copy of the parent's sequence.
    random.seed()
    mock_random.seed()
    try:
        run_simple("127.0.0.1", int(request["port"]), app, threaded=True)
    finally:
        os._exit(1)


def stop_all(*_):
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    os._exit(0)


def main():
    # Children are reaped as they exit (a stopped server leaves no zombie).
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop_all)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(f"ready {listener.getsockname()[1]}", flush=True)
    # The test run holds our stdin: when it ends (or dies), so do we and our servers. (select, not a
    # thread: a fork copies only the forking thread, and a thread blocked in a read holds its lock.)
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
            stop_all()
        if listener not in ready:
            continue
        conn, _ = listener.accept()
        with conn:
            request = json.loads(conn.makefile().readline())
            pid = os.fork()
            if pid == 0:
                listener.close()
                conn.close()
                serve(request)
            children.add(pid)
            conn.sendall((json.dumps({"pid": pid}) + "\n").encode())


if __name__ == "__main__":
    main()
